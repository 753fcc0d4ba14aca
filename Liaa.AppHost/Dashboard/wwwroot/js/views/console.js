// Console: one node's stdout/stderr as the AppHost captured it, followed live.
import { api, errorBox, fill, h, nodeSelect, time } from '../core.js';

export function mount(root, [selected]) {
  let name = selected;
  let last = null;
  let alive = true;
  const picker = h('span');
  const follow = h('input', { type: 'checkbox', id: 'console-follow', checked: true });
  const output = h('pre', { class: 'console', id: 'console-output' });
  const status = h('div', { class: 'status' });
  root.append(
    h('div', { class: 'toolbar' }, h('h1', {}, 'Console'), picker, h('div', { class: 'spacer' }),
      h('label', {}, follow, ' follow')),
    status,
    h('div', { class: 'card' }, output));

  async function refresh() {
    const nodes = await api('/nodes');
    if (!alive) return;
    name = name ?? nodes[0]?.name;
    if (!picker.firstChild || picker.firstChild.options.length !== nodes.length) {
      const select = nodeSelect('console-node', nodes, name);
      select.addEventListener('change', () => { location.hash = `#/console/${select.value}`; });
      fill(picker, select);
    }
    if (!name) return;
    try {
      const page = await api(`/nodes/${encodeURIComponent(name)}/console${last === null ? '' : `?after=${last}`}`);
      if (!alive) return;
      fill(status);
      const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
      for (const line of page.lines) {
        output.append(h('div', { class: `line ${line.stream}` }, h('span', { class: 'ts' }, time(line.time)), ' ', line.text));
      }
      while (output.childElementCount > 3000) output.firstChild.remove();
      last = page.last;
      if (follow.checked && (atBottom || page.lines.length > 0)) output.scrollTop = output.scrollHeight;
    } catch (error) {
      fill(status, errorBox(error));
    }
  }

  return { refresh, dispose: () => { alive = false; } };
}
