import { CaseState } from '@petition/contract';

// status_notes: where a case stands, in the words a petitioner reads (the proto's names for the states).
const notes: Readonly<Record<CaseState, string>> = {
  [CaseState.CASE_STATE_UNSPECIFIED]: '',
  [CaseState.CASE_STATE_REGISTERED]: '已登记',
  [CaseState.CASE_STATE_FORWARDING]: '转送中',
  [CaseState.CASE_STATE_AWAITING_ACCEPTANCE]: '待受理',
  [CaseState.CASE_STATE_FORWARD_OBJECTED]: '转送有异议，待重新转送',
  [CaseState.CASE_STATE_ACCEPTED]: '已受理，办理中',
  [CaseState.CASE_STATE_NOT_ACCEPTED]: '不予受理',
  [CaseState.CASE_STATE_GUIDED_TO_LEGAL_CHANNEL]: '已导入法定途径',
  [CaseState.CASE_STATE_ASSIGNED]: '已交办',
  [CaseState.CASE_STATE_REPLIED]: '已答复',
  [CaseState.CASE_STATE_AWAITING_EVALUATION]: '已答复，待评价',
  [CaseState.CASE_STATE_UNDER_REVIEW]: '复查中',
  [CaseState.CASE_STATE_REVIEWED]: '已复查',
  [CaseState.CASE_STATE_UNDER_RE_REVIEW]: '复核中',
  [CaseState.CASE_STATE_FINAL]: '已终结',
  [CaseState.CASE_STATE_WITHDRAWN]: '已撤回',
  [CaseState.CASE_STATE_LINKED_AS_REPEAT]: '重复件，已并入原件',
  [CaseState.CASE_STATE_CLOSED]: '已办结',
  [CaseState.CASE_STATE_COMPLETION_REPORTED]: '已报结',
  [CaseState.UNRECOGNIZED]: '',
};

export const stateNotes = (state: number): string => notes[state as CaseState] ?? '';
