import {
  answerSupervision as answerSupervisionAction,
  bodyOf,
  closeSupervision,
  confirmRepeat,
  dismissRepeat,
  form,
  issueSupervision,
  unitActions,
} from '/assets/case-actions.js';
import {
  $,
  api,
  badge,
  categoryNames,
  channelNames,
  day,
  groundNames,
  h,
  kindNames,
  named,
  outcomeWords,
  refusalWords,
  say,
  signIn,
  stateNames,
  supervisionStateNames,
  time,
  tokenLink,
  tokenStore,
  unitName,
} from '/assets/common.js';
import { clockRows, renderTimeline } from '/assets/timeline.js';

// The case page (/case?id=…): what the petition says, where it has been and what its clocks say, for the
// staff of the unit holding it (to act on it) and those above it (to read it, and to supervise). The
// petitioner's personal data is opened only on request, with a reason, and the opening is audited. Every
// action goes to intake and shows routing's answer or refusal in words.

const caseId = new URLSearchParams(location.search).get('id') ?? '';
let me;
let view;
const token = () => tokenStore.get();
const casePath = (suffix = '') => `/v1/cases/${encodeURIComponent(caseId)}${suffix}`;
const unitLabel = (u) => (u ? (u.name ?? u.unitId ?? String(u)) : '—');

/** A definition list from [label, value] pairs; pairs without a value are left out. */
function facts(el, pairs) {
  el.replaceChildren(
    ...pairs
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .flatMap(([label, v]) => [h('dt', {}, label), h('dd', {}, v)]),
  );
}

const size = (bytes) =>
  bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;

function renderSummary() {
  const v = view;
  $('case-number').textContent = v.caseNumber;
  $('case-state').textContent = named(stateNames, v.state);
  $('read-only').hidden = !v.access?.readOnly;
  $('case-heading').textContent = v.title || '（无标题）';
  facts($('facts'), [
    ['当前办理单位', unitLabel(v.holder)],
    ['类别', named(categoryNames, v.category)],
    ['性质', named(kindNames, v.kind)],
    ['渠道', named(channelNames, v.channel)],
    ['问题属地', v.region ? `${v.region.name ?? ''}（${v.region.code}）` : undefined],
    ['收到时间', time(v.receivedTime)],
    ['登记单位', unitLabel(v.registeringUnit)],
    ['人数', v.groupSize > 1 ? `${v.groupSize} 人（联名）` : undefined],
    ['匿名', v.anonymous ? '匿名检举控告' : undefined],
  ]);
  $('case-content').textContent = v.content || '—';
  renderSuggestion();
  $('attachments').replaceChildren(
    ...(v.attachments ?? []).map((a) =>
      h(
        'li',
        {},
        h('strong', {}, a.name),
        ' ',
        h('span', { class: 'muted' }, `${a.mediaType ?? ''} · ${size(Number(a.sizeBytes ?? 0))}`),
        a.sha256 ? h('div', { class: 'muted hash' }, `SHA-256 ${a.sha256}`) : undefined,
      ),
    ),
  );
  if (!v.attachments?.length) $('attachments').append(h('li', { class: 'muted' }, '无附件'));
}

/** The category and kind the classifier suggests (intake's suggest route), once per page, beside the pick. */
let suggestion;
function renderSuggestion() {
  const v = view;
  if (suggestion === undefined && v.title && v.content) {
    suggestion = null;
    api('/intake/v1/petitions/suggest', {
      method: 'POST',
      token: token(),
      body: { title: v.title, content: v.content },
    })
      .then((s) => {
        suggestion = s;
        renderSuggestion();
      })
      // Without a suggestion the page is whole; nothing to tell the user.
      .catch(() => undefined);
  }
  const s = suggestion;
  $('suggestion').hidden = !s;
  if (!s) return;
  const same = s.category === v.category && s.kind === v.kind;
  $('suggestion').textContent =
    `系统建议分类：${s.categoryLabel} · ${s.kindLabel}（置信度 ${Math.round(s.confidence * 100)}%）` +
    (same ? '，与登记一致' : `；登记为 ${named(categoryNames, v.category)} · ${named(kindNames, v.kind)}`);
}

