// Structured logs: what the nodes logged through OpenTelemetry, filtered by node, level and text,
// each entry linked to the trace it was written in.
import { api, fill, h, hashParams, nodeChip, nodeSelect, setHashParams, shortId, time } from '../core.js';

const levels = ['trace', 'debug', 'information', 'warning', 'error', 'critical'];

export function mount(root) {
  const params = hashParams();
  let alive = true;
  let nodesShown = -1;
  const nodePicker = h('span');
  const level = h('select', { id: 'logs-level' }, h('option', { value: '' }, 'any level'),
    levels.map(l => h('option', { value: l, selected: l === params.level }, `≥ ${l}`)));
  const text = h('input', { id: 'logs-text', type: 'search', placeholder: 'text in message', value: params.text ?? '' });
  const traceFilter = params.traceId ? h('span', { class: 'filter-tag' }, `trace ${shortId(params.traceId)} `,
    h('a', { href: '#/logs' }, '✕')) : null;
  const body = h('tbody');
  const count = h('span', { class: 'muted' });
  root.append(
    h('div', { class: 'toolbar' }, h('h1', {}, 'Structured logs'), nodePicker, level, text, traceFilter, h('div', { class: 'spacer' }), count),
    h('div', { class: 'card' }, h('table', { class: 'grid logs', id: 'logs' },
      h('thead', {}, h('tr', {}, ['Time', 'Node', 'Level', 'Category', 'Message', 'Trace'].map(c => h('th', {}, c)))), body)));
  let node = params.node ?? '';
  const changed = () => { setHashParams({ node, level: level.value, text: text.value, traceId: params.traceId }); refresh(); };
  level.addEventListener('change', changed);
  text.addEventListener('input', changed);

  async function refresh() {
    const [nodes, logs] = await Promise.all([
      api('/nodes'),
      api('/logs' + queryString()),
    ]);
    if (!alive) return;
    if (nodes && nodes.length !== nodesShown) {
      const select = nodeSelect('logs-node', nodes, node, 'all nodes');
      select.addEventListener('change', () => { node = select.value; changed(); });
      fill(nodePicker, select);
      nodesShown = nodes.length;
    }
    count.textContent = `${logs.length} entries`;
    fill(body, logs.map(log => h('tr', { class: `level-${log.level}` },
      h('td', { class: 'nowrap' }, time(log.time)),
      h('td', {}, nodeChip(log.node)),
      h('td', {}, h('span', { class: `pill level-${log.level}` }, log.level)),
      h('td', { class: 'category', title: log.category }, log.category.split('.').slice(-1)[0]),
      h('td', { class: 'message', title: JSON.stringify(log.attributes ?? {}, null, 1) }, log.message ?? log.eventName ?? ''),
      h('td', {}, log.traceId ? h('a', { href: `#/trace/${log.traceId}`, class: 'trace-link' }, shortId(log.traceId)) : ''))));
  }

  function queryString() {
    const p = new URLSearchParams({ limit: '300' });
    if (node) p.set('node', node);
    if (level.value) p.set('level', level.value);
    if (text.value) p.set('text', text.value);
    if (params.traceId) p.set('traceId', params.traceId);
    return '?' + p.toString();
  }

  return { refresh, dispose: () => { alive = false; } };
}
