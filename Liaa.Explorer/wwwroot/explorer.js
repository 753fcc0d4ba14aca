// The DHT explorer: the nodes on the 160-bit id ring (click one for its routing table, drawn as chords
// to its contacts), where a key lives (its k closest nodes and which hold it), the rounds of the latest
// lookup of that key as the node that ran it recorded them (GET /v1/lookups), with a link to its trace in
// the Aspire dashboard, and a replay of the lookup the selected node would run now. Refreshes every 3 s.
// DOM is built from text only, never HTML strings.

const size = 440, centre = size / 2, radius = 170;
const palette = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d',
  '#ea580c', '#4f46e5', '#0d9488', '#b91c1c', '#9333ea', '#ca8a04', '#0284c7', '#16a34a'];

function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'style') for (const [p, v] of Object.entries(value)) p.startsWith('--') ? element.style.setProperty(p, v) : element.style[p] = v;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function s(tag, attributes, ...children) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function fill(element, ...children) { element.replaceChildren(); append(element, children); }

async function api(path) {
  const response = await fetch('api' + path, { headers: { Accept: 'application/json' } });
  const json = await response.json().catch(() => null);
  if (!response.ok) throw new Error(json?.detail ?? json?.title ?? `HTTP ${response.status}`);
  return json;
}

const shortId = id => id ? id.slice(0, 8) : '';
const nodeColor = name => { const m = /(\d+)$/.exec(name ?? ''); return m ? palette[Number(m[1]) % palette.length] : '#6b7280'; };
const chip = (name, extra = '') => h('span', { class: `chip ${extra}`, style: { '--c': nodeColor(name) } }, name ?? '?');
const errorBox = error => h('div', { class: 'error' }, String(error.message ?? error));

const params = new URLSearchParams(location.search);
let selected = params.get('node') ?? '';
let key = params.get('key') ?? '';
let ring = [], table = null, placement = null, lookup = null, shownLookup = null;
const ringBox = document.getElementById('ring');
const tableBox = document.getElementById('routing-table');
const keyBox = document.getElementById('key-holders');
const lookupBox = document.getElementById('lookup');
const replayBox = document.getElementById('replay');
const keyInput = document.getElementById('key');
keyInput.value = key;
document.getElementById('key-form').addEventListener('submit', event => {
  event.preventDefault();
  key = keyInput.value.trim();
  shownLookup = null;
  remember();
  loadKey().then(draw);
});

function remember() {
  const query = new URLSearchParams();
  if (selected) query.set('node', selected);
  if (key) query.set('key', key);
  history.replaceState(null, '', '?' + query.toString());
}

async function refresh() {
  try {
    ring = (await api('/ring')).nodes;
  } catch (error) {
    fill(ringBox, errorBox(error));
    return;
  }
  if (!selected && ring.length) selected = ring[0].name;
  await Promise.all([loadTable(), loadKey()]);
  draw();
}

async function loadTable() {
  if (!selected) return;
  try {
    table = await api(`/nodes/${encodeURIComponent(selected)}/routing-table`);
    renderTable();
  } catch (error) {
    table = null;
    fill(tableBox, h('h2', {}, `Routing table of ${selected}`), errorBox(error));
  }
}

async function loadKey() {
  if (!key) { placement = null; lookup = null; fill(keyBox, h('span', { class: 'muted' }, 'Type a key to see its k closest nodes and which hold it.')); fill(lookupBox); fill(replayBox); return; }
  try {
    [placement, lookup] = await Promise.all([
      api(`/keys/${encodeURIComponent(key)}`),
      api(`/lookups/${encodeURIComponent(key)}?from=${encodeURIComponent(selected)}`)]);
    renderKey();
    renderLookup();
  } catch (error) {
    placement = null; lookup = null;
    fill(keyBox, errorBox(error));
    fill(lookupBox);
    fill(replayBox);
  }
}

