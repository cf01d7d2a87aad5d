import { api, badge, day, h, say, stateNames, tokenStore } from '/assets/common.js';

// The unit workbench: the unit's inbox by due date; act on a case through intake (accept, forward,
// reply, extend). The token names the unit; intake and routing decide whether the act is allowed.

const $ = (id) => document.getElementById(id);
let me;
let selected;

async function loadInbox() {
  const { cases } = await api(`/v1/units/${encodeURIComponent(me.unitId)}/inbox`, { token: tokenStore.get() });
  $('inbox-rows').replaceChildren(
    ...cases.map((c) =>
      h(
        'tr',
        { 'data-case': c.caseNumber },
        h('td', {}, c.caseNumber),
        h('td', {}, stateNames[c.state] ?? c.state),
        h(
          'td',
          {},
          day(c.dueTime),
          ' ',
          c.overdue ? badge(['late', '已超期']) : c.warned ? badge(['warn', '即将到期']) : '',
        ),
        h('td', {}, h('button', { type: 'button', class: 'secondary', 'data-open': c.caseId }, '办理')),
      ),
    ),
  );
  $('inbox-empty').hidden = cases.length > 0;
  for (const b of document.querySelectorAll('[data-open]')) {
    b.addEventListener('click', () => {
      selected = cases.find((c) => c.caseId === b.dataset.open);
      $('act').hidden = false;
      $('act-case').textContent = selected.caseNumber;
      say($('act-message'), '');
    });
  }
}

async function enter(token) {
  tokenStore.set(token);
  me = await api('/v1/me', { token });
  $('unit-name').textContent = me.name;
  $('login').hidden = true;
  $('inbox').hidden = false;
  await loadInbox();
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await enter($('token').value.trim());
  } catch (err) {
    say($('login-message'), err.message);
  }
});
$('refresh').addEventListener('click', () => loadInbox().catch((err) => say($('act-message'), err.message)));

function action(formId, path, bodyOf, done) {
  $(formId).addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api(`/intake/v1/cases/${encodeURIComponent(selected.caseId)}/${path}`, {
        method: 'POST',
        token: tokenStore.get(),
        body: bodyOf(),
      });
      say($('act-message'), `${selected.caseNumber}：${done}`, true);
      await loadInbox();
    } catch (err) {
      say($('act-message'), err.message);
    }
  });
}
action('accept-form', 'accept', () => ({}), '已受理');
action(
  'forward-form',
  'forward',
  () => ({ toUnitId: $('forward-to').value.trim(), toHandlingUnit: true, reason: '' }),
  '已转送',
);
action(
  'reply-form',
  'reply',
  () => ({ opinion: { summary: $('reply-summary').value }, disposition: $('reply-disposition').value }),
  '已出具处理意见',
);
action(
  'extend-form',
  'extend',
  () => ({ extraDays: Number($('extend-days').value), reason: $('extend-reason').value }),
  '已延长办理期限',
);
