// The dashboard's shell: hash routes to views, one poll loop (every 1.5 s while the tab is visible)
// that refreshes the header and the current view. Views export mount(root, args, params) and return
// { refresh, dispose }.
import { api, fill, h } from './core.js';
import * as resources from './views/resources.js';
import * as consoleView from './views/console.js';
import * as logs from './views/logs.js';
import * as traces from './views/traces.js';
import * as trace from './views/trace.js';
import * as metrics from './views/metrics.js';
import * as dht from './views/dht.js';
import * as tryIt from './views/try.js';

const views = { resources, console: consoleView, logs, traces, trace, metrics, dht, try: tryIt };
const navFor = { trace: 'traces' };
const pollInterval = 1500;
let current = null;
let busy = false;

function route() {
  const hash = location.hash.length > 2 ? location.hash.slice(2) : 'resources';
  const [path, search] = hash.split('?');
  const [name, ...args] = path.split('/');
  const view = views[name] ? name : 'resources';
  current?.dispose?.();
  const root = document.getElementById('view');
  root.replaceChildren();
  root.dataset.view = view;
  current = views[view].mount(root, args.map(decodeURIComponent), Object.fromEntries(new URLSearchParams(search ?? '')));
  for (const link of document.querySelectorAll('nav.side a[data-view]')) {
    link.classList.toggle('active', link.dataset.view === (navFor[view] ?? view));
  }
  tick();
}

async function tick() {
  if (busy) return;
  busy = true;
  const live = document.getElementById('live');
  try {
    await Promise.all([overview(), current?.refresh?.()]);
    live.classList.remove('offline');
    live.textContent = '● live';
  } catch (error) {
    live.classList.add('offline');
    live.textContent = error instanceof TypeError ? '● AppHost unreachable' : '● error';
    console.warn(error);
  } finally {
    busy = false;
  }
}

async function overview() {
  const o = await api('/overview');
  fill(document.getElementById('overview'),
    h('span', { class: o.healthy === o.nodes ? 'ok' : 'warn' }, `${o.healthy}/${o.nodes} nodes healthy`),
    o.seedEndpoint ? h('span', {}, 'seed ', h('code', {}, o.seedEndpoint)) : null,
    h('span', { class: 'muted' }, `${o.spans.toLocaleString()} spans · ${o.logRecords.toLocaleString()} logs · ${o.metricPoints.toLocaleString()} metric points`),
    o.prometheusUrl ? h('a', { href: o.prometheusUrl, target: '_blank' }, 'Prometheus') : null);
}

window.addEventListener('hashchange', route);
setInterval(() => { if (document.visibilityState === 'visible') tick(); }, pollInterval);
route();
