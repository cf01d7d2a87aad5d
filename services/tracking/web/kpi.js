import { $, h } from '/assets/common.js';

// The KPI table over the regions and units under a region, and the trend of a chosen KPI day by day (an SVG
// drawn here: no chart library, nothing inline).

const shown = (name, v) =>
  v === null || v === undefined ? '—' : name.endsWith('率') ? `${(v * 100).toFixed(1)}%` : v.toFixed(1);

export function table(report) {
  const names = Object.keys(report.kpis);
  $('kpi-head').replaceChildren(
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, '地区 / 单位'),
      h('th', { scope: 'col', class: 'num' }, '登记'),
      ...names.map((n) => h('th', { scope: 'col', class: 'num' }, n)),
    ),
  );
  const row = (label, r, attrs = {}) =>
    h(
      'tr',
      attrs,
      h('td', { class: 'row-name' }, label),
      h('td', { class: 'num', 'data-label': '登记' }, String(r.counts.items ?? 0)),
      ...names.map((n) => h('td', { class: 'num', 'data-kpi': n, 'data-label': n }, shown(n, r.kpis[n]))),
    );
  $('kpi-rows').replaceChildren(
    row(h('strong', {}, '合计'), report, { 'data-row': 'total' }),
    ...report.rows.map((r) => row(r.name ?? r.unitId, r, { 'data-row': r.unitId })),
  );
  const select = $('trend-kpi');
  if (select.options.length !== names.length) select.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
}

export function chart(report) {
  const name = $('trend-kpi').value;
  const points = report.trend.map((t) => t.kpis[name]);
  const values = points.filter((v) => v !== null);
  const max = name.endsWith('率') ? 1 : Math.max(1, ...values);
  const w = 600;
  const hgt = 200;
  const x = (i) => 30 + (i * (w - 40)) / Math.max(1, points.length - 1);
  const y = (v) => hgt - 20 - (v / max) * (hgt - 40);
  const ns = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
  };
  const path = points
    .map((v, i) => (v === null ? null : `${x(i)},${y(v)}`))
    .filter(Boolean)
    .join(' ');
  const label = (text, attrs) => {
    const t = el('text', { 'font-size': 11, fill: '#646a73', ...attrs });
    t.textContent = text;
    return t;
  };
  $('trend').replaceChildren(
    el('line', { x1: 30, y1: hgt - 20, x2: w - 10, y2: hgt - 20, stroke: '#dee0e3' }),
    label(shown(name, max), { x: 0, y: 24 }),
    label(report.trend[0]?.day ?? '', { x: 30, y: hgt - 4 }),
    label(report.trend.at(-1)?.day ?? '', { x: w - 80, y: hgt - 4 }),
    el('polyline', { points: path, fill: 'none', stroke: '#b71c1c', 'stroke-width': 2 }),
    ...points
      .map((v, i) => (v === null ? null : el('circle', { cx: x(i), cy: y(v), r: 3, fill: '#b71c1c' })))
      .filter(Boolean),
  );
}
