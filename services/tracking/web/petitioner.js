import { $, api, say, stateNames } from '/assets/common.js';
import { renderNotices } from '/assets/notices.js';
import { clockRows, renderTimeline } from '/assets/timeline.js';

// The petitioner's page: case number + query code → every step with its date, unit and deadline, and the
// notices sent about the case; rate the opinion, ask for review, hand in more material (补充材料), urge the
// holder (催办).

let current;

/** Open to more material and urging: anything not yet closed for good. */
const settled = new Set([
  'CASE_STATE_NOT_ACCEPTED',
  'CASE_STATE_GUIDED_TO_LEGAL_CHANNEL',
  'CASE_STATE_FINAL',
  'CASE_STATE_WITHDRAWN',
  'CASE_STATE_LINKED_AS_REPEAT',
  'CASE_STATE_CLOSED',
  'CASE_STATE_COMPLETION_REPORTED',
]);

// The query code in a header: a URL is kept in logs and history, and sent on as Referer.
const credentials = () => ({ 'x-query-code': current.queryCode });
const casePath = (suffix = '') => `/v1/cases/${encodeURIComponent(current.caseNumber)}${suffix}`;

async function show() {
  const c = await api(casePath(), { headers: credentials() });
  $('case').hidden = false;
  $('case-number').textContent = c.caseNumber;
  $('case-state').textContent = stateNames[c.state] ?? c.state;
  $('case-holder').textContent = c.holder?.name ?? c.holder?.unitId ?? '—';
  renderTimeline($('timeline'), c.timeline);
  $('clocks').replaceChildren(...clockRows(c.clocks));
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
  $('follow-up').hidden = settled.has(c.state);
  await showNotices();
}

async function showNotices() {
  try {
    const answer = await api(casePath('/notices'), { headers: credentials() });
    renderNotices($('notice-list'), answer.notices, {
      markRead: (noticeId) => markRead({ noticeIds: [noticeId] }),
    });
    $('notices').hidden = false;
    $('notices-unread').textContent = answer.unread ? `${answer.unread} 条未读` : '';
    $('notices-empty').hidden = answer.notices.length > 0;
    $('notices-read-all').hidden = !answer.unread;
  } catch (err) {
    $('notices').hidden = false;
    say($('notices-message'), `消息暂时无法显示：${err.message}`);
  }
}

async function markRead(body) {
  try {
    await api(casePath('/notices/read'), { method: 'POST', headers: credentials(), body });
    await showNotices();
  } catch (err) {
    say($('notices-message'), err.message);
  }
}

$('lookup').addEventListener('submit', async (e) => {
  e.preventDefault();
  current = { caseNumber: $('caseNumber').value.trim(), queryCode: $('queryCode').value.trim() };
  say($('lookup-message'), '');
  try {
    await show();
  } catch (err) {
    for (const id of ['case', 'notices', 'evaluate', 'review', 'follow-up']) $(id).hidden = true;
    say($('lookup-message'), err.status === 404 ? '未找到该事项：请核对编号和查询码' : err.message);
  }
});

const stepOf = {
  evaluate: 'caseEvaluated',
  'request-review': 'reviewRequested',
  'request-re-review': 'reReviewRequested',
  supplement: 'caseSupplemented',
  urge: 'caseUrged',
};

async function act(path, body, done) {
  const { caseNumber, queryCode } = current;
  try {
    await api(`/intake/v1/petitioner/${path}`, {
      method: 'POST',
      body: { caseNumber, queryCode, ...body },
      // For following intake's 202 to routing's answer, which it gives the petitioner only.
      headers: { 'x-case-number': caseNumber, ...credentials() },
    });
    say($('action-message'), done, true);
    // Tracking shows the step once routing's event has reached it.
    const before = document.querySelectorAll(`[data-step="${stepOf[path]}"]`).length;
    for (let i = 0; i < 10; i++) {
      await show();
      if (document.querySelectorAll(`[data-step="${stepOf[path]}"]`).length > before) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    return true;
  } catch (err) {
    say($('action-message'), err.message);
    return false;
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
$('supplement-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (
    await act('supplement', { material: $('supplement-material').value.trim() }, '补充材料已提交，办理单位会收到提醒')
  )
    $('supplement-material').value = '';
});
$('urge-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (await act('urge', { note: $('urge-note').value.trim() }, '催办已提交，办理单位会收到提醒'))
    $('urge-note').value = '';
});
$('notices-read-all').addEventListener('click', () => markRead({ all: true }));

const params = new URLSearchParams(location.search);
if (params.get('caseNumber')) $('caseNumber').value = params.get('caseNumber');
