// DHT: the nodes on the 160-bit id ring; a node's routing table by bucket (drawn as chords to its
// contacts); which nodes hold a key and how close each node is to it.
import { api, errorBox, fill, h, hashParams, nodeChip, nodeColor, s, setHashParams, shortId } from '../core.js';

const size = 440, centre = size / 2, radius = 170;

export function mount(root) {
  const params = hashParams();
  let alive = true;
  let selected = params.node ?? '';
  let key = params.key ?? '';
  let table = null;
  let placement = null;
  let ring = [];
  const ringBox = h('div', { class: 'card ring', id: 'dht-ring' });
  const tableBox = h('div', { class: 'card pad', id: 'routing-table' });
  const keyInput = h('input', { id: 'dht-key', type: 'search', placeholder: 'a key, e.g. greeting', value: key });
  const keyBox = h('div', { class: 'card pad', id: 'key-holders' });
  const form = h('form', { class: 'inline', onsubmit: event => { event.preventDefault(); key = keyInput.value; setHashParams({ node: selected, key }); loadKey(); } },
    keyInput, h('button', { type: 'submit' }, 'Find holders'));
  root.append(
    h('div', { class: 'toolbar' }, h('h1', {}, 'DHT'), h('span', { class: 'muted' }, 'click a node on the ring to see its routing table')),
    h('div', { class: 'two' },
      h('section', {}, ringBox, h('h2', {}, 'Which nodes hold a key?'), form, keyBox),
      h('section', {}, tableBox)));

  async function refresh() {
    const data = await api('/dht/ring');
    if (!alive) return;
    ring = data.nodes;
    if (!selected && ring.length) selected = ring[0].name;
    await Promise.all([loadTable(), key ? loadKey() : null]);
    draw();
  }

  async function loadTable() {
    if (!selected) return;
    try {
      table = await api(`/dht/nodes/${encodeURIComponent(selected)}/routing-table`);
      if (!alive) return;
      renderTable();
    } catch (error) {
      table = null;
      fill(tableBox, h('h2', {}, `Routing table of ${selected}`), errorBox(error));
    }
  }

  async function loadKey() {
    if (!key) { placement = null; fill(keyBox); draw(); return; }
    try {
      placement = await api(`/dht/keys/${encodeURIComponent(key)}`);
      if (!alive) return;
      fill(keyBox,
        h('div', { class: 'muted' }, 'key id ', h('code', {}, placement.keyId), ` · held by ${placement.holders} node(s)`),
        h('table', { class: 'grid', id: 'holders' },
          h('thead', {}, h('tr', {}, ['Rank', 'Node', 'XOR distance', 'Holds', 'Origin', 'Expires'].map(c => h('th', {}, c)))),
          h('tbody', {}, placement.nodes.map(n => h('tr', { 'data-node': n.node, class: n.holds ? 'holds' : '' },
            h('td', { class: 'num' }, n.rank), h('td', {}, nodeChip(n.node)),
            h('td', { class: 'num', title: 'length of the XOR distance in bits' }, n.distanceBits === undefined ? '' : `${n.distanceBits} bits`),
            h('td', {}, n.holds ? '✔' : n.error ? h('span', { class: 'muted' }, n.error) : ''),
            h('td', {}, n.origin ?? ''), h('td', { class: 'nowrap' }, n.expiresAt ? new Date(n.expiresAt).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }) : ''))))));
    } catch (error) {
      placement = null;
      fill(keyBox, errorBox(error));
    }
    draw();
  }

  function renderTable() {
    const buckets = table.buckets.filter(b => b.contacts.length > 0 || b.replacements.length > 0);
    fill(tableBox,
      h('h2', {}, 'Routing table of ', nodeChip(selected), h('span', { class: 'muted' }, ` ${table.size} contacts, k = ${table.k}, ${table.buckets.length} buckets`)),
      buckets.length === 0 ? h('div', { class: 'muted' }, 'No contacts.') : null,
      buckets.map(b => h('div', { class: 'bucket', 'data-bucket': b.index },
        h('div', { class: 'bucket-head' },
          h('b', {}, `bucket ${b.index}`), h('span', { class: 'muted' }, ` depth ${b.depth} · ${shortId(b.low)}… – ${shortId(b.high)}…`),
          h('div', { class: 'fillbar' }, h('div', { style: { width: `${b.fill * 100}%` } })), h('span', {}, `${b.contacts.length}/${table.k}`)),
        h('table', { class: 'grid compact' }, h('tbody', {}, b.contacts.map(c => h('tr', {},
          h('td', {}, c.node ? nodeChip(c.node) : h('span', { class: 'muted' }, 'unknown')),
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
    const svg = s('svg', { viewBox: `-50 0 ${size + 100} ${size}`, class: 'ring-svg' });
    svg.append(s('circle', { cx: centre, cy: centre, r: radius, class: 'ring-line' }));
    for (const [label, position] of [['0', 0], ['2¹⁵⁸', 0.25], ['2¹⁵⁹', 0.5], ['3·2¹⁵⁸', 0.75]]) {
      const [x, y] = point(position, radius + 28);
      svg.append(s('text', { x, y: y + 4, class: 'axis', 'text-anchor': 'middle' }, label));
    }
    const byId = new Map(ring.filter(n => n.nodeId).map(n => [n.nodeId, n]));
    const from = ring.find(n => n.name === selected);
    if (table && from?.position !== undefined) {
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
        if (node?.position === undefined) continue;
        const [x, y] = point(node.position);
        svg.append(s('line', { x1: kx, y1: ky, x2: x, y2: y, class: 'key-line' }));
      }
      const [lx, ly] = point(placement.ringPosition, radius - 22);
      svg.append(s('rect', { x: kx - 6, y: ky - 6, width: 12, height: 12, class: 'key-mark', transform: `rotate(45 ${kx} ${ky})` }, s('title', {}, `key ${placement.key}`)));
      svg.append(s('text', { x: lx, y: ly + 4, class: 'key-label', 'text-anchor': 'middle' }, placement.key.length > 14 ? placement.key.slice(0, 13) + '…' : placement.key));
    }
    for (const node of ring) {
      if (node.position === undefined) continue;
      const [x, y] = point(node.position);
      const [lx, ly] = point(node.position, radius + 12);
      const group = s('g', { class: `ring-node ${node.isRunning ? '' : 'down'} ${node.name === selected ? 'selected' : ''}`, 'data-node': node.name,
        onclick: () => { selected = node.name; setHashParams({ node: selected, key }); table = null; loadTable().then(draw); } },
      s('circle', { cx: x, cy: y, r: node.name === selected ? 9 : 6.5, fill: node.isRunning ? nodeColor(node.name) : '#9ca3af' }),
      s('text', { x: lx, y: ly + 4, 'text-anchor': lx < centre - 5 ? 'end' : lx > centre + 5 ? 'start' : 'middle', class: 'ring-label' }, node.name),
      s('title', {}, `${node.name} ${node.nodeId ?? ''} (${node.state})`));
      svg.append(group);
    }
    svg.append(s('text', { x: centre, y: centre - 6, class: 'ring-centre', 'text-anchor': 'middle' }, '160-bit id space'));
    svg.append(s('text', { x: centre, y: centre + 12, class: 'axis', 'text-anchor': 'middle' }, `${ring.filter(n => n.isRunning).length} nodes running`));
    fill(ringBox, svg);
  }

  return { refresh, dispose: () => { alive = false; } };
}
