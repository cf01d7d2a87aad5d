import { bodyOf, closeSupervision, form, issueSupervision } from '/assets/case-actions.js';
import {
  $,
  api,
  badge,
  categoryNames,
  day,
  download,
  groundNames,
  h,
  levelNames,
  named,
  outcomeWords,
  refusalWords,
  say,
  signIn,
  stageNames,
  supervisionStateNames,
  time,
  tokenLink,
  tokenStore,
} from '/assets/common.js';
import { chart, table } from '/assets/kpi.js';

// The supervisor dashboard: the overdue board and the 督办单 board of the region and below (by category and
// level), a 督办单 issued on a case and closed once its report is in, the KPI table with its CSV export, and
// the trend of a chosen KPI day by day.

let me;
let report;
const token = () => tokenStore.get();
const unitLabel = (u) => (u ? (u.name ?? u.unitId) : '—');
const caseLink = (c) => tokenLink(`/case?id=${encodeURIComponent(c.caseId)}`, c.caseNumber || c.caseId);

for (const [value, name] of Object.entries(categoryNames)) $('board-category').append(h('option', { value }, name));
for (const [value, name] of Object.entries(levelNames)) $('board-level').append(h('option', { value }, name));

function boardQuery(extra = {}) {
  const q = new URLSearchParams();
  if ($('board-category').value) q.set('category', $('board-category').value);
  if ($('board-level').value) q.set('level', $('board-level').value);
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  return q;
}

/** Puts the case in the 督办单 form and takes the eye there. */
function chooseForIssue(c) {
  $('issue-case').value = c.caseId;
  $('issue-case-number').textContent = c.caseNumber ? `事项 ${c.caseNumber}` : '';
  $('issue').scrollIntoView({ block: 'start' });
  $('issue').querySelector('select, textarea')?.focus();
}

function chooseForClose(s) {
  $('close').hidden = false;
  $('close-case').textContent = s.caseNumber ?? '';
  $('close-form').replaceChildren(wired(closeSupervision, { supervisionId: s.supervisionId }, () => s.caseId));
  $('close').scrollIntoView({ block: 'start' });
  $('close').querySelector('textarea')?.focus();
}
async function loadBoards() {
  const region = encodeURIComponent(me.regionCode);
  const [overdue, supervisions] = await Promise.all([
    api(`/v1/regions/${region}/overdue?${boardQuery()}`, { token: token() }),
    api(`/v1/regions/${region}/supervisions?${boardQuery({ state: $('supervision-state').value })}`, {
      token: token(),
    }),
  ]);
  $('board-rows').replaceChildren(
    ...overdue.cases.map((c) => {
      const supervise = h('button', { type: 'button', class: 'secondary small' }, '督办');
      supervise.setAttribute('aria-label', `督办 ${c.caseNumber}`);
      supervise.addEventListener('click', () => chooseForIssue(c));
      return h(
        'tr',
        { 'data-case': c.caseNumber },
        h('td', { 'data-label': '事项编号' }, caseLink(c)),
        h('td', { 'data-label': '环节' }, named(stageNames, c.stage)),
        h('td', { 'data-label': '期限至' }, day(c.dueTime)),
        h('td', { 'data-label': '超期天数', class: 'num' }, String(c.daysOverdue)),
        h('td', { 'data-label': '责任单位' }, unitLabel(c.unit)),
        h('td', { 'data-label': '督办单位' }, c.supervisedBy ? unitLabel(c.supervisedBy) : '—'),
        h('td', { 'data-label': '操作' }, supervise),
      );
    }),
  );
  $('board-empty').hidden = overdue.cases.length > 0;
  const rows = supervisions.supervisions ?? [];
  $('supervision-rows').replaceChildren(
    ...rows.map((s) => {
      const ours = (s.supervisingUnit?.unitId ?? s.supervisingUnitId) === me.unitId;
      const close = h('button', { type: 'button', class: 'secondary small' }, '办结');
      close.setAttribute('aria-label', `办结 ${s.caseNumber} 的督办单`);
      close.addEventListener('click', () => chooseForClose(s));
      return h(
        'tr',
        { 'data-supervision': s.supervisionId, 'data-case': s.caseNumber, 'data-state': s.state },
        h('td', { 'data-label': '事项编号' }, caseLink(s)),
        h('td', { 'data-label': '事由' }, named(groundNames, s.ground)),
        h('td', { 'data-label': '被督办单位' }, unitLabel(s.supervisedUnit ?? s.unit)),
        h('td', { 'data-label': '督办单位' }, unitLabel(s.supervisingUnit)),
        h(
          'td',
          { 'data-label': '报告期限' },
          day(s.reportDueTime),
          s.state === 'open' && Date.parse(s.reportDueTime) < Date.now() ? badge(['late', '逾期']) : '',
        ),
        h(
          'td',
          { 'data-label': '状态' },
          badge([
            s.state === 'closed' ? 'ok' : s.state === 'answered' ? 'warn' : 'late',
            named(supervisionStateNames, s.state),
          ]),
        ),
        h('td', { 'data-label': '办理情况' }, s.report?.summary ?? s.report ?? '—'),
        h('td', { 'data-label': '操作' }, ours && s.state !== 'closed' ? close : '—'),
      );
    }),
  );
  $('supervisions-empty').hidden = rows.length > 0;
}

