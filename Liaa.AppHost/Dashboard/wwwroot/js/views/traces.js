// Traces: the newest traces, filtered by node, operation, duration and outcome.
import { api, fill, h, hashParams, ms, nodeChip, nodeSelect, setHashParams, time } from '../core.js';

export function mount(root) {
  const params = hashParams();
  let alive = true;
  let node = params.node ?? '';
  let operation = params.operation ?? '';
  let nodesShown = -1;
  let operationsShown = '';
  const nodePicker = h('span');
  const operationPicker = h('select', { id: 'traces-operation' });
  const minMs = h('input', { id: 'traces-min', type: 'number', min: 0, placeholder: 'min ms', value: params.minMs ?? '', class: 'narrow' });
  const maxMs = h('input', { id: 'traces-max', type: 'number', min: 0, placeholder: 'max ms', value: params.maxMs ?? '', class: 'narrow' });
  const outcome = h('select', { id: 'traces-outcome' },
    [['', 'any outcome'], ['ok', 'ok'], ['error', 'error']].map(([v, l]) => h('option', { value: v, selected: v === (params.outcome ?? '') }, l)));
  const hideNoise = h('input', { type: 'checkbox', id: 'traces-hide-background', checked: params.all !== '1' });
  const body = h('tbody');
  const count = h('span', { class: 'muted' });
  root.append(
    h('div', { class: 'toolbar' }, h('h1', {}, 'Traces'), nodePicker, operationPicker, minMs, maxMs, outcome,
      h('label', { title: 'Hide work nobody asked for: bucket refresh, replication, republishing, health probes, lone inbound RPCs' }, hideNoise, ' hide background'),
      h('div', { class: 'spacer' }), count),
    h('div', { class: 'card' }, h('table', { class: 'grid clickable', id: 'traces' },
      h('thead', {}, h('tr', {}, ['Started', 'Trace', 'Root node', 'Nodes', 'Spans', 'Duration', ''].map(c => h('th', {}, c)))), body)));

  const changed = () => {
    setHashParams({ node, operation, minMs: minMs.value, maxMs: maxMs.value, outcome: outcome.value, all: hideNoise.checked ? '' : '1' });
    refresh();
  };
  for (const input of [minMs, maxMs]) input.addEventListener('input', changed);
  for (const select of [outcome, hideNoise]) select.addEventListener('change', changed);
  operationPicker.addEventListener('change', () => { operation = operationPicker.value; changed(); });

  async function refresh() {
    const p = new URLSearchParams({ limit: '200' });
    if (node) p.set('node', node);
    if (operation) p.set('operation', operation);
    if (minMs.value) p.set('minMs', minMs.value);
    if (maxMs.value) p.set('maxMs', maxMs.value);
    if (outcome.value) p.set('outcome', outcome.value);
    if (hideNoise.checked) p.set('background', 'hide');
    const [nodes, list] = await Promise.all([api('/nodes'), api('/traces?' + p.toString())]);
    if (!alive) return;
    if (nodes.length !== nodesShown) {
      const select = nodeSelect('traces-node', nodes, node, 'all nodes');
      select.addEventListener('change', () => { node = select.value; changed(); });
      fill(nodePicker, select);
      nodesShown = nodes.length;
    }
    const operations = list.operations.join('|');
    if (operations !== operationsShown) {
      fill(operationPicker, h('option', { value: '' }, 'any operation'),
        list.operations.map(o => h('option', { value: o, selected: o === operation }, o)));
      operationsShown = operations;
    }
    const traces = list.traces;
    const longest = Math.max(1, ...traces.map(t => t.durationMs));
    count.textContent = `${traces.length} of ${list.matched} traces`;
    fill(body, traces.slice(0, 150).map(t => h('tr', { 'data-trace': t.traceId, class: t.hasError ? 'has-error' : '', onclick: () => { location.hash = `#/trace/${t.traceId}`; } },
      h('td', { class: 'nowrap' }, time(t.start)),
      h('td', {}, h('a', { href: `#/trace/${t.traceId}`, class: 'trace-link' }, t.name)),
      h('td', {}, nodeChip(t.node)),
      h('td', { class: 'chips' }, t.nodes.map(n => nodeChip(n))),
      h('td', { class: 'num' }, t.spanCount),
      h('td', { class: 'duration' }, h('div', { class: 'bar', style: { width: `${Math.max(2, (t.durationMs / longest) * 100)}%` } }), h('span', {}, ms(t.durationMs))),
      h('td', {}, t.hasError ? h('span', { class: 'pill level-error' }, 'error') : ''))));
  }

  return { refresh, dispose: () => { alive = false; } };
}
