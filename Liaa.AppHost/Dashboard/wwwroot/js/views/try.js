// Try it: put or get a key through any node, then follow the request into its trace.
import { api, errorBox, fill, h, hashParams, ms, nodeChip, nodeSelect } from '../core.js';

const history = [];

export function mount(root) {
  const params = hashParams();
  let alive = true;
  let nodesShown = '';
  const nodePicker = h('span');
  const key = h('input', { id: 'try-key', required: true, placeholder: 'greeting', value: params.key ?? '' });
  const value = h('input', { id: 'try-value', placeholder: 'hello, Kademlia', value: '' });
  const type = h('select', { id: 'try-type' }, [['text', 'text'], ['json', 'JSON scalar'], ['hex', 'bytes (hex)']].map(([v, l]) => h('option', { value: v }, l)));
  const putButton = h('button', { id: 'try-put', class: 'primary', type: 'submit', value: 'put' }, 'Put');
  const getButton = h('button', { id: 'try-get', type: 'submit', value: 'get' }, 'Get');
  const result = h('div', { id: 'try-result' });
  const past = h('div', { class: 'card', id: 'try-history' });
  const form = h('form', { class: 'card pad tryform', onsubmit: submit },
    h('label', {}, 'through node', nodePicker),
    h('label', {}, 'key', key),
    h('label', {}, 'value (for put)', value),
    h('label', {}, 'type', type),
    h('div', { class: 'buttons' }, putButton, getButton));
  root.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Try it')),
    h('p', { class: 'muted' }, 'Puts and gets go through the chosen node\u2019s HTTP API (PUT|GET /v1/values/{key}); each request is traced across every node it reaches.'),
    form, result, h('h2', {}, 'Recent requests'), past);
  renderHistory();

  async function submit(event) {
    event.preventDefault();
    const operation = event.submitter?.value ?? 'put';
    const node = document.getElementById('try-node')?.value;
    putButton.disabled = getButton.disabled = true;
    fill(result, h('div', { class: 'info' }, `${operation} ${key.value} through ${node}…`));
    try {
      const body = { node, key: key.value };
      if (operation === 'put') Object.assign(body, { value: value.value, type: type.value });
      const answer = await api(`/try/${operation}`, { method: 'POST', body });
      history.unshift(answer);
      history.splice(20);
      if (!alive) return;
      fill(result, outcome(answer));
      renderHistory();
    } catch (error) {
      fill(result, errorBox(error));
    } finally {
      putButton.disabled = getButton.disabled = false;
    }
  }

  function renderHistory() {
    fill(past, history.length === 0 ? h('div', { class: 'muted pad' }, 'Nothing yet.') :
      h('table', { class: 'grid' }, h('tbody', {}, history.map(a => h('tr', {},
        h('td', {}, a.operation), h('td', {}, nodeChip(a.node)), h('td', {}, h('code', {}, a.key)),
        h('td', {}, a.ok ? h('span', { class: 'pill ok' }, a.status) : h('span', { class: 'pill level-error' }, a.status || 'failed')),
        h('td', { class: 'num' }, ms(a.elapsedMs)),
        h('td', {}, h('a', { href: `#/trace/${a.traceId}`, class: 'trace-link' }, 'trace →')))))));
  }

  async function refresh() {
    const nodes = await api('/nodes');
    const running = nodes.filter(n => n.isRunning);
    const signature = running.map(n => n.name).join();
    if (!alive || signature === nodesShown) return;
    fill(nodePicker, nodeSelect('try-node', running, document.getElementById('try-node')?.value ?? params.node ?? running[0]?.name));
    nodesShown = signature;
  }

  return { refresh, dispose: () => { alive = false; } };
}

function outcome(answer) {
  return h('div', { class: `card pad result ${answer.ok ? 'good' : 'bad'}`, 'data-trace': answer.traceId },
    h('div', { class: 'result-line' },
      h('b', {}, answer.operation.toUpperCase()), ' ', h('code', {}, answer.key), ' via ', nodeChip(answer.node), ' → ',
      answer.ok ? h('span', { class: 'pill ok' }, `${answer.status}`) : h('span', { class: 'pill level-error' }, answer.status ? `${answer.status}` : 'no answer'),
      ` in ${ms(answer.elapsedMs)}`),
    answer.operation === 'get' && answer.ok ? h('div', {}, 'value: ', h('code', { id: 'try-value-out' }, answer.value)) : null,
    answer.operation === 'put' && answer.ok ? h('div', {}, stored(answer.value)) : null,
    answer.error ? h('div', { class: 'muted' }, answer.error) : null,
    h('div', {}, h('a', { href: `#/trace/${answer.traceId}`, class: 'trace-link big', id: 'try-trace-link' }, 'Open the trace of this request →'),
      '  ', h('a', { href: `#/dht?key=${encodeURIComponent(answer.key)}` }, 'Which nodes hold it?'),
      h('span', { class: 'muted' }, ` key id ${answer.keyId ?? ''}`)));
}

// The node answers a put with {key, storedAt, asked}: how many of the closest nodes took the value.
function stored(body) {
  try {
    const result = JSON.parse(body);
    return `stored on ${result.storedAt} of the ${result.asked} closest nodes asked`;
  } catch {
    return body;
  }
}