/** An action form posting to the case `caseIdOf()` names; routing's answer in words under it. */
function wired(action, preset, caseIdOf) {
  const el = form(action, preset);
  el.addEventListener('submit', async (e) => {
    e.preventDefault();
    const message = el.querySelector('.message');
    const caseId = caseIdOf();
    if (!caseId) return say(message, '请先选择要督办的事项');
    const button = el.querySelector('button[type="submit"]');
    button.disabled = true;
    say(message, '提交中…', true);
    try {
      const answer = await api(`/intake/v1/cases/${encodeURIComponent(caseId)}/${action.path}`, {
        method: 'POST',
        token: token(),
        body: bodyOf(action, el),
      });
      say(message, outcomeWords(answer), true);
      await refreshBoards();
    } catch (err) {
      say(message, refusalWords(err));
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

/** The boards again, a few times while tracking catches up with routing's step. */
async function refreshBoards() {
  for (let i = 0; i < 4; i++) {
    if (i) await new Promise((r) => setTimeout(r, 400));
    await loadBoards().catch((err) => say($('board-message'), err.message));
  }
}

function period() {
  const q = new URLSearchParams();
  if ($('from').value) q.set('from', $('from').value);
  if ($('to').value) q.set('to', $('to').value);
  return q;
}

const hotspotKinds = {
  HOTSPOT_KIND_SURGE: '激增',
  HOTSPOT_KIND_CLUSTER: '群体苗头',
  HOTSPOT_KIND_BREACH_STREAK: '连续超期',
};
const windowNames = { HOTSPOT_WINDOW_HOUR: '一小时', HOTSPOT_WINDOW_DAY: '当日', HOTSPOT_WINDOW_RUN: '连续' };
/** The colour band of a score: 0 none, 1 below 2, 2 below 4 (no surge yet), 3 below 8, 4 from 8. */
const heatOf = (score) => (score <= 0 ? 0 : score < 2 ? 1 : score < 4 ? 2 : score < 8 ? 3 : 4);
const fixed = (n, digits = 1) => (typeof n === 'number' ? n.toFixed(digits) : '—');
/** The region whose hotspots the table shows: the supervisor's own, or a tile chosen in the grid. */
let hotspotRegion;

/** A category's daily counts in a region over the weeks the analysis keeps (situation's /v1/trend), drawn. */
async function showTrend(regionCode, regionName, category) {
  const q = new URLSearchParams({ region: regionCode, category, window: 'day' });
  const answer = await api(`/situation/v1/trend?${q}`, { token: token() });
  const counts = answer.buckets.map((b) => b.count);
  const max = Math.max(1, ...counts);
  const w = 600;
  const hgt = 200;
  const x = (i) => 30 + (i * (w - 40)) / Math.max(1, counts.length - 1);
  const y = (v) => hgt - 20 - (v / max) * (hgt - 40);
  const ns = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  $('hotspot-trend-title').textContent = `${regionName} · ${named(categoryNames, category)} · 逐日信访量`;
  $('hotspot-trend').replaceChildren(
    el('line', { x1: 30, y1: hgt - 20, x2: w - 10, y2: hgt - 20, stroke: '#dee0e3' }),
    el('text', { x: 0, y: 24, 'font-size': 11, fill: '#646a73' }, `${max} 件`),
    el('text', { x: 30, y: hgt - 4, 'font-size': 11, fill: '#646a73' }, day(answer.buckets[0]?.start)),
    el('text', { x: w - 80, y: hgt - 4, 'font-size': 11, fill: '#646a73' }, day(answer.buckets.at(-1)?.start)),
    el('polyline', {
      points: counts.map((v, i) => `${x(i)},${y(v)}`).join(' '),
      fill: 'none',
      stroke: '#b71c1c',
      'stroke-width': 2,
    }),
  );
  $('hotspot-trend-title').hidden = false;
  // An SVG element has no `hidden` property (HTML elements do): the attribute itself goes.
  $('hotspot-trend').removeAttribute('hidden');
}

function trendButton(spot) {
  const button = h('button', { type: 'button', class: 'secondary small' }, '趋势');
  button.setAttribute('aria-label', `${spot.regionName} ${named(categoryNames, spot.evidence.category)} 逐日趋势`);
  button.addEventListener('click', () =>
    showTrend(spot.evidence.regionCode, spot.regionName, spot.evidence.category).catch((err) =>
      say($('hotspots-message'), err.message),
    ),
  );
  return button;
}

/** The open hotspots of the region and below (situation, through /situation/*) and the grid under it. */
async function loadHotspots() {
  const region = hotspotRegion ?? me.regionCode;
  const answer = await api(`/situation/v1/hotspots?region=${encodeURIComponent(region)}`, { token: token() });
  // The grid is always the signed-in bureau's own region: asked once when no tile is chosen.
  const own =
    region === me.regionCode
      ? answer
      : await api(`/situation/v1/hotspots?region=${encodeURIComponent(me.regionCode)}`, { token: token() });
  $('hotspot-grid').replaceChildren(
    ...own.regions.map((r) => {
      const tile = h(
        'button',
        {
          type: 'button',
          class: `heat-${heatOf(r.score)}`,
          'data-region': r.code,
          'aria-pressed': String(r.code === hotspotRegion),
        },
        h('strong', {}, r.name),
        h('br'),
        r.score > 0 ? `评分 ${fixed(r.score)}` : '无预警',
      );
      tile.addEventListener('click', () => {
        hotspotRegion = hotspotRegion === r.code ? undefined : r.code;
        loadHotspots().catch((err) => say($('hotspots-message'), err.message));
      });
      return h('li', {}, tile);
    }),
  );
  $('hotspot-rows').replaceChildren(
    ...answer.hotspots.map((spot) => {
      const e = spot.evidence;
      const samples = (e.sampleCaseIds ?? [])
        .slice(0, 3)
        .map((caseId) => tokenLink(`/case?id=${encodeURIComponent(caseId)}`, caseId.slice(0, 8)));
      return h(
        'tr',
        { 'data-hotspot': spot.hotspotId, 'data-region': e.regionCode },
        h('td', { 'data-label': '类型' }, badge(['late', named(hotspotKinds, e.kind)])),
        h('td', { 'data-label': '地区' }, spot.regionName ?? e.regionCode),
        h(
          'td',
          { 'data-label': '类别' },
          !e.category || e.category === 'CATEGORY_UNSPECIFIED' ? '—' : named(categoryNames, e.category),
        ),
        h('td', { 'data-label': '时段' }, named(windowNames, e.window)),
        h('td', { 'data-label': '件数', class: 'num' }, String(e.count ?? 0)),
        h('td', { 'data-label': '基线', class: 'num' }, fixed(e.baselineMean ?? 0, 2)),
        h('td', { 'data-label': '评分', class: 'num' }, fixed(e.score)),
        h('td', { 'data-label': '发现时间' }, time(spot.detectedAt)),
        h('td', { 'data-label': '样例事项' }, ...samples.flatMap((link, i) => (i ? [' ', link] : [link]))),
        h(
          'td',
          { 'data-label': '趋势' },
          !e.category || e.category === 'CATEGORY_UNSPECIFIED' ? '—' : trendButton(spot),
        ),
      );
    }),
  );
  $('hotspots-empty').hidden = answer.hotspots.length > 0;
  $('hotspots-region').textContent = answer.regionName ?? region;
}

async function loadKpis() {
  report = await api(`/v1/regions/${me.regionCode}/kpis?${period()}`, { token: token() });
  $('from').value = report.period.from;
  $('to').value = report.period.to;
  table(report);
  chart(report);
}

signIn(async (t) => {
  me = await api('/v1/me', { token: t });
  if (!me.supervisor) throw new Error(`${me.name} 不是信访部门、人民政府或党委，无督查督办权限`);
  $('region-name').textContent = me.name;
  $('board-region').textContent = me.name;
  $('issue-form').replaceChildren(wired(issueSupervision, {}, () => $('issue-case').value.trim()));
  for (const id of ['login', 'board', 'issue', 'kpis', 'hotspots']) $(id).hidden = id === 'login';
  // Hotspots come from another service: the rest of the page does not wait for it, nor fail with it.
  const refreshHotspots = () =>
    loadHotspots().catch((err) => say($('hotspots-message'), `热点暂不可用：${err.message}`));
  refreshHotspots();
  // A hotspot forming is seen within a minute of the petition that made it one, without a click.
  setInterval(refreshHotspots, 30_000);
  $('hotspots-refresh').addEventListener('click', refreshHotspots);
  await Promise.all([loadKpis(), loadBoards()]);
});

$('board-filters').addEventListener('submit', (e) => {
  e.preventDefault();
  loadBoards().catch((err) => say($('board-message'), err.message));
});
$('supervision-state').addEventListener('change', () =>
  loadBoards().catch((err) => say($('board-message'), err.message)),
);
$('period-form').addEventListener('submit', (e) => {
  e.preventDefault();
  loadKpis().catch((err) => say($('kpi-message'), err.message));
});
$('trend-kpi').addEventListener('change', () => chart(report));
$('kpi-csv').addEventListener('click', () =>
  download(
    `/v1/regions/${me.regionCode}/kpis.csv?${period()}`,
    token(),
    `考核指标-${me.regionCode}-${$('from').value}-${$('to').value}.csv`,
  ).catch((err) => say($('kpi-message'), err.message)),
);
