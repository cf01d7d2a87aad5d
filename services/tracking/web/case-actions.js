import { dateAhead, endOfDay, groundNames, h, unitName } from '/assets/common.js';

// Every action of intake a unit takes on a case, as data: its path under /intake/v1/cases/{caseId}/, its
// name, the rule behind it, its fields, and the states where it is the next step (shown first; the others
// stay at hand, and routing refuses in words what the case's step does not allow). `form()` builds the
// form; `bodyOf()` reads it back as intake's JSON body (dotted names nest: opinion.summary).

const text = (name, label, o = {}) => ({ name, label, type: 'text', ...o });
const area = (name, label, o = {}) => ({ name, label, type: 'textarea', ...o });
const choice = (name, label, options, o = {}) => ({ name, label, type: 'select', options, ...o });
const unit = (name, label, o = {}) => ({ name, label, type: 'unit', ...o });
const date = (name, label, o = {}) => ({ name, label, type: 'date', ...o });

const dispositions = {
  REPLY_DISPOSITION_SUPPORTED: '予以支持',
  REPLY_DISPOSITION_EXPLAINED: '解释说明',
  REPLY_DISPOSITION_NOT_SUPPORTED: '不予支持',
  REPLY_DISPOSITION_ANSWERED: '已答复（建议意见）',
};
const decisions = {
  REVIEW_DECISION_UPHELD: '维持原处理意见',
  REVIEW_DECISION_CHANGED: '变更原处理意见',
  REVIEW_DECISION_REVOKED: '撤销原处理意见',
};
const notAcceptedReasons = {
  NOT_ACCEPTED_REASON_OUTSIDE_PETITION_SCOPE: '不属于信访事项受理范围',
  NOT_ACCEPTED_REASON_ALREADY_IN_PROGRESS: '同一事项正在办理中',
  NOT_ACCEPTED_REASON_ALREADY_FINAL: '同一事项已复核终结',
  NOT_ACCEPTED_REASON_INSUFFICIENT_INFORMATION: '信访材料不全',
  NOT_ACCEPTED_REASON_OTHER: '其他',
};
const legalChannels = {
  LEGAL_CHANNEL_LITIGATION: '诉讼',
  LEGAL_CHANNEL_ARBITRATION: '仲裁',
  LEGAL_CHANNEL_ADMINISTRATIVE_RECONSIDERATION: '行政复议',
  LEGAL_CHANNEL_MEDIATION: '调解',
  LEGAL_CHANNEL_PROCURATORIAL_SUPERVISION: '检察监督',
  LEGAL_CHANNEL_DISCIPLINARY_PROCEDURE: '纪检监察程序',
  LEGAL_CHANNEL_OTHER: '其他法定途径',
};
const coUnitBases = { CO_UNIT_BASIS_AGREED: '协商一致', CO_UNIT_BASIS_SUPERIOR_DECIDED: '共同上级决定' };
const repeatBases = {
  REPEAT_BASIS_IN_PROGRESS: '原事项正在办理',
  REPEAT_BASIS_FINAL: '原事项已复核终结',
  REPEAT_BASIS_DUPLICATE_SUBMISSION: '重复提交',
};
const transferReasons = {
  TRANSFER_REASON_OBJECTION_UPHELD: '异议成立',
  TRANSFER_REASON_SUPERIOR_DESIGNATED: '上级指定',
  TRANSFER_REASON_MANUAL: '其他',
};

const arriving = ['CASE_STATE_REGISTERED', 'CASE_STATE_FORWARDING', 'CASE_STATE_AWAITING_ACCEPTANCE'];
const handling = ['CASE_STATE_ACCEPTED', 'CASE_STATE_ASSIGNED'];

