// One trace as a waterfall across nodes: each span with its node, peer, method, outcome, distance
// to the lookup's target and attributes. Keeps polling, since spans arrive from each node in batches.
import { api, ApiError, errorBox, fill, h, ms, nodeChip, nodeColor, shortId, time } from '../core.js';

export function mount(root, [traceId]) {
  let alive = true;
  let shownSignature = '';
  const open = new Set();
  const header = h('div', { class: 'trace-header' });
  const waterfall = h('div', { class: 'card' });
  const logs = h('div', { class: 'card' });
  root.append(
    h('div', { class: 'toolbar' }, h('a', { href: '#/traces', class: 'back' }, '← Traces'), h('h1', {}, 'Trace ', h('code', {}, shortId(traceId)))),
    header, waterfall, h('h2', {}, 'Logs in this trace'), logs);
  header.append(h('div', { class: 'muted' }, 'Waiting for the nodes to export the spans of this trace…'));

  async function refresh() {
    let trace;
    try {
      trace = await api(`/traces/${traceId}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return;
      throw error;
    }
    const entries = await api(`/logs?traceId=${traceId}&limit=200`);
    if (!alive) return;
    const signature = `${trace.spanCount}|${trace.durationMs}|${entries.length}|${[...open].join()}`;
    if (signature === shownSignature) return;
    shownSignature = signature;
    renderHeader(trace);
    renderWaterfall(trace);
    fill(logs, entries.length === 0 ? h('div', { class: 'muted pad' }, 'No log records carry this trace id.') :
      h('table', { class: 'grid logs' }, h('tbody', {}, [...entries].sort((a, b) => a.time.localeCompare(b.time)).map(log => h('tr', {},
        h('td', { class: 'nowrap' }, time(log.time)), h('td', {}, nodeChip(log.node)),
        h('td', {}, h('span', { class: `pill level-${log.level}` }, log.level)), h('td', { class: 'message' }, log.message ?? ''))))));
  }

  function renderHeader(trace) {
    fill(header,
      h('div', { class: 'facts' },
        fact('operation', trace.rootName),
        fact('started', time(trace.start)),
        fact('duration', ms(trace.durationMs)),
        fact('spans', trace.spanCount),
        fact('nodes', h('span', { id: 'trace-nodes', 'data-count': trace.nodes.length }, trace.nodes.map(n => nodeChip(n)))),
        trace.hasError ? fact('outcome', h('span', { class: 'pill level-error' }, 'error')) : fact('outcome', 'ok')));
  }

  function renderWaterfall(trace) {
    const total = Math.max(trace.durationMs, 0.001);
    const ticks = [0, 0.25, 0.5, 0.75, 1].map(f => h('span', { style: { left: `${f * 100}%` } }, ms(total * f)));
    const rows = [];
    for (const span of trace.spans) {
      const isOpen = open.has(span.spanId);
      rows.push(h('tr', {
        class: `span-row ${span.status === 'error' ? 'has-error' : ''} ${isOpen ? 'open' : ''}`,
        'data-span': span.spanId, 'data-node': span.node,
        onclick: () => { isOpen ? open.delete(span.spanId) : open.add(span.spanId); shownSignature = ''; refresh(); },
      },
      h('td', { class: 'span-name', style: { paddingLeft: `${8 + span.depth * 16}px` } },
        h('span', { class: 'kind', title: span.kind }, kindMark(span.kind)), ' ', span.name),
      h('td', {}, nodeChip(span.node)),
      h('td', { class: 'peer' }, span.peerNode ? nodeChip(span.peerNode) : span.peerAddress ? h('code', {}, span.peerAddress) : span.peerId ? h('code', {}, shortId(span.peerId)) : ''),
      h('td', {}, span.method ?? ''),
      h('td', {}, outcome(span)),
      h('td', { class: 'num', title: 'XOR distance from the peer to the lookup target, in bits' }, span.distanceBits ?? ''),
      h('td', { class: 'timeline' },
        h('div', {
          class: 'span-bar',
          style: {
            left: `${(span.offsetMs / total) * 100}%`,
            width: `max(2px, ${(span.durationMs / total) * 100}%)`,
            background: nodeColor(span.node),
          },
          title: `${ms(span.offsetMs)} + ${ms(span.durationMs)}`,
        }),
        durationLabel(span, total))));
      if (isOpen) rows.push(h('tr', { class: 'span-detail' }, h('td', { colspan: 7 }, details(span))));
    }
    fill(waterfall, h('table', { class: 'grid waterfall', id: 'waterfall' },
      h('thead', {}, h('tr', {}, ['Span', 'Node', 'Peer', 'Method', 'Outcome', 'Dist'].map(c => h('th', {}, c)),
        h('th', { class: 'timeline ticks' }, ticks))),
      h('tbody', {}, rows)));
  }

  return { refresh, dispose: () => { alive = false; } };
}

// The duration goes right of the bar, or left of it when the bar ends near the right edge.
// A bar that fills the row gets its label inside, at its right end.
function durationLabel(span, total) {
  const start = span.offsetMs / total;
  const end = (span.offsetMs + span.durationMs) / total;
  if (end <= 0.82) return h('span', { class: 'span-duration', style: { left: `calc(${end * 100}% + 4px)` } }, ms(span.durationMs));
  if (start >= 0.18) return h('span', { class: 'span-duration', style: { right: `calc(${(1 - start) * 100}% + 4px)` } }, ms(span.durationMs));
  return h('span', { class: 'span-duration inside', style: { right: `calc(${(1 - end) * 100}% + 6px)` } }, ms(span.durationMs));
}

function fact(label, value) {
  return h('div', { class: 'fact' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value));
}

function kindMark(kind) {
  return { server: '⇤', client: '⇥', internal: '•', producer: '↗', consumer: '↘' }[kind] ?? '•';
}

function outcome(span) {
  const value = span.outcome ?? (span.status === 'error' ? 'error' : '');
  if (!value) return '';
  const bad = span.status === 'error' || ['timeout', 'error', 'cancelled', 'stopped'].includes(value) || /^[45]\d\d$/.test(value);
  return h('span', { class: `pill ${bad ? 'level-error' : 'ok'}` }, value);
}

function details(span) {
  const entries = Object.entries(span.attributes ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return h('div', { class: 'details' },
    h('table', { class: 'attributes' }, h('tbody', {},
      h('tr', {}, h('th', {}, 'span id'), h('td', {}, h('code', {}, span.spanId))),
      span.parentSpanId ? h('tr', {}, h('th', {}, 'parent'), h('td', {}, h('code', {}, span.parentSpanId))) : null,
      h('tr', {}, h('th', {}, 'node id'), h('td', {}, h('code', {}, span.nodeId ?? ''))),
      h('tr', {}, h('th', {}, 'start / duration'), h('td', {}, `+${ms(span.offsetMs)} / ${ms(span.durationMs)}`)),
      span.statusMessage ? h('tr', {}, h('th', {}, 'status'), h('td', {}, span.statusMessage)) : null,
      entries.map(([key, value]) => h('tr', {}, h('th', {}, key), h('td', {}, h('code', {}, typeof value === 'object' ? JSON.stringify(value) : String(value))))))),
    span.events?.length ? h('ul', { class: 'events' }, span.events.map(e => h('li', {}, `+${ms(e.offsetMs)} ${e.name}`))) : null);
}
