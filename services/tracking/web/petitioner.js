import { api, badge, clockStateBadges, day, h, say, stageNames, stateNames, time } from '/assets/common.js';

// The petitioner's page: case number + query code → every step with its date, unit and deadline; rate
// the opinion; ask for review.

const $ = (id) => document.getElementById(id);
let current;

async function show() {
  const { caseNumber, queryCode } = current;
  // The query code in a header: a URL is kept in logs and history, and sent on as Referer.
  const c = await api(`/v1/cases/${encodeURIComponent(caseNumber)}`, { headers: { 'x-query-code': queryCode } });
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
  // After the handling opinion: rate it, or ask the superior to review it (art 35); after the review
  // opinion: rate that, or ask for re-review (art 36).
  const reviewed = c.state === 'CASE_STATE_REVIEWED';
  const awaiting = reviewed || c.state === 'CASE_STATE_REPLIED' || c.state === 'CASE_STATE_AWAITING_EVALUATION';
  const rated = c.timeline.filter((s) => s.step === 'caseEvaluated').length;
  current.stage = reviewed ? 'OPINION_STAGE_REVIEW' : 'OPINION_STAGE_HANDLING';
  current.appeal = reviewed ? 'request-re-review' : 'request-review';
  $('evaluate').hidden = !awaiting || rated >= (reviewed ? 2 : 1);
  $('review').hidden = !awaiting;
  $('review-title').textContent = reviewed ? '请求复核' : '请求复查';
  $('review-rule').textContent = reviewed
    ? '对复查意见不服的，可自收到书面答复之日起30日内请求复查机关的上一级机关复核（《信访工作条例》第三十六条）。'
    : '对处理意见不服的，可自收到书面答复之日起30日内请求原办理单位的上一级机关复查（《信访工作条例》第三十五条）。';
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
  const { caseNumber, queryCode } = current;
  try {
    await api(`/intake/v1/petitioner/${path}`, {
      method: 'POST',
      body: { caseNumber, queryCode, ...body },
      // For following intake's 202 to routing's answer, which it gives the petitioner only.
      headers: { 'x-case-number': caseNumber, 'x-query-code': queryCode },
    });
    say($('action-message'), done, true);
    // Tracking shows the step once routing's event has reached it.
    for (let i = 0; i < 10; i++) {
      await show();
      const step = {
        evaluate: 'caseEvaluated',
        'request-review': 'reviewRequested',
        'request-re-review': 'reReviewRequested',
      }[path];
      if (document.querySelector(`[data-step="${step}"]`)) break;
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
    { stage: current.stage, evaluation: $('evaluation').value, comment: $('comment').value },
    '评价已提交，谢谢',
  );
});
$('review-form').addEventListener('submit', (e) => {
  e.preventDefault();
  act(current.appeal, { reason: $('review-reason').value }, `${$('review-title').textContent}已提交`);
});

const params = new URLSearchParams(location.search);
if (params.get('caseNumber')) $('caseNumber').value = params.get('caseNumber');