const answerNames = { open: '待确认', dismissed: '已排除', confirmed: '已确认重复' };

/** Intake's repeat candidates (art 19) with their scores; the holder's staff confirm or dismiss each open one. */
function renderRepeatCandidates() {
  const v = view;
  const list = v.repeats?.candidates ?? [];
  const answering = !v.access?.readOnly && permits('handle') && v.state !== 'CASE_STATE_LINKED_AS_REPEAT';
  const caseLink = (c) => tokenLink(`/case?id=${encodeURIComponent(c.caseId)}`, c.caseNumber);
  $('repeat-candidates').replaceChildren(
    ...list.map((c) =>
      h(
        'li',
        { class: 'repeat-candidate', 'data-candidate': c.caseId, 'data-answer': c.answer },
        h(
          'div',
          {},
          badge([c.answer === 'open' ? 'warn' : 'ok', answerNames[c.answer] ?? c.answer]),
          ' ',
          caseLink(c),
          ' ',
          h('span', { class: 'muted' }, `相似度 ${Number(c.score).toFixed(2)}`),
        ),
        c.dismissal
          ? h(
              'p',
              { class: 'muted' },
              `排除理由：${c.dismissal.reason || '—'}（${c.dismissal.unitId}，${day(c.dismissal.time)}）`,
            )
          : undefined,
        c.answer === 'open' && answering
          ? keep(`repeat ${c.caseId}`, () =>
              h(
                'div',
                { class: 'repeat-answers' },
                details(confirmRepeat, { originalCaseId: c.caseId }, $('repeat-message')),
                details(dismissRepeat, { candidateCaseId: c.caseId }, $('repeat-message')),
              ),
            )
          : undefined,
      ),
    ),
  );
  $('repeat').hidden = list.length === 0;
}

function renderPeople() {
  const v = view;
  const representatives = v.representatives?.length ?? 0;
  $('people-summary').textContent = v.anonymous
    ? '匿名检举控告，没有信访人信息。'
    : `信访人 1 名${representatives ? `，代表 ${representatives} 名` : ''}。`;
  $('personal-form').hidden = !v.access?.mayOpenPersonalData || v.anonymous;
}

const personFacts = (p, prefix = '') => [
  [`${prefix}姓名`, p.name],
  [`${prefix}证件类型`, p.idType],
  [`${prefix}证件号码`, p.idNumber],
  [`${prefix}电话`, p.phone],
  [`${prefix}住址`, p.address],
];

$('personal-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const data = await api(casePath('/personal-data'), {
      method: 'POST',
      token: token(),
      body: { reason: $('personal-reason').value.trim() },
    });
    facts($('personal-facts'), [
      ...personFacts(data.petitioner ?? {}),
      ...(data.representatives ?? []).flatMap((r, i) => personFacts(r, `代表${i + 1} `)),
    ]);
    $('personal-audit').textContent =
      `本次查看已记入访问审计（审计编号 ${data.auditEventId}），理由：${$('personal-reason').value.trim()}`;
    $('personal-data').hidden = false;
    $('personal-form').hidden = true;
    say($('personal-message'), '');
  } catch (err) {
    say($('personal-message'), err.status === 503 ? '访问审计暂不可用，未显示个人信息，请稍后再试' : err.message);
  }
});
$('personal-hide').addEventListener('click', () => {
  $('personal-facts').replaceChildren();
  $('personal-data').hidden = true;
  $('personal-form').hidden = false;
  $('personal-reason').value = '';
});

