// Resources: every node with its state, pid, endpoints, uptime and gauges; lifecycle buttons.
import { api, errorBox, fill, h, nodeChip, shortId, statePill, uptime } from '../core.js';

export function mount(root) {
  const pending = new Map();
  let nodes = [];
  const status = h('div', { class: 'status', id: 'resources-status' });
  const body = h('tbody');
  const addButton = h('button', { id: 'add-node', class: 'primary', onclick: add }, 'Add node');
  root.append(
    h('div', { class: 'toolbar' }, h('h1', {}, 'Resources'), h('div', { class: 'spacer' }), addButton),
    status,
    h('div', { class: 'card' }, h('table', { class: 'grid', id: 'nodes' },
      h('thead', {}, h('tr', {}, ['Name', 'State', 'PID', 'Node id', 'UDP', 'HTTP', 'Uptime', 'Restarts', 'Contacts', 'Keys', 'Actions', 'Views'].map(c => h('th', {}, c)))),
      body)));

  function render() {
    fill(body, nodes.map(node => {
      const action = pending.get(node.name);
      const running = node.isRunning;
      const button = (name, label, enabled) => h('button', {
        class: 'small', 'data-action': name, disabled: !!action || !enabled,
        onclick: () => act(node.name, name),
      }, label);
      return h('tr', { 'data-node': node.name, 'data-state': node.state },
        h('td', { class: 'nowrap' }, nodeChip(node.name), node.isSeed ? h('span', { class: 'badge' }, 'seed') : null),
        h('td', { class: 'state', title: node.lastError ?? '' }, action ? h('span', { class: 'pill state-pending' }, `${action}…`) : statePill(node.state),
          node.state === 'crashed' && node.exitCode !== undefined ? h('span', { class: 'muted' }, ` exit ${node.exitCode}`) : null,
          node.state === 'stopped' && node.exitCode !== undefined ? h('span', { class: 'muted' }, ` exit ${node.exitCode}`) : null),
        h('td', { class: 'num' }, node.pid ?? ''),
        h('td', { title: node.nodeId ?? '' }, h('code', {}, shortId(node.nodeId))),
        h('td', {}, h('code', {}, node.udp ?? '')),
        h('td', {}, node.http ? h('a', { href: node.http + '/v1/node', target: '_blank' }, node.http.replace('http://', '')) : ''),
        h('td', { class: 'num' }, running ? uptime(node.uptimeSeconds) : ''),
        h('td', { class: 'num' }, node.restartCount),
        h('td', { class: 'num routing' }, running ? node.routingTableSize ?? '…' : ''),
        h('td', { class: 'num keys' }, running ? node.storedKeys ?? '…' : ''),
        h('td', { class: 'actions' },
          button('start', 'Start', !running),
          button('stop', 'Stop', running),
          button('restart', 'Restart', true),
          button('kill', 'Kill', running)),
        h('td', { class: 'links' },
          h('a', { href: `#/console/${node.name}`, title: 'console output' }, 'console'), ' · ',
          h('a', { href: `#/logs?node=${node.name}`, title: 'structured logs' }, 'logs'), ' · ',
          h('a', { href: `#/traces?node=${node.name}`, title: 'traces through this node' }, 'traces'), ' · ',
          h('a', { href: `#/dht?node=${node.name}`, title: 'routing table' }, 'table')));
    }));
  }

  async function act(name, action) {
    pending.set(name, action);
    render();
    fill(status, h('div', { class: 'info' }, `${action} ${name}…`));
    try {
      const node = await api(`/nodes/${encodeURIComponent(name)}/${action}`, { method: 'POST' });
      fill(status, h('div', { class: 'info' }, `${name} is ${node.state}.`));
    } catch (error) {
      fill(status, errorBox(error));
    } finally {
      pending.delete(name);
      await refresh();
    }
  }

  async function add() {
    addButton.disabled = true;
    fill(status, h('div', { class: 'info' }, 'Adding a node…'));
    try {
      const node = await api('/nodes', { method: 'POST' });
      fill(status, h('div', { class: 'info' }, `${node.name} joined (${node.state}).`));
    } catch (error) {
      fill(status, errorBox(error));
    } finally {
      addButton.disabled = false;
      await refresh();
    }
  }

  async function refresh() {
    nodes = await api('/nodes');
    render();
  }

  return { refresh };
}
