// Small helpers shared by every view: DOM building (text only, never HTML strings), the JSON API,
// formatting, and stable colours per node.

/** Creates an element: h('td', {class: 'x', onclick: fn}, 'text', child, [more]) */
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'style' && typeof value === 'object') {
      for (const [property, setting] of Object.entries(value)) {
        if (setting === undefined) continue;
        if (property.startsWith('--')) element.style.setProperty(property, setting);
        else element.style[property] = setting;
      }
    }
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

/** Same as h for SVG elements. */
export function s(tag, attributes, ...children) {
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

/** Replaces an element's children. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
  }
}

/** Calls the dashboard's JSON API; throws ApiError with the problem details on failure. */
export async function api(path, options = {}) {
  const init = { method: options.method ?? 'GET', headers: { Accept: 'application/json' } };
  if (options.body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch('/api' + path, init);
  if (response.status === 204) return null;
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, json?.title, json?.detail);
  return json;
}

export function query(params) {
  const pairs = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return pairs.length ? '?' + new URLSearchParams(pairs).toString() : '';
}

export function ms(value) {
  if (value === null || value === undefined) return '';
  if (value < 1) return `${(value * 1000).toFixed(0)} µs`;
  if (value < 1000) return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
  return `${(value / 1000).toFixed(2)} s`;
}

export function uptime(seconds) {
  if (seconds === null || seconds === undefined) return '';
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return date.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(date.getMilliseconds()).padStart(3, '0');
}

export function shortId(id) {
  return id ? id.slice(0, 8) : '';
}

// Node colours: by the number in node-N, so a node keeps its colour across pages and restarts.
const palette = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d',
  '#ea580c', '#4f46e5', '#0d9488', '#b91c1c', '#9333ea', '#ca8a04', '#0284c7', '#16a34a'];

export function nodeColor(name) {
  const match = /(\d+)$/.exec(name ?? '');
  if (!match) return '#6b7280';
  return palette[Number(match[1]) % palette.length];
}

export function nodeChip(name, attributes = {}) {
  return h('span', { class: 'chip', style: { '--c': nodeColor(name) }, ...attributes }, name);
}

export function statePill(state) {
  return h('span', { class: `pill state-${state}` }, state);
}

/** A <select> of the nodes, with an optional "all nodes" entry; keeps the selection across refreshes. */
export function nodeSelect(id, nodes, selected, allLabel) {
  const select = h('select', { id });
  if (allLabel) select.append(h('option', { value: '' }, allLabel));
  for (const node of nodes) select.append(h('option', { value: node.name, selected: node.name === selected }, node.name));
  return select;
}

/** The route's parameters: #/traces?node=node-1 → { node: 'node-1' }. */
export function hashParams() {
  const hash = location.hash;
  const index = hash.indexOf('?');
  return Object.fromEntries(new URLSearchParams(index < 0 ? '' : hash.slice(index + 1)));
}

/** Rewrites the hash's parameters without adding history entries or re-rendering. */
export function setHashParams(params) {
  const hash = location.hash;
  const index = hash.indexOf('?');
  const base = index < 0 ? hash : hash.slice(0, index);
  history.replaceState(null, '', base + query(params));
}

export function errorBox(error) {
  return h('div', { class: 'error' }, error instanceof ApiError && error.title ? `${error.title}: ${error.message}` : String(error.message ?? error));
}
