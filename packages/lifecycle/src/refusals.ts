// Every reason routing can refuse a command for: a stable code callers branch on, a message in Chinese
// and English, the article behind it, and whether the same command may succeed later unchanged.
// The catalogue is the one place these texts live.

export interface RefusalRule {
  readonly zh: string;
  readonly en: string;
  /** The rule behind it, e.g. "信访工作条例 第三十四条"; empty for plain consistency checks. */
  readonly article: string;
  readonly retryable: boolean;
}

const art = (n: string) => `信访工作条例 第${n}条`;
const rule = (zh: string, en: string, article = '', retryable = false): RefusalRule => ({ zh, en, article, retryable });

export const refusalCatalogue = {
  MALFORMED_COMMAND: rule('指令不完整', 'the command is incomplete'),
  INVALID_FIELD: rule('字段无效', 'a field is missing or invalid'),
  CASE_NOT_FOUND: rule('信访件不存在', 'no such case'),
  CASE_EXISTS: rule('信访件已存在', 'the case already exists'),
  CASE_MOVED: rule('信访件已移交其他节点办理，请向该节点提交', 'another node now holds the case: send it there'),
  UNIT_ON_ANOTHER_NODE: rule(
    '该单位由其他节点承载，请向该节点提交',
    'that unit is hosted by another node: send the petition there',
  ),
  HANDOFF_IN_PROGRESS: rule(
    '信访件正在移交其他节点，暂不能办理',
    'the case is being handed to another node; try again once it has answered',
    '',
    true,
  ),
  CASE_VERSION_CONFLICT: rule(
    '信访件已被他人更新，请刷新后重试',
    'the case changed meanwhile; re-read it and retry',
    '',
    true,
  ),
  CASE_CLOSED: rule('信访件已办结', 'the case is closed'),
  CASE_FINAL: rule('复核意见为终结意见，同一事项不再受理', 'the case is final after re-review', art('三十六')),
  WRONG_STATE: rule('当前环节不能办理此操作', 'the case is not at a step where this can be done'),
  ACTOR_NOT_ALLOWED: rule('无权办理此操作', 'this actor may not issue this command'),
  NOT_IN_CUSTODY: rule('信访件不在本单位', 'the case is not in the custody of the acting unit'),
  UNKNOWN_UNIT: rule('单位不存在', 'no such unit in the directory'),
  UNIT_DISSOLVED: rule('单位已撤销或合并', 'the unit is dissolved or merged away', art('二十五')),
  UNKNOWN_REGION: rule('行政区划代码不存在', 'no such region code'),
  TOO_MANY_REPRESENTATIVES: rule(
    '多人信访推选代表不得超过5人',
    'a group may send at most 5 representatives',
    art('二十'),
  ),
  RECEIVED_IN_FUTURE: rule('收到时间不能晚于当前时间', 'the received time lies in the future'),
  ACCUSED_UNIT_EXCLUDED: rule(
    '检举控告材料不得转送、交办给被检举控告的单位',
    'accusation material never goes to the accused unit or any unit under it',
    art('三十'),
  ),
  NOT_A_PETITION_BUREAU: rule(
    '只有信访工作机构可以转送、交办',
    'only a petition bureau forwards or assigns',
    art('二十二'),
  ),
  SAME_UNIT: rule('不能转给本单位', 'the case is already with that unit'),
  REPORT_DUE_IN_PAST: rule('报结期限必须晚于当前时间', 'the report deadline must lie in the future', art('二十二')),
  OBJECTION_WINDOW_CLOSED: rule(
    '异议须在收到之日起5个工作日内提出',
    'objections are due within 5 working days',
    art('二十三'),
  ),
  REASON_REQUIRED: rule('必须说明理由', 'a reason is required', art('二十三')),
  NOT_COMMON_SUPERIOR: rule(
    '只有共同的上一级机关可以决定',
    'only the common superior of the units decides',
    art('二十四'),
  ),
  GUIDANCE_NOT_APPLICABLE: rule(
    '建议意见类事项不导入法定途径',
    'suggestions are not guided to legal channels',
    art('二十九'),
  ),
  EXTENSION_ALREADY_USED: rule('办理期限只能延长一次', 'the handling period was already extended once', art('三十四')),
  EXTENSION_TOO_LONG: rule('延长期限不得超过30日', 'an extension is at most 30 days', art('三十四')),
  HANDLING_PERIOD_EXPIRED: rule('办理期限已届满，不能再延长', 'the handling period has run out', art('三十四')),
  REVIEW_NOT_APPLICABLE: rule('只有申诉求决类事项可以请求复查、复核', 'only complaints can be reviewed', art('三十五')),
  WINDOW_CLOSED: rule('请求期限已过', 'the period for this request has run out', art('三十五')),
  NO_SUPERIOR: rule('没有上一级机关', 'the unit has no superior to turn to', art('三十五')),
  NOTHING_TO_EVALUATE: rule('尚无可评价的意见', 'there is no opinion of that stage to rate'),
  ALREADY_EVALUATED: rule('已评价', 'that opinion was already rated'),
  HEARING_ALREADY_OPEN: rule('听证已在进行', 'a hearing is already open', art('三十六')),
  HEARING_NOT_OPEN: rule('没有进行中的听证', 'no hearing is open', art('三十六')),
  HEARING_IN_PROGRESS: rule('听证结束后方可作出复核意见', 'the hearing must end before the decision', art('三十六')),
  PUBLICIZE_WITHOUT_HEARING: rule(
    '只有经听证的复核意见可以公开',
    'only opinions reached after a hearing are made public',
    art('三十六'),
  ),
  ANONYMOUS_CASE: rule('匿名检举控告没有信访人', 'an anonymous accusation has no petitioner to act', art('三十')),
  WRONG_CASE_NUMBER: rule('信访件编号不符', 'the case number does not match'),
  // Retryable: the original may be registered in another partition and not be known here yet.
  ORIGINAL_NOT_FOUND: rule('原信访件不存在', 'the original case is unknown', '', true),
  ORIGINAL_NOT_IN_PROGRESS: rule('原信访事项不在办理中', 'the original case is not in progress', art('十九')),
  ORIGINAL_NOT_FINAL: rule('原信访事项尚未复核终结', 'the original case is not final', art('三十六')),
  NOT_A_REPEAT_CANDIDATE: rule(
    '该信访件未被标记为可能重复的原件，或已作出答复',
    'that case was not flagged as a possible original of this one, or was already answered',
    art('十九'),
  ),
  NO_ASSIGNMENT: rule('该信访件不是交办件或已报结', 'the case has no open assignment', art('二十二')),
  WINDOW_NOT_DUE: rule('期限尚未届满', 'the window has not run out yet (a stale timer)', '', true),
  CUSTODY_UNIT_ACTIVE: rule('原单位仍在，不能按机构变动移交', 'the holding unit still exists', art('二十五')),
  // 督办 (supervision notices) and 领导包案: by a unit above the holder, one notice open at a time.
  NOT_SUPERVISOR: rule(
    '只有承办单位的上级机关可以督办，或办结本单位发出的督办单',
    'only a unit above the holder issues a supervision notice, and only its issuer closes it',
    art('三十九至四十一'),
  ),
  SUPERVISION_ALREADY_OPEN: rule(
    '该信访件已有未办结的督办单',
    'a supervision notice is already open on the case',
    art('三十九至四十一'),
  ),
  NO_SUPERVISION: rule('没有该督办单或督办单已办结', 'no such supervision notice is open on the case'),
  SUPERVISION_ALREADY_ANSWERED: rule('该督办单已回复', 'the supervision notice was already answered'),
  NOT_LEADER_OF_CASE: rule(
    '只有承办单位或其上级机关的领导可以包案',
    'only a leader of the holding unit or of a unit above it takes charge of the case',
  ),
  ALREADY_IN_CHARGE: rule('该领导已包案', 'that leader already has charge of the case'),
  // The petitioner's follow-ups on a case still open.
  MATERIAL_REQUIRED: rule('补充材料不能为空', 'the supplementary material is empty'),
  URGED_TODAY: rule('今日已催办，请明日再催', 'the case was already urged today (once a day)'),
} as const satisfies Record<string, RefusalRule>;

export type RefusalCode = keyof typeof refusalCatalogue;

export interface Refusal extends RefusalRule {
  readonly code: RefusalCode;
  /** What exactly was wrong, e.g. the field's name; added to the English and Chinese messages. */
  readonly detail?: string;
}

export function refusal(code: RefusalCode, detail?: string): Refusal {
  const rule: RefusalRule = refusalCatalogue[code];
  return detail
    ? { code, detail, ...rule, zh: `${rule.zh}：${detail}`, en: `${rule.en}: ${detail}` }
    : { code, ...rule };
}

/** Thrown inside a decision to refuse; `decide` turns it into a refusal. */
export class Refused extends Error {
  readonly refusal: Refusal;
  constructor(refusal: Refusal) {
    super(refusal.en);
    this.name = 'Refused';
    this.refusal = refusal;
  }
}

export function refuse(code: RefusalCode, detail?: string): never {
  throw new Refused(refusal(code, detail));
}