function renderKey() {
  const time = iso => iso ? new Date(iso).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }) : '';
  fill(keyBox,
    h('div', { class: 'muted' }, 'key id ', h('code', {}, placement.keyId), ` · held by ${placement.holders} node(s) · k = ${placement.k}`),
    h('table', { class: 'grid', id: 'holders' },
      h('thead', {}, h('tr', {}, ['Rank', 'Node', 'XOR distance', 'Within k', 'Holds', 'Origin', 'Expires'].map(c => h('th', {}, c)))),
      h('tbody', {}, placement.nodes.map(n => h('tr', { 'data-node': n.node, class: `${n.holds ? 'holds' : ''} ${n.isKClosest ? '' : 'far'}` },
        h('td', { class: 'num' }, n.rank), h('td', {}, chip(n.node)),
        h('td', { class: 'num', title: 'length of the XOR distance in bits' }, n.distanceBits === null ? '' : `${n.distanceBits} bits`),
        h('td', {}, n.isKClosest ? '✔' : ''),
        h('td', {}, n.holds ? '✔' : n.error ? h('span', { class: 'muted' }, n.error) : ''),
        h('td', {}, n.origin ?? ''), h('td', {}, time(n.expiresAt)))))));
}

const lookupId = l => `${l.node} ${l.startedAt}`;
const peerChip = p => p.node ? chip(p.node, p.failed ? 'failed' : '') : h('code', { title: p.id }, shortId(p.id));
const clock = iso => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hour12: false });
const ms = v => v === null || v === undefined ? '' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;

function renderLookup() {
  renderReplay();
  const recorded = lookup.recorded;
  if (!recorded.length) {
    fill(lookupBox, h('span', { class: 'muted', id: 'no-lookup' },
      'No node has recorded a lookup of this key (each keeps its latest 32). Put or get it through a node (its Put/Get commands in the Aspire dashboard, or PUT/GET /v1/values/KEY) and the lookup appears here.'));
    return;
  }
  const shown = recorded.find(l => lookupId(l) === shownLookup) ?? recorded[0];
  const outcome = r => {
    switch (r.outcome) {
      case 'answered': return [`answered in ${ms(r.ms)} with ${r.returned} contacts`, r.closer.length ? [', closer: ', r.closer.map(peerChip)] : ', none closer'];
      case 'value': return `answered with the value in ${ms(r.ms)}`;
      case 'timeout': return h('span', { class: 'warn' }, `timed out after ${ms(r.ms)}`);
      case 'failed': return h('span', { class: 'warn' }, 'failed');
      default: return h('span', { class: 'muted' }, 'no answer before the lookup ended');
    }
  };
  fill(lookupBox,
    h('div', { class: 'lookup-head', id: 'lookup-summary', 'data-node': shown.node, 'data-kind': shown.kind },
      h('b', {}, shown.kind), ' by ', chip(shown.node), ` at ${clock(shown.startedAt)}, ${ms(shown.durationMs)}: `,
      `${shown.rounds.length} round(s), ${shown.contacted} asked, ${shown.timeouts} timed out, from ${shown.initialContacts} contacts of its own`,
      shown.found === true ? ', value found' : shown.found === false ? ', value not found' : '',
      shown.deadlineExceeded ? ' (cut short by the lookup deadline)' : '', shown.truncated ? ' (truncated)' : '',
      shown.traceUrl ? [' · ', h('a', { href: shown.traceUrl, target: '_blank', rel: 'noopener', id: 'lookup-trace' }, 'Open its trace in the Aspire dashboard')]
        : shown.traceId ? h('span', { class: 'muted small' }, ` · trace ${shown.traceId}`) : h('span', { class: 'muted small' }, ' · not traced (unsampled)')),
    h('ol', { class: 'rounds', id: 'lookup-rounds' }, shown.rounds.map(r => h('li', { 'data-round': r.round },
      h('span', { class: 'muted small' }, `+${ms(r.atMs)}${r.finalStep ? ', final step: the rest of the k closest at once' : ''}`),
      h('ul', { class: 'requests' }, r.requests.map(q => h('li', { 'data-outcome': q.outcome, 'data-node': q.peer.node ?? '' },
        'asked ', peerChip(q.peer), ` (${q.peer.distanceBits} bits from the key): `, outcome(q))))))),
    shown.closest.length ? h('div', { class: 'small' }, 'ended with the k closest: ', shown.closest.map(peerChip)) : null,
    recorded.length > 1 ? h('div', { class: 'muted small', id: 'other-lookups' }, 'other recorded lookups of this key: ',
      recorded.filter(l => l !== shown).map(l => h('button', { class: 'link', onclick: () => { shownLookup = lookupId(l); renderLookup(); } },
        `${l.kind} by ${l.node} at ${clock(l.startedAt)}`))) : null);
}