export const unitActions = [
  {
    path: 'accept',
    label: '受理',
    rule: '受理并书面告知信访人（第二十三条）',
    next: arriving,
    fields: [text('noticeDocumentUri', '受理告知书地址（可选）', { maxlength: 1024 })],
  },
  {
    path: 'not-accept',
    label: '不予受理',
    rule: '不予受理并书面说明理由（第二十三条）',
    next: arriving,
    fields: [
      choice('reason', '理由', notAcceptedReasons),
      area('reasonText', '说明', { maxlength: 2000 }),
      text('noticeDocumentUri', '告知书地址（可选）', { maxlength: 1024 }),
    ],
  },
  {
    path: 'guide',
    label: '导入法定途径',
    rule: '应当通过诉讼、仲裁、行政复议等法定途径解决的，导入相应程序（第三十一条）',
    next: arriving,
    fields: [
      choice('legalChannel', '法定途径', legalChannels),
      text('channelDetail', '程序和受理机关', { maxlength: 2000 }),
      area('reason', '理由', { required: true, maxlength: 2000 }),
    ],
  },
  {
    path: 'object',
    label: '转送异议',
    rule: '认为不属于本单位职责的，自收到之日起5个工作日内提出异议（第二十三条）',
    next: arriving,
    fields: [
      area('reasons', '异议理由', { required: true, maxlength: 2000 }),
      unit('suggestedUnitId', '建议办理单位编号（可选）'),
    ],
  },
  {
    path: 'forward',
    label: '转送',
    rule: '转送有权处理的机关、单位（第二十二条）',
    next: arriving,
    fields: [
      unit('toUnitId', '转送至单位编号', { required: true }),
      { name: 'toHandlingUnit', label: '直接转送有权处理的单位', type: 'checkbox', checked: true },
      text('reason', '说明', { maxlength: 2000 }),
    ],
  },
  {
    path: 'assign',
    label: '交办',
    rule: '交办并要求在期限内报送办理结果（第二十二条）',
    next: arriving,
    fields: [
      unit('assigneeUnitId', '交办至单位编号', { required: true }),
      date('reportDueTime', '报结日期', { required: true, value: () => dateAhead(30) }),
      area('instructions', '交办要求', { maxlength: 2000 }),
    ],
  },
  {
    path: 'designate-co-units',
    label: '确定牵头/协办单位',
    rule: '涉及多个单位的，确定牵头单位和协办单位（第二十四条）',
    next: [...arriving, 'CASE_STATE_ACCEPTED'],
    fields: [
      unit('leadUnitId', '牵头单位编号', { required: true }),
      { name: 'coUnitIds', label: '协办单位编号（以逗号分隔）', type: 'list', required: true },
      choice('basis', '依据', coUnitBases),
    ],
  },
  {
    path: 'extend',
    label: '延长办理期限',
    rule: '情况复杂的，经批准可以延长，不超过30日，并告知信访人（第三十四条）',
    next: handling,
    fields: [
      { name: 'extraDays', label: '延长天数', type: 'number', min: 1, max: 30, value: () => '30', required: true },
      area('reason', '延期理由', { required: true, maxlength: 2000 }),
      text('approvalReference', '批准文号（可选）', { maxlength: 256 }),
    ],
  },
  {
    path: 'reply',
    label: '答复（出具处理意见）',
    rule: '自受理之日起60日内办结，出具书面答复意见（第三十三条）',
    next: handling,
    fields: [
      area('opinion.summary', '处理意见', { required: true, maxlength: 20000, rows: 4 }),
      choice('disposition', '处理结果', dispositions),
      text('opinion.documentUri', '答复意见书地址（可选）', { maxlength: 1024 }),
    ],
  },
  {
    path: 'report-completion',
    label: '报送办理结果',
    rule: '交办事项办结后向交办机关报送办理结果（第二十二条）',
    next: handling,
    fields: [area('report.summary', '办理结果', { required: true, maxlength: 20000, rows: 3 })],
  },
  {
    path: 'decide-review',
    label: '复查决定',
    rule: '自收到复查请求之日起30日内提出复查意见（第三十五条）',
    next: ['CASE_STATE_UNDER_REVIEW'],
    fields: [
      choice('decision', '复查决定', decisions),
      area('opinion.summary', '复查意见', { required: true, maxlength: 20000, rows: 3 }),
    ],
  },
  {
    path: 'start-hearing',
    label: '听证开始',
    rule: '复核时可以举行听证，听证时间不计入复核期限（第三十六条）',
    next: ['CASE_STATE_UNDER_RE_REVIEW'],
    fields: [],
  },
  {
    path: 'end-hearing',
    label: '听证结束',
    rule: '听证结束，复核期限继续计算（第三十六条）',
    next: ['CASE_STATE_UNDER_RE_REVIEW'],
    fields: [],
  },
  {
    path: 'decide-re-review',
    label: '复核决定',
    rule: '自收到复核请求之日起30日内提出复核意见，复核意见为终结意见（第三十六条）',
    next: ['CASE_STATE_UNDER_RE_REVIEW'],
    fields: [
      choice('decision', '复核决定', decisions),
      area('opinion.summary', '复核意见', { required: true, maxlength: 20000, rows: 3 }),
      { name: 'publicize', label: '经听证，向社会公开', type: 'checkbox' },
    ],
  },
  {
    path: 'link-as-repeat',
    label: '作为重复信访',
    rule: '同一事项正在办理或已复核终结的，不再重复受理（第十九、三十六条）',
    next: arriving,
    fields: [
      text('originalCaseId', '原信访事项 ID', { required: true, maxlength: 64 }),
      choice('basis', '依据', repeatBases),
      text('reason', '说明', { maxlength: 2000 }),
    ],
  },
  {
    path: 'transfer',
    label: '移交',
    rule: '异议成立、上级指定或机构变动时移交办理（第二十三至二十五条）',
    next: [],
    fields: [
      unit('toUnitId', '移交至单位编号', { required: true }),
      choice('reason', '原因', transferReasons),
      text('note', '说明', { maxlength: 2000 }),
    ],
  },
  {
    path: 'take-charge',
    label: '领导包案',
    rule: '本单位或上级单位领导包案办理，需领导角色',
    next: [],
    fields: [area('note', '包案说明', { maxlength: 2000 })],
  },
];

/** The holder's report on an open 督办单 (its id a hidden field). */
export const answerSupervision = {
  path: 'answer-supervision',
  label: '督办回复',
  rule: '在督办单规定的期限内报告办理情况',
  fields: [
    { name: 'supervisionId', type: 'hidden' },
    area('report.summary', '办理情况报告', { required: true, maxlength: 20000, rows: 3 }),
  ],
};

