// Checks Kubernetes manifests against the API schemas that kubernetes-models bundles (no cluster needed):
//   npm install --prefix deploy/tools/k8s-schema && node deploy/tools/k8s-schema/check.mjs deploy/k8s/*.yaml
// Exit 0 when every StatefulSet and Service validates; a kind it has no schema for is reported as skipped.
import fs from 'node:fs';
import yaml from 'js-yaml';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Service } from 'kubernetes-models/v1/Service';
const kinds = { StatefulSet, Service };
let failed = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(fs.readFileSync(file, 'utf8'))) {
    if (!doc) continue;
    const Model = kinds[doc.kind];
    if (!Model) { console.log(`${file}: ${doc.kind}: no schema here, skipped`); continue; }
    try { new Model(doc).validate(); console.log(`${file}: ${doc.kind}/${doc.metadata.name}: valid`); }
    catch (e) { failed++; console.log(`${file}: ${doc.kind}: ${e.message}`); }
  }
}
process.exit(failed ? 1 : 0);
