import {
  $,
  api,
  badge,
  categoryNames,
  day,
  h,
  named,
  openWithToken,
  pager,
  say,
  signIn,
  stateNames,
  tokenLink,
  tokenStore,
} from '/assets/common.js';
import { renderNotices } from '/assets/notices.js';

// The unit workbench: the unit's inbox by due date, paged, filtered by state, category and overdue, searched
// by case number or words of the title; the unit's notices with their read marks. A case opens on its own
// page (/case), in a new tab that takes this page's token.

let me;

for (const [value, name] of Object.entries(stateNames)) $('filter-state').append(h('option', { value }, name));
for (const [value, name] of Object.entries(categoryNames)) $('filter-category').append(h('option', { value }, name));

const caseLink = (c) => tokenLink(`/case?id=${encodeURIComponent(c.caseId)}`, c.caseNumber);

// The registration page opens in its own tab and takes this page's token, as a case's page does.
$('register-link').addEventListener('click', (e) => {
  if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
  e.preventDefault();
  openWithToken('/register');
});

function inboxQuery(cursor) {
  const q = new URLSearchParams({ limit: '20' });
  const words = $('q').value.trim();
  if (words) q.set('q', words);
  if ($('filter-state').value) q.set('state', $('filter-state').value);
  if ($('filter-category').value) q.set('category', $('filter-category').value);
  if ($('filter-overdue').checked) q.set('overdue', 'true');
  if (cursor) q.set('cursor', cursor);
  return q;
}

/** The category the classifier would give instead of the registered one (only sent when it is sure): a hint. */
function categoryAdvice(advice) {
  if (!advice) return undefined;
  const percent = Math.round(advice.confidence * 100);
  return h(
    'span',
    { class: 'muted', title: '分类建议仅供参考，如需更改请在事项页面办理' },
    ` 建议：${named(categoryNames, advice.category)}（${percent}%）`,
  );
}

function inboxRow(c) {
  const marks = [
    c.overdue ? badge(['late', '已超期']) : c.warned ? badge(['warn', '即将到期']) : undefined,
    c.supervised ? badge(['late', '督办']) : undefined,
    c.leader ? badge(['ok', '领导包案']) : undefined,
    c.urges ? badge(['warn', `催办 ${c.urges} 次`]) : undefined,
    c.repeatCandidates ? badge(['warn', '疑似重复']) : undefined,
  ].filter(Boolean);
  return h(
    'tr',
    { 'data-case': c.caseNumber },
    h('td', { 'data-label': '事项编号' }, caseLink(c)),
    h('td', { 'data-label': '标题' }, c.title || '—'),
    h('td', { 'data-label': '类别' }, named(categoryNames, c.category), categoryAdvice(c.suggestedCategory)),
    h('td', { 'data-label': '状态' }, named(stateNames, c.state)),
    h('td', { 'data-label': '期限至' }, day(c.dueTime)),
    h('td', { 'data-label': '标记' }, ...marks.flatMap((m) => [m, ' '])),
  );
}

const inbox = pager({ prev: $('inbox-prev'), next: $('inbox-next'), where: $('inbox-page') }, async (cursor) => {
  try {
    const answer = await api(`/v1/units/${encodeURIComponent(me.unitId)}/inbox?${inboxQuery(cursor)}`, {
      token: tokenStore.get(),
    });
    $('inbox-rows').replaceChildren(...answer.cases.map(inboxRow));
    $('inbox-empty').hidden = answer.cases.length > 0;
    $('inbox-total').textContent = answer.total === undefined ? '' : `共 ${answer.total} 件`;
    say($('inbox-message'), '');
    return answer.next ?? null;
  } catch (err) {
    say($('inbox-message'), err.message);
    return null;
  }
});

async function markRead(body) {
  try {
    await api(`/v1/units/${encodeURIComponent(me.unitId)}/notices/read`, {
      method: 'POST',
      token: tokenStore.get(),
      body,
    });
    await notices.again();
  } catch (err) {
    say($('notices-message'), err.message);
  }
}

const notices = pager({ prev: $('notices-prev'), next: $('notices-next') }, async (cursor) => {
  try {
    const q = new URLSearchParams({ limit: '10' });
    if ($('notices-unread-only').checked) q.set('unread', 'true');
    if (cursor) q.set('cursor', cursor);
    const answer = await api(`/v1/units/${encodeURIComponent(me.unitId)}/notices?${q}`, { token: tokenStore.get() });
    renderNotices($('notice-list'), answer.notices, {
      markRead: (noticeId) => markRead({ noticeIds: [noticeId] }),
      caseLink: (n) => (n.caseId ? caseLink(n) : n.caseNumber),
      showUrgent: true,
    });
    $('notices-unread').textContent = answer.unread ? `${answer.unread} 条未读` : '';
    $('notices-empty').hidden = answer.notices.length > 0;
    say($('notices-message'), '');
    return answer.next ?? null;
  } catch (err) {
    say($('notices-message'), err.message);
    return null;
  }
});

signIn(async (token) => {
  me = await api('/v1/me', { token });
  $('unit-name').textContent = me.name;
  $('login').hidden = true;
  $('inbox').hidden = false;
  $('notices').hidden = false;
  await Promise.all([inbox.first(), notices.first()]);
});

$('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  inbox.first();
});
for (const id of ['filter-state', 'filter-category', 'filter-overdue']) $(id).addEventListener('change', inbox.first);
$('refresh').addEventListener('click', () => Promise.all([inbox.again(), notices.again()]));
$('notices-unread-only').addEventListener('change', notices.first);
$('notices-read-all').addEventListener('click', () => markRead({ all: true }));
