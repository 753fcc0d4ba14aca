// SVG charts drawn from the API's JSON: a multi-line chart over time windows, and a heat map.
import { h, s } from './core.js';

const lineColors = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

/**
 * A line chart of series sharing windows: { from, stepMs, windows } and series [{ name, values }]
 * (one value per window, null for none). unit formats the y axis.
 */
export function lineChart(title, chart, series, unit = '') {
  const width = 560, height = 190, left = 48, right = 12, top = 12, bottom = 24;
  const plotWidth = width - left - right, plotHeight = height - top - bottom;
  const values = series.flatMap(line => line.values).filter(v => v !== null && v !== undefined);
  const max = niceMax(values.length ? Math.max(...values) : 0);
  const x = i => left + (chart.windows <= 1 ? 0 : (i / (chart.windows - 1)) * plotWidth);
  const y = v => top + plotHeight - (max === 0 ? 0 : (v / max) * plotHeight);

  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title });
  for (let tick = 0; tick <= 4; tick++) {
    const value = (max * tick) / 4;
    svg.append(s('line', { x1: left, x2: width - right, y1: y(value), y2: y(value), class: 'grid' }));
    svg.append(s('text', { x: left - 6, y: y(value) + 4, class: 'axis', 'text-anchor': 'end' }, format(value, unit)));
  }
  const minutes = (chart.windows * chart.stepMs) / 60000;
  for (let tick = 0; tick <= 4; tick++) {
    const i = Math.round(((chart.windows - 1) * tick) / 4);
    const ago = minutes - (minutes * tick) / 4;
    svg.append(s('text', { x: x(i), y: height - 6, class: 'axis', 'text-anchor': tick === 0 ? 'start' : tick === 4 ? 'end' : 'middle' },
      ago === 0 ? 'now' : `-${ago % 1 === 0 ? ago : ago.toFixed(1)}m`));
  }
  series.forEach((line, index) => {
    const color = lineColors[index % lineColors.length];
    let path = '';
    let pen = false;
    line.values.forEach((value, i) => {
      if (value === null || value === undefined) { pen = false; return; }
      path += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(value).toFixed(1)}`;
      pen = true;
    });
    if (path) svg.append(s('path', { d: path, stroke: color, class: 'line' }));
    // A window with no neighbours would draw no line: mark it with a dot.
    line.values.forEach((value, i) => {
      const isolated = value !== null && value !== undefined
        && (line.values[i - 1] ?? null) === null && (line.values[i + 1] ?? null) === null;
      if (isolated) svg.append(s('circle', { cx: x(i), cy: y(value), r: 2.5, fill: color }));
    });
  });

  const legend = h('div', { class: 'legend' }, series.length === 0
    ? h('span', { class: 'muted' }, 'nothing recorded yet')
    : series.map((line, index) => {
      const last = [...line.values].reverse().find(v => v !== null && v !== undefined);
      return h('span', {}, h('i', { style: { background: lineColors[index % lineColors.length] } }), `${line.name} `,
        h('b', {}, last === undefined ? '–' : format(last, unit)));
    }));
  return h('figure', { class: 'card chart-card' }, h('figcaption', {}, title), svg, legend);
}

/**
 * A heat map: rows (label, cells [0..1], dim) × columns; cell colour by value, tooltip by title(row, column, value).
 */
export function heatMap(rows, columns, title) {
  const cell = columns <= 10 ? 28 : columns <= 24 ? 20 : 14, gap = 2, labelWidth = 70, top = 18;
  const width = labelWidth + columns * (cell + gap) + 4;
  const height = top + rows.length * (cell + gap) + 4;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'heatmap', role: 'img', 'aria-label': 'bucket fill heat map' });
  for (let column = 0; column < columns; column++) {
    if (column % 5 === 0 || columns <= 20) {
      svg.append(s('text', { x: labelWidth + column * (cell + gap) + cell / 2, y: 12, class: 'axis', 'text-anchor': 'middle' }, column));
    }
  }
  rows.forEach((row, r) => {
    const y = top + r * (cell + gap);
    svg.append(s('text', { x: labelWidth - 6, y: y + cell / 2 + 4, class: row.dim ? 'axis dim' : 'axis', 'text-anchor': 'end' }, row.label));
    for (let column = 0; column < columns; column++) {
      const value = row.cells[column];
      const present = value !== undefined && value !== null;
      svg.append(s('rect', {
        x: labelWidth + column * (cell + gap), y, width: cell, height: cell, rx: 3,
        fill: present ? heat(value) : '#f3f4f6', opacity: row.dim ? 0.35 : 1,
        'data-row': row.label, 'data-column': column,
      }, s('title', {}, title(row, column, value))));
    }
  });
  return svg;
}

/** White (empty) to deep blue (full), through a perceptually even-ish ramp. */
export function heat(value) {
  const v = Math.max(0, Math.min(1, value));
  if (v === 0) return '#e5e7eb';
  const hue = 210 - v * 20, light = 88 - v * 58;
  return `hsl(${hue} 80% ${light}%)`;
}

function niceMax(value) {
  if (value <= 0) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function format(value, unit) {
  const digits = value !== 0 && Math.abs(value) < 10 ? (Math.abs(value) < 1 ? 2 : 1) : 0;
  return `${value.toFixed(digits)}${unit}`;
}