function renderReplay() {
  const replay = lookup.replay;
  if (replay.error) { fill(replayBox, errorBox(new Error(replay.error))); return; }
  if (!replay.rounds.length) { fill(replayBox, h('span', { class: 'muted' }, `${replay.from} knows no contacts yet.`)); return; }
  fill(replayBox,
    h('div', { class: 'muted small' }, `From ${replay.from}, α = 3, played against the routing tables the nodes report now: what a lookup would do, not what one did.`),
    h('ol', { class: 'rounds', id: 'replay-rounds' }, replay.rounds.map(r => h('li', { 'data-round': r.round },
      'asked ', r.asked.map(peerChip), r.learned.length ? [' · learned ', r.learned.map(peerChip)] : ' · learned nobody new',
      h('div', { class: 'muted small' }, r.closest ? [`closest so far `, peerChip(r.closest), ` at ${r.closest.distanceBits} bits`, r.improved ? '' : ' (no closer: ask the rest of the k closest)'] : '')))));
}

function renderTable() {
  const buckets = table.buckets.filter(b => b.contacts.length > 0 || b.replacements.length > 0);
  fill(tableBox,
    h('h2', {}, 'Routing table of ', chip(selected), h('span', { class: 'muted' }, ` ${table.size} contacts, k = ${table.k}, ${table.buckets.length} buckets`)),
    buckets.length === 0 ? h('div', { class: 'muted' }, 'No contacts.') : null,
    buckets.map(b => h('div', { class: 'bucket', 'data-bucket': b.index },
      h('div', { class: 'bucket-head' },
        h('b', {}, `bucket ${b.index}`), h('span', { class: 'muted' }, ` depth ${b.depth} · ${shortId(b.low)}… – ${shortId(b.high)}…`),
        h('div', { class: 'fillbar', title: `k-bucket fill ${Math.round(b.fill * 100)}%` }, h('div', { style: { width: `${b.fill * 100}%` } })), h('span', {}, `${b.contacts.length}/${table.k}`)),
      h('table', { class: 'grid' }, h('tbody', {}, b.contacts.map(c => h('tr', {},
        h('td', {}, c.node ? chip(c.node) : h('span', { class: 'muted' }, 'unknown')),
        h('td', {}, h('code', { title: c.id }, shortId(c.id))),
        h('td', {}, h('code', {}, `${c.address}:${c.port}`)),
        h('td', { class: 'muted' }, c.lastSeen ? `seen ${new Date(c.lastSeen).toLocaleTimeString()}` : ''),
        h('td', { class: c.failures ? 'warn' : 'muted' }, c.failures ? `${c.failures} failures` : ''))))),
      b.replacements.length ? h('div', { class: 'muted small' }, `replacement cache: ${b.replacements.map(c => c.node ?? shortId(c.id)).join(', ')}`) : null)));
}

