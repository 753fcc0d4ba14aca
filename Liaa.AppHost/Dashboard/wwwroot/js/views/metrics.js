// Metrics: bucket fill per node as a heat map (bucket index × node), stored keys per node, and the
// cluster's RPC rates, timeouts, lookup latency and rounds over time, all from the OTLP metrics.
import { api, fill, h, hashParams, nodeSelect, setHashParams } from '../core.js';
import { heat, heatMap, lineChart } from '../charts.js';

export function mount(root) {
  const params = hashParams();
  let alive = true;
  let node = params.node ?? '';
  let minutes = params.minutes ?? '3';
  let nodesShown = -1;
  let series = null;
  let seriesAt = 0;
  const span = h('select', { id: 'metrics-minutes' }, ['1', '3', '10', '30'].map(m => h('option', { value: m, selected: m === minutes }, `last ${m} min`)));
  span.addEventListener('change', () => { minutes = span.value; seriesAt = 0; setHashParams({ node, minutes }); refresh(); });
  const nodePicker = h('span');
  const heatmap = h('div', { class: 'card pad', id: 'bucket-heatmap' });
  const keys = h('div', { class: 'card pad', id: 'stored-keys' });
  const charts = h('div', { class: 'charts', id: 'metric-charts' });
  root.append(
    h('div', { class: 'toolbar' }, h('h1', {}, 'Metrics')),
    h('div', { class: 'two' },
      h('section', {}, h('h2', {}, 'Bucket fill ', h('span', { class: 'muted' }, '(contacts / k, by bucket index)')), heatmap),
      h('section', {}, h('h2', {}, 'Stored keys per node'), keys)),
    h('div', { class: 'toolbar' }, h('h2', {}, 'Over time'), nodePicker, span,
      h('span', { class: 'muted' }, 'from the OTLP metrics the nodes export every second; the AppHost keeps the newest points')),
    charts);

  async function refresh() {
    // The charts move in steps of a few seconds: fetching them on every tick would only cost the AppHost.
    const chartsDue = performance.now() - seriesAt > 2900;
    const [nodes, buckets, stored, fresh] = await Promise.all([
      api('/nodes'), api('/metrics/buckets'), api('/metrics/keys'),
      chartsDue ? api(`/metrics/series?minutes=${minutes}` + (node ? `&node=${encodeURIComponent(node)}` : '')) : null,
    ]);
    if (fresh) { series = fresh; seriesAt = performance.now(); }
    if (!alive) return;
    if (nodes.length !== nodesShown) {
      const select = nodeSelect('metrics-node', nodes, node, 'whole cluster');
      select.addEventListener('change', () => { node = select.value; seriesAt = 0; setHashParams({ node, minutes }); refresh(); });
      fill(nodePicker, select);
      nodesShown = nodes.length;
    }
    renderHeatmap(buckets);
    renderKeys(stored);
    fill(charts,
      lineChart('RPCs served per second, by method', series, series.rpcRates, '/s'),
      lineChart('RPC timeouts per second, by method', series, series.timeouts, '/s'),
      lineChart('Lookup latency (mean), by kind', series, series.lookupLatencyMs, ' ms'),
      lineChart('Lookup rounds (mean), by kind', series, series.lookupRounds, ''));
  }

  function renderHeatmap(buckets) {
    if (buckets.buckets === 0) {
      fill(heatmap, h('div', { class: 'muted' }, 'Waiting for the nodes\u2019 first metrics export…'));
      return;
    }
    const rows = buckets.nodes.map(n => ({ label: n.node, cells: n.fill, dim: !n.isRunning }));
    const legend = h('div', { class: 'heat-legend' }, 'empty ',
      [0, 0.25, 0.5, 0.75, 1].map(v => h('i', { style: { background: heat(v) }, title: `${v * 100}%` })), ' full (k contacts)');
    fill(heatmap, heatMap(rows, buckets.buckets, (row, column, value) =>
      `${row.label}, bucket ${column}: ${value === undefined ? 'no bucket' : `${Math.round(value * 100)}% full`}`), legend);
  }

  function renderKeys(rows) {
    const max = Math.max(1, ...rows.map(r => r.total ?? 0));
    const origins = ['own', 'replicated', 'cached'];
    fill(keys, h('table', { class: 'bars' }, h('tbody', {}, rows.map(r => h('tr', { 'data-node': r.node, class: r.isRunning ? '' : 'dim' },
      h('th', {}, r.node),
      h('td', { class: 'barcell' }, h('div', { class: 'stack' }, origins.map(o => {
        const value = r.byOrigin?.[o] ?? 0;
        return value ? h('div', { class: `seg ${o}`, style: { width: `${(value / max) * 100}%` }, title: `${o}: ${value}` }) : null;
      }))),
      h('td', { class: 'num' }, r.total ?? '–'))))),
    h('div', { class: 'heat-legend' }, h('i', { class: 'seg own' }), ' own ', h('i', { class: 'seg replicated' }), ' replicated ', h('i', { class: 'seg cached' }), ' cached'));
  }

  return { refresh, dispose: () => { alive = false; } };
}
