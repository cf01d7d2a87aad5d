import { api, badge, clockStateBadges, day, h, say, stageNames, stateNames, time } from '/assets/common.js';

// The petitioner's page: case number + query code → every step with its date, unit and deadline; rate
// the opinion; ask for review.

const $ = (id) => document.getElementById(id);
let current;

async function show() {
  const { caseNumber, queryCode } = current;
  const c = await api(`/v1/cases/${encodeURIComponent(caseNumber)}?queryCode=${encodeURIComponent(queryCode)}`);
  $('case').hidden = false;
  $('case-number').textContent = c.caseNumber;
  $('case-state').textContent = stateNames[c.state] ?? c.state;
  $('case-holder').textContent = c.holder?.name ?? c.holder?.unitId ?? '—';
  $('timeline').replaceChildren(
    ...c.timeline.map((step) =>
      h(
        'li',
        { 'data-step': step.step },
        h('strong', {}, step.label),
        ' ',
        h('span', { class: 'muted' }, time(step.time)),
        h('div', {}, step.unitName || step.unitId),
        step.detail ? h('div', { class: 'muted' }, step.detail) : undefined,
        step.deadline
          ? h(
              'div',
              {},
              `期限 ${day(step.deadline.dueTime)} `,
              badge(step.deadline.inTime ? ['ok', '按期'] : ['late', '超期']),
            )
          : step.dueTime
            ? h('div', { class: 'muted' }, `办理期限至 ${day(step.dueTime)}`)
            : undefined,
      ),
    ),
  );
  $('clocks').replaceChildren(
    ...c.clocks.map((k) =>
      h(
        'tr',
        {},
        h('td', {}, stageNames[k.stage] ?? k.stage),
        h('td', {}, day(k.dueTime)),
        h(
          'td',
          {},
          badge(clockStateBadges[k.state] ?? ['run', k.state]),
          k.warned && k.state === 'running' ? badge(['warn', '即将到期']) : '',
        ),
      ),
    ),
  );
  const awaiting = c.state === 'CASE_STATE_REPLIED' || c.state === 'CASE_STATE_AWAITING_EVALUATION';
  const evaluated = c.timeline.some((s) => s.step === 'caseEvaluated');
  $('evaluate').hidden = !awaiting || evaluated;
  $('review').hidden = !awaiting;
}

$('lookup').addEventListener('submit', async (e) => {
  e.preventDefault();
  current = { caseNumber: $('caseNumber').value.trim(), queryCode: $('queryCode').value.trim() };
  say($('lookup-message'), '');
  try {
    await show();
  } catch (err) {
    $('case').hidden = true;
    say($('lookup-message'), err.status === 404 ? '未找到该事项：请核对编号和查询码' : err.message);
  }
});

async function act(path, body, done) {
  try {
    await api(`/intake/v1/petitioner/${path}`, { method: 'POST', body: { ...current, ...body } });
    say($('action-message'), done, true);
    // Tracking shows the step once routing's event has reached it.
    for (let i = 0; i < 10; i++) {
      await show();
      if (document.querySelector(`[data-step="${path === 'evaluate' ? 'caseEvaluated' : 'reviewRequested'}"]`)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (err) {
    say($('action-message'), err.message);
  }
}

$('evaluate-form').addEventListener('submit', (e) => {
  e.preventDefault();
  act(
    'evaluate',
    { stage: 'OPINION_STAGE_HANDLING', evaluation: $('evaluation').value, comment: $('comment').value },
    '评价已提交，谢谢',
  );
});
$('review-form').addEventListener('submit', (e) => {
  e.preventDefault();
  act('request-review', { reason: $('review-reason').value }, '复查请求已提交');
});

const params = new URLSearchParams(location.search);
if (params.get('caseNumber')) $('caseNumber').value = params.get('caseNumber');
