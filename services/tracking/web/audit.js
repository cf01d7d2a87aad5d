import { $, api, h, pager, say, signIn, time, tokenStore, unitName } from '/assets/common.js';

// The access audit for auditors and supervisors: every opening of a petitioner's personal data by staff of
// this unit and the units under it — who, when, which case, why, what was shown — newest first, paged.

let me;

const roleNames = {
  registrar: '登记',
  handler: '办理',
  reviewer: '复查复核',
  supervisor: '督查',
  leader: '领导',
  auditor: '审计',
};
const fieldNames = {
  PERSONAL_DATA_FIELD_NAME: '姓名',
  PERSONAL_DATA_FIELD_ID_NUMBER: '证件号码',
  PERSONAL_DATA_FIELD_PHONE: '电话',
  PERSONAL_DATA_FIELD_ADDRESS: '住址',
};
/** `petitioner`, or `representative:2` for the second representative. */
const subjectName = (s) => (s === 'petitioner' ? '信访人' : s.replace(/^representative:(\d+)$/, '代表$1'));
const words = (name, list) => (list ?? []).map(name).join('、') || '—';

function row(e, unit) {
  return h(
    'tr',
    { 'data-audit': e.eventId, 'data-case': e.caseNumber },
    h('td', { 'data-label': '时间' }, time(e.time)),
    h('td', { 'data-label': '事项编号' }, e.caseNumber || e.caseId),
    h('td', { 'data-label': '查看人' }, e.staffId),
    h('td', { 'data-label': '单位' }, unit),
    h(
      'td',
      { 'data-label': '角色' },
      words((r) => roleNames[r] ?? r, e.roles),
    ),
    h('td', { 'data-label': '理由' }, e.reason),
    h(
      'td',
      { 'data-label': '查看内容' },
      `${words(subjectName, e.subjects)}：${words((f) => fieldNames[f] ?? f, e.fields)}`,
    ),
  );
}

const entries = pager({ prev: $('audit-prev'), next: $('audit-next'), where: $('audit-page') }, async (cursor) => {
  try {
    const q = new URLSearchParams({ limit: '20' });
    if ($('audit-case').value.trim()) q.set('caseId', $('audit-case').value.trim());
    if ($('audit-unit-id').value.trim()) q.set('unitId', $('audit-unit-id').value.trim());
    if (cursor) q.set('cursor', cursor);
    const answer = await api(`/v1/audit?${q}`, { token: tokenStore.get() });
    const units = await Promise.all(answer.entries.map((e) => unitName(e.unitId)));
    $('audit-rows').replaceChildren(...answer.entries.map((e, i) => row(e, units[i])));
    $('audit-empty').hidden = answer.entries.length > 0;
    say($('audit-message'), '');
    return answer.next ?? null;
  } catch (err) {
    say($('audit-message'), err.status === 403 ? `无权查阅访问审计：${err.message}` : err.message);
    return null;
  }
});

signIn(async (token) => {
  me = await api('/v1/me', { token });
  $('audit-unit').textContent = me.name;
  $('login').hidden = true;
  $('audit').hidden = false;
  await entries.first();
});

$('audit-filters').addEventListener('submit', (e) => {
  e.preventDefault();
  entries.first();
});
