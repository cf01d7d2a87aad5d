// The texts of every notice, in Chinese, kept as data: `{name}` is replaced by the notice's variable of
// that name. A locality that words them differently replaces this table, not code.

export interface Template {
  readonly subject: string;
  readonly body: string;
}

export const templates: Readonly<Record<string, Template>> = {
  'query-code.zh-CN': {
    subject: '信访事项登记告知（{caseNumber}）',
    body: '您的信访事项已登记，编号 {caseNumber}，查询码 {queryCode}。请妥善保管，凭编号和查询码可在网上查询办理进度、评价和请求复查。',
  },
  'case-accepted.zh-CN': {
    subject: '信访事项受理告知（{caseNumber}）',
    body: '您的信访事项（编号 {caseNumber}）已由{unitName}受理，将于 {dueDate} 前出具处理意见。可凭查询码在网上查询办理进度。',
  },
  'case-not-accepted.zh-CN': {
    subject: '信访事项不予受理告知（{caseNumber}）',
    body: '您的信访事项（编号 {caseNumber}）{unitName}决定不予受理，理由：{reason}。',
  },
  'case-guided.zh-CN': {
    subject: '信访事项导入法定途径告知（{caseNumber}）',
    body: '您的信访事项（编号 {caseNumber}）属于{channel}范围，请向{detail}提出。理由：{reason}。',
  },
  'deadline-extended.zh-CN': {
    subject: '信访事项办理期限延长告知（{caseNumber}）',
    body: '您的信访事项（编号 {caseNumber}）办理期限经批准延长 {days} 日，至 {dueDate}。理由：{reason}。',
  },
  'case-replied.zh-CN': {
    subject: '信访事项处理意见（{caseNumber}）',
    body: '{unitName}已对您的信访事项（编号 {caseNumber}）出具处理意见：{summary}。如不服，可自收到之日起 30 日内请求复查。',
  },
  'review-decided.zh-CN': {
    subject: '信访事项复查意见（{caseNumber}）',
    body: '{unitName}已对您的信访事项（编号 {caseNumber}）出具复查意见：{summary}。如不服，可自收到之日起 30 日内请求复核。',
  },
  're-review-decided.zh-CN': {
    subject: '信访事项复核意见（{caseNumber}）',
    body: '{unitName}已对您的信访事项（编号 {caseNumber}）出具复核意见：{summary}。复核意见为终结意见。',
  },
  'case-forwarded.zh-CN': {
    subject: '信访事项转送告知（{caseNumber}）',
    body: '您的信访事项（编号 {caseNumber}）已转送{unitName}，由其决定是否受理并告知您。',
  },
  'custody-transferred.zh-CN': {
    subject: '信访事项办理单位变更告知（{caseNumber}）',
    body: '您的信访事项（编号 {caseNumber}）因{reason}，改由{unitName}办理。',
  },
  'case-linked-as-repeat.zh-CN': {
    subject: '重复信访事项告知（{caseNumber}）',
    body: '您的信访事项（编号 {caseNumber}）与编号 {originalCaseNumber} 的信访事项为同一事项，{outcome}。',
  },
  'case-closed.zh-CN': {
    subject: '信访事项办结告知（{caseNumber}）',
    body: '您的信访事项（编号 {caseNumber}）因{reason}，已办结。',
  },
  'handoff-refused.zh-CN': {
    subject: '信访事项移交被退回（{caseNumber}）',
    body: '信访事项 {caseNumber} 移交节点 {nodeId} 被退回（{reason}），仍由本单位办理。',
  },
  'case-received.zh-CN': {
    subject: '新收信访事项（{caseNumber}）',
    body: '{fromName}转来信访事项 {caseNumber}，请于 {dueDate} 前告知受理情况。',
  },
  'case-assigned.zh-CN': {
    subject: '交办信访事项（{caseNumber}）',
    body: '{fromName}交办信访事项 {caseNumber}，请于 {dueDate} 前报送办理结果。',
  },
  'supervision-issued.zh-CN': {
    subject: '督办单（{caseNumber}）',
    body: '{supervisorName}对信访事项 {caseNumber} 发出督办单（{ground}）：{instructions}。请于 {dueDate} 前报告办理情况。',
  },
  'supervision-answered.zh-CN': {
    subject: '督办回复（{caseNumber}）',
    body: '{unitName}已就信访事项 {caseNumber} 的督办单{timeliness}报告办理情况：{summary}。',
  },
  'supervision-report-overdue.zh-CN': {
    subject: '督办报告逾期（{caseNumber}）',
    body: '督办单要求{supervisedName}于 {dueDate} 前报告信访事项 {caseNumber} 的办理情况，逾期尚未报告。',
  },
  'case-supplemented.zh-CN': {
    subject: '信访人补充材料（{caseNumber}）',
    body: '信访人对信访事项 {caseNumber} 补充了材料（附件 {attachments} 件），请在工作台查看。',
  },
  'case-urged.zh-CN': {
    subject: '信访人催办（{caseNumber}）',
    body: '信访人第 {times} 次催办信访事项 {caseNumber}，请抓紧办理。',
  },
  'repeat-candidates-flagged.zh-CN': {
    subject: '疑似重复信访（{caseNumber}）',
    body: '信访事项 {caseNumber} 与同一信访人此前的 {count} 件事项内容相似（最相似：{best}，相似度 {score}），请确认是否重复信访或予以排除。',
  },
  'deadline-warned.zh-CN': {
    subject: '办理期限预警（{caseNumber}）',
    body: '信访事项 {caseNumber} 的{stage}期限将于 {dueDate} 届满，请抓紧办理。',
  },
  'deadline-breached.zh-CN': {
    subject: '办理超期（{caseNumber}）',
    body: '信访事项 {caseNumber} 的{stage}期限已于 {dueDate} 届满，尚未办结。',
  },
  'supervision-opened.zh-CN': {
    subject: '督办通知（{caseNumber}）',
    body: '信访事项 {caseNumber} 在{supervisedName}超期未办结，已由{supervisorName}督办。',
  },
  'hotspot-detected.zh-CN': {
    subject: '形势预警：{place}{category}{kind}',
    body: '{place}{window}{category}信访 {count} 件（基线 {baseline}，评分 {score}），研判为{kind}，请关注。样例事项：{samples}。',
  },
  'hotspot-cleared.zh-CN': {
    subject: '预警解除：{place}{category}{kind}',
    body: '{place}{category}{kind}预警已解除（最近 {count} 件，评分 {score}）。',
  },
  'supervision-escalated.zh-CN': {
    subject: '督办升级（{caseNumber}）',
    body: '信访事项 {caseNumber} 在{supervisedName}仍未办结，督办已升至{supervisorName}。',
  },
};

/** The subject and text of a notice; a variable not given stays visible as `{name}` rather than vanishing. */
export function render(templateId: string, vars: Readonly<Record<string, string>>): Template {
  const t = templates[templateId];
  if (!t) throw new Error(`no template ${templateId}`);
  // A value that ends a sentence itself (an opinion's summary ending in 。) takes the template's full stop.
  const fill = (s: string) =>
    s.replace(/\{(\w+)\}/g, (all, name: string) => vars[name] ?? all).replace(/([。！？!?.])。/g, '$1');
  return { subject: fill(t.subject), body: fill(t.body) };
}