/** A supervisor's 督办单 on a case held below it. */
export const issueSupervision = {
  path: 'supervise',
  label: '下发督办单',
  rule: '对超期未办、重点敏感或信访人催办的事项督办，限期报告办理情况',
  fields: [
    choice('ground', '督办事由', groundNames),
    area('instructions', '督办要求', { required: true, maxlength: 2000 }),
    date('reportDueTime', '报告期限', { required: true, value: () => dateAhead(7) }),
  ],
};

/** The supervisor who issued a 督办单 closes it. */
export const closeSupervision = {
  path: 'close-supervision',
  label: '办结督办单',
  rule: '审核办理情况报告后办结督办单',
  fields: [{ name: 'supervisionId', type: 'hidden' }, area('conclusion', '办结意见', { maxlength: 2000 })],
};

let serial = 0;

/** The form of `action`: its fields labelled, its rule said, a message line for routing's answer. */
export function form(action, preset = {}) {
  const id = (name) => `${action.path}-${name.replace('.', '-')}-${serial}`;
  serial++;
  const el = h('form', { class: 'action-form', 'data-action': action.path });
  if (action.rule) el.append(h('p', { class: 'muted' }, action.rule));
  for (const f of action.fields) el.append(...field(f, id(f.name), preset[f.name]));
  el.append(
    h('button', { type: 'submit' }, action.label),
    h('p', { class: 'message', role: 'status', 'aria-live': 'polite' }),
  );
  return el;
}

function field(f, id, preset) {
  const value = preset ?? (typeof f.value === 'function' ? f.value() : f.value);
  const common = { id, name: f.name, required: f.required, maxlength: f.maxlength };
  if (f.type === 'hidden') return [h('input', { type: 'hidden', name: f.name, value })];
  if (f.type === 'checkbox')
    return [
      h(
        'div',
        { class: 'check' },
        h('input', { type: 'checkbox', id, name: f.name, checked: preset ?? f.checked }),
        h('label', { for: id }, f.label),
      ),
    ];
  const label = h('label', { for: id }, f.label, f.required ? h('span', { class: 'required' }, ' *') : undefined);
  if (f.type === 'textarea') return [label, h('textarea', { ...common, rows: f.rows ?? 2 }, value ?? '')];
  if (f.type === 'select')
    return [
      label,
      h(
        'select',
        common,
        Object.entries(f.options).map(([v, name]) => h('option', { value: v, selected: v === value }, name)),
      ),
    ];
  if (f.type === 'unit') {
    // The unit's name under its id once typed: a wrong id shows at once, not after routing refuses it.
    const shown = h('span', { id: `${id}-name`, class: 'muted unit-name', 'aria-live': 'polite' });
    const input = h('input', { ...common, value, autocomplete: 'off', 'aria-describedby': `${id}-name` });
    input.addEventListener('change', async () => {
      shown.textContent = input.value.trim() ? await unitName(input.value.trim()) : '';
    });
    return [label, input, shown];
  }
  const type = { date: 'date', number: 'number' }[f.type] ?? 'text';
  return [label, h('input', { ...common, type, value, min: f.min, max: f.max, autocomplete: 'off' })];
}

/** The form's fields as intake's JSON body: empty ones left out, dates as the end of that day in Beijing. */
export function bodyOf(action, el) {
  const body = {};
  for (const f of action.fields) {
    const input = el.elements.namedItem(f.name);
    if (!input) continue;
    let value;
    if (f.type === 'checkbox') value = input.checked;
    else if (f.type === 'number') value = input.value === '' ? undefined : Number(input.value);
    else if (f.type === 'date') value = endOfDay(input.value);
    else if (f.type === 'list')
      value = input.value
        .split(/[\s,，、]+/)
        .map((s) => s.trim())
        .filter(Boolean);
    else value = input.value.trim() || undefined;
    if (value === undefined) continue;
    const path = f.name.split('.');
    let at = body;
    for (const part of path.slice(0, -1)) at = at[part] ??= {};
    at[path.at(-1)] = value;
  }
  return body;
}

/**
 * Staff's answer to a repeat candidate intake flagged at registration (art 19): confirm it (this case is
 * linked to it as a repeat) or dismiss it (kept on the timeline). Drawn beside each candidate, not in the list.
 */
export const confirmRepeat = {
  path: 'link-as-repeat',
  label: '确认重复',
  rule: '同一事项：作为重复信访，不再重复受理（第十九、三十六条）',
  fields: [
    { name: 'originalCaseId', type: 'hidden' },
    choice('basis', '依据', repeatBases),
    text('reason', '说明', { maxlength: 2000 }),
  ],
};
export const dismissRepeat = {
  path: 'dismiss-repeat-candidate',
  label: '排除',
  rule: '不是同一事项：排除，答复记入办理过程',
  fields: [{ name: 'candidateCaseId', type: 'hidden' }, text('reason', '排除理由', { maxlength: 2000 })],
};