function renderRelations() {
  const v = view;
  const caseLink = (c) => tokenLink(`/case?id=${encodeURIComponent(c.caseId)}`, c.caseNumber);
  const leader = v.leader;
  facts($('relations'), [
    ['牵头单位', v.coUnits ? unitLabel(v.coUnits.lead) : undefined],
    ['协办单位', v.coUnits?.co?.length ? v.coUnits.co.map(unitLabel).join('、') : undefined],
    ['原信访事项', v.repeats?.original ? caseLink(v.repeats.original) : undefined],
    [
      '重复信访',
      v.repeats?.linked?.length ? h('span', {}, ...v.repeats.linked.flatMap((c) => [caseLink(c), ' '])) : undefined,
    ],
    [
      '领导包案',
      leader
        ? `${leader.staffId}（${leader.unitName ?? leader.unitId}，${day(leader.time)}）${leader.note ? `：${leader.note}` : ''}`
        : undefined,
    ],
    ['信访人催办', v.urges ? `${v.urges} 次` : undefined],
  ]);
  $('relations').hidden = !$('relations').children.length;
  $('relations-empty').hidden = !$('relations').hidden;
  $('supplements').replaceChildren(
    ...(v.supplements ?? []).map((s) =>
      h(
        'li',
        {},
        h('span', { class: 'muted' }, time(s.time)),
        h('p', { class: 'content' }, s.material),
        s.attachments?.length ? h('div', { class: 'muted' }, s.attachments.map((a) => a.name).join('、')) : undefined,
      ),
    ),
  );
  $('supplements-empty').hidden = (v.supplements ?? []).length > 0;
}

const permits = (permission) =>
  ({ handle: ['handler'], supervise: ['supervisor', 'leader'], lead: ['leader'] })[permission].some((r) =>
    me.roles?.includes(r),
  );

/** Forms drawn with the 督办单 section, built once each, so that what was typed survives a refresh. */
const kept = new Map();
const keep = (key, build) => {
  if (!kept.has(key)) kept.set(key, build());
  return kept.get(key);
};
const takeCharge = unitActions.find((a) => a.path === 'take-charge');

function renderSupervisions() {
  const v = view;
  const list = v.supervisions ?? [];
  const holder = !v.access?.readOnly;
  $('supervisions').replaceChildren(
    ...list.map((s) => {
      const supervisor = s.supervisingUnitId ?? s.supervisingUnit?.unitId;
      return h(
        'li',
        { class: 'supervision', 'data-supervision': s.supervisionId, 'data-state': s.state },
        h(
          'div',
          {},
          badge([
            s.state === 'closed' ? 'ok' : s.state === 'answered' ? 'warn' : 'late',
            named(supervisionStateNames, s.state),
          ]),
          ' ',
          h('strong', {}, `督办单 · ${named(groundNames, s.ground)}`),
        ),
        h(
          'div',
          { class: 'muted' },
          `督办单位 ${unitLabel(s.supervisingUnit ?? { unitId: supervisor })} · 报告期限 ${day(s.reportDueTime)}`,
        ),
        s.instructions ? h('p', { class: 'content' }, s.instructions) : undefined,
        s.report
          ? h('p', { class: 'content' }, h('strong', {}, '办理情况：'), s.report.summary ?? s.report)
          : undefined,
        s.conclusion ? h('p', { class: 'content' }, h('strong', {}, '办结意见：'), s.conclusion) : undefined,
        s.state === 'open' && holder
          ? keep(`answer ${s.supervisionId}`, () =>
              actionForm(answerSupervisionAction, { supervisionId: s.supervisionId }, $('supervision-message')),
            )
          : undefined,
        s.state !== 'closed' && supervisor === me.unitId && permits('supervise')
          ? keep(`close ${s.supervisionId}`, () =>
              actionForm(closeSupervision, { supervisionId: s.supervisionId }, $('supervision-message')),
            )
          : undefined,
      );
    }),
  );
  $('supervisions-empty').hidden = list.length > 0;
  // Above the holder: a supervisor issues a 督办单 here too (when none is open), a leader takes the case in
  // charge (领导包案).
  const above = v.access?.readOnly;
  const wanted = [
    above && permits('supervise') && !list.some((s) => s.state !== 'closed') ? issueSupervision : undefined,
    above && permits('lead') ? takeCharge : undefined,
  ].filter(Boolean);
  $('supervise-here').replaceChildren(
    ...wanted.map((a) => keep(a.path, () => details(a, undefined, $('supervision-message')))),
  );
}

