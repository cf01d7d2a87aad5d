import { badge, h, time } from '/assets/common.js';

// The in-app notices as a list, for the unit's workbench and the petitioner's page alike: unread ones with
// 标为已读 (`markRead(noticeId)`), urgent ones marked where that means something to the reader (a unit's
// 督办单; `showUrgent`), and the case they are about when `caseLink` makes a link of it.

export function renderNotices(list, notices, { markRead, caseLink, showUrgent = false } = {}) {
  list.replaceChildren(
    ...notices.map((n) =>
      h(
        'li',
        { class: n.read ? 'notice read' : 'notice unread', 'data-notice': n.noticeId },
        h(
          'div',
          { class: 'notice-head' },
          showUrgent && n.urgent ? badge(['late', '紧急']) : undefined,
          n.read ? undefined : badge(['warn', '未读']),
          ' ',
          h('strong', {}, n.subject || '通知'),
        ),
        h('div', { class: 'muted' }, time(n.time), n.caseNumber ? ' · ' : '', caseLink ? caseLink(n) : n.caseNumber),
        n.body ? h('p', { class: 'notice-body' }, n.body) : undefined,
        !n.read && markRead ? readButton(n, markRead) : undefined,
      ),
    ),
  );
}

function readButton(n, markRead) {
  const b = h(
    'button',
    { type: 'button', class: 'secondary small', 'aria-label': `标为已读：${n.subject || '通知'}` },
    '标为已读',
  );
  b.addEventListener('click', () => markRead(n.noticeId));
  return b;
}