function draw() {
  const point = (position, r = radius) => {
    const angle = position * 2 * Math.PI - Math.PI / 2;
    return [centre + r * Math.cos(angle), centre + r * Math.sin(angle)];
  };
  const svg = s('svg', { viewBox: `-50 0 ${size + 100} ${size}`, class: 'ring-svg', id: 'ring-svg' });
  svg.append(s('circle', { cx: centre, cy: centre, r: radius, class: 'ring-line' }));
  for (const [label, position] of [['0', 0], ['2¹⁵⁸', 0.25], ['2¹⁵⁹', 0.5], ['3·2¹⁵⁸', 0.75]]) {
    const [x, y] = point(position, radius + 28);
    svg.append(s('text', { x, y: y + 4, class: 'axis', 'text-anchor': 'middle' }, label));
  }
  const byId = new Map(ring.filter(n => n.nodeId).map(n => [n.nodeId, n]));
  const from = ring.find(n => n.name === selected);
  if (table && from?.position !== null && from?.position !== undefined) {
    const [x1, y1] = point(from.position);
    for (const bucket of table.buckets) {
      for (const contact of bucket.contacts) {
        const to = byId.get(contact.id);
        if (!to) continue;
        const [x2, y2] = point(to.position);
        svg.append(s('path', { d: `M${x1},${y1} Q${centre},${centre} ${x2},${y2}`, class: 'chord', stroke: nodeColor(selected) }));
      }
    }
  }
  if (placement) {
    const [kx, ky] = point(placement.ringPosition);
    for (const holder of placement.nodes.filter(n => n.holds)) {
      const node = ring.find(n => n.name === holder.node);
      if (node?.position === null || node?.position === undefined) continue;
      const [x, y] = point(node.position);
      svg.append(s('line', { x1: kx, y1: ky, x2: x, y2: y, class: 'key-line' }));
    }
    const [lx, ly] = point(placement.ringPosition, radius - 22);
    svg.append(s('rect', { x: kx - 6, y: ky - 6, width: 12, height: 12, class: 'key-mark', transform: `rotate(45 ${kx} ${ky})` }, s('title', {}, `key ${placement.key}`)));
    svg.append(s('text', { x: lx, y: ly + 4, class: 'key-label', 'text-anchor': 'middle' }, placement.key.length > 14 ? placement.key.slice(0, 13) + '…' : placement.key));
  }
  for (const node of ring) {
    if (node.position === null || node.position === undefined) continue;
    const [x, y] = point(node.position);
    const [lx, ly] = point(node.position, radius + 12);
    svg.append(s('g', {
      class: `ring-node ${node.isRunning ? '' : 'down'} ${node.name === selected ? 'selected' : ''}`, 'data-node': node.name,
      onclick: () => { selected = node.name; remember(); table = null; Promise.all([loadTable(), loadKey()]).then(draw); },
    },
    s('circle', { cx: x, cy: y, r: node.name === selected ? 9 : 6.5, fill: node.isRunning ? nodeColor(node.name) : '#9ca3af' }),
    s('text', { x: lx, y: ly + 4, 'text-anchor': lx < centre - 5 ? 'end' : lx > centre + 5 ? 'start' : 'middle', class: 'ring-label' }, node.name),
    s('title', {}, `${node.name} ${node.nodeId ?? ''} ${node.udp ?? ''} ${node.contacts ?? 0} contacts${node.isSeed ? ' (seed)' : ''}`)));
  }
  svg.append(s('text', { x: centre, y: centre - 6, class: 'ring-centre', 'text-anchor': 'middle' }, '160-bit id space'));
  svg.append(s('text', { x: centre, y: centre + 12, class: 'axis', 'text-anchor': 'middle' }, `${ring.filter(n => n.isRunning).length} of ${ring.length} nodes answering`));
  for (const node of ring.filter(n => !n.isRunning)) svg.append(s('title', {}, `${node.name}: ${node.error}`));
  fill(ringBox, svg);
}

refresh();
setInterval(refresh, 3000);