/**
 * An action's form wired to intake: routing's answer (or refusal) shown in words under it, or in `answerTo`
 * when given (a 督办单's forms are drawn again with the case, the answer stays in the section).
 */
function actionForm(action, preset, answerTo) {
  const el = form(action, preset);
  el.addEventListener('submit', async (e) => {
    e.preventDefault();
    const message = answerTo ?? el.querySelector('.message');
    const button = el.querySelector('button[type="submit"]');
    button.disabled = true;
    say(message, '提交中…', true);
    const before = view.version;
    try {
      const answer = await api(`/intake/v1/cases/${encodeURIComponent(caseId)}/${action.path}`, {
        method: 'POST',
        token: token(),
        body: bodyOf(action, el),
      });
      say(message, outcomeWords(answer), true);
      // Done: what was typed goes (a form kept for later must not offer it again).
      el.reset();
      await reloadAfter(before);
    } catch (err) {
      say(message, refusalWords(err));
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

const details = (action, preset, answerTo) =>
  h(
    'details',
    { class: 'action', 'data-action': action.path },
    h('summary', {}, action.label),
    actionForm(action, preset, answerTo),
  );

/** Every action of the holder, built once (what was typed stays), moved between 当前环节 and 其他操作. */
let actionPanels;
function renderActions() {
  const holder = !view.access?.readOnly;
  $('actions').hidden = !holder;
  if (!holder) return;
  actionPanels ??= unitActions.map((a) => [a, details(a)]);
  for (const [action, panel] of actionPanels) {
    // One being worked in (open) stays where it is, its answer in view.
    if (panel.open && panel.isConnected) continue;
    const next = action.next.includes(view.state) || (action.path === 'take-charge' && permits('lead'));
    (next ? $('actions-next') : $('actions-other')).append(panel);
  }
  if (!$('actions-next').children.length)
    $('actions-next').replaceChildren(h('p', { class: 'muted' }, '当前环节没有待办操作'));
  else for (const p of $('actions-next').querySelectorAll(':scope > p')) p.remove();
}

function render() {
  $('case').hidden = false;
  renderSummary();
  renderPeople();
  renderTimeline($('timeline'), view.timeline ?? []);
  const clocks = view.clocks ?? [];
  $('clocks').replaceChildren(...clockRows(clocks, (k) => k.unitName || k.unitId || '—'));
  $('clocks-empty').hidden = clocks.length > 0;
  renderRelations();
  renderSupervisions();
  renderRepeatCandidates();
  renderActions();
  document.title = `${view.caseNumber} · 信访事项办理`;
}

async function load() {
  view = await api(casePath(), { token: token() });
  render();
  // Clock rows name their unit by id: the names follow as the directory answers.
  for (const k of view.clocks ?? []) if (!k.unitName && k.unitId) k.unitName = await unitName(k.unitId);
  $('clocks').replaceChildren(...clockRows(view.clocks ?? [], (k) => k.unitName || k.unitId || '—'));
}

/** Reads the case again until routing's step has reached tracking (its version moved), a few seconds at most. */
async function reloadAfter(version) {
  for (let i = 0; i < 20; i++) {
    await load();
    if (view.version > version) return;
    await new Promise((r) => setTimeout(r, 300));
  }
}

$('case-refresh').addEventListener('click', () => load().catch((err) => say($('case-message'), err.message)));

signIn(async (t) => {
  if (!caseId) throw new Error('缺少事项编号：请从工作台打开事项');
  me = await api('/v1/me', { token: t });
  try {
    await load();
  } catch (err) {
    if (err.status === 404) throw new Error('信访件不存在或本单位无权查阅');
    throw err;
  }
});
