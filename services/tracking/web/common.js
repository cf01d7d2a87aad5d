// What the pages share: calls to tracking and (through /intake) to intake, problem+json shown as its Chinese
// text where there is one, routing's answers in words, dates in Beijing time, the Chinese names of states,
// stages and categories, the unit token and the sign-in form.

export const stateNames = {
  CASE_STATE_REGISTERED: '已登记',
  CASE_STATE_FORWARDING: '转送中',
  CASE_STATE_AWAITING_ACCEPTANCE: '待受理',
  CASE_STATE_FORWARD_OBJECTED: '转送异议中',
  CASE_STATE_ACCEPTED: '已受理，办理中',
  CASE_STATE_NOT_ACCEPTED: '不予受理',
  CASE_STATE_GUIDED_TO_LEGAL_CHANNEL: '已导入法定途径',
  CASE_STATE_ASSIGNED: '已交办',
  CASE_STATE_REPLIED: '已出具处理意见',
  CASE_STATE_AWAITING_EVALUATION: '待评价',
  CASE_STATE_UNDER_REVIEW: '复查中',
  CASE_STATE_REVIEWED: '已出具复查意见',
  CASE_STATE_UNDER_RE_REVIEW: '复核中',
  CASE_STATE_FINAL: '已终结',
  CASE_STATE_WITHDRAWN: '已撤回',
  CASE_STATE_LINKED_AS_REPEAT: '作为重复信访处理',
  CASE_STATE_CLOSED: '已办结',
  CASE_STATE_COMPLETION_REPORTED: '已报结',
};
export const stageNames = {
  CLOCK_STAGE_FORWARDING: '转送',
  CLOCK_STAGE_ACCEPTANCE_NOTICE: '受理告知',
  CLOCK_STAGE_OBJECTION: '异议',
  CLOCK_STAGE_HANDLING: '办理',
  CLOCK_STAGE_ASSIGNMENT_REPORT: '交办报结',
  CLOCK_STAGE_EVALUATION_WINDOW: '评价期',
  CLOCK_STAGE_REVIEW_REQUEST_WINDOW: '申请复查期',
  CLOCK_STAGE_REVIEW: '复查',
  CLOCK_STAGE_RE_REVIEW_REQUEST_WINDOW: '申请复核期',
  CLOCK_STAGE_RE_REVIEW: '复核',
  CLOCK_STAGE_SUPERVISION_REPORT: '督办报告',
};
export const clockStateBadges = {
  running: ['run', '进行中'],
  paused: ['run', '暂停（听证）'],
  met: ['ok', '按期'],
  missed: ['late', '超期'],
  breached: ['late', '已超期'],
  superseded: ['run', '不再计时'],
  expired: ['run', '期满'],
};
/** The 18 categories of petition matters, by their contract names (the words intake takes). */
export const categoryNames = {
  CATEGORY_URBAN_RURAL_CONSTRUCTION: '城乡建设',
  CATEGORY_LAND_WATER_FORESTRY: '国土资源水利林业',
  CATEGORY_LABOR_SOCIAL_SECURITY: '劳动社保',
  CATEGORY_RURAL_AGRICULTURE: '农村农业',
  CATEGORY_POLITICAL_LEGAL: '政法',
  CATEGORY_DISCIPLINE_SUPERVISION: '纪检监察',
  CATEGORY_ORGANIZATION_PERSONNEL: '组织人事',
  CATEGORY_CIVIL_AFFAIRS: '民政',
  CATEGORY_EDUCATION: '教育',
  CATEGORY_HEALTH_FAMILY_PLANNING: '卫生计生',
  CATEGORY_ECONOMY_GENERAL: '经济综合',
  CATEGORY_POLITICS_GENERAL: '政治综合',
  CATEGORY_TRANSPORT_ENERGY_ENVIRONMENT: '交通能源环保',
  CATEGORY_COMMERCE_TOURISM: '商贸旅游',
  CATEGORY_PUBLICITY_PUBLIC_OPINION: '宣传舆论',
  CATEGORY_INFORMATION_INDUSTRY: '信息产业',
  CATEGORY_SCIENCE_CULTURE_SPORTS: '科技文体',
  CATEGORY_OTHER: '其他',
};
/** Kinds by contract name and by number (the read model keeps the number). */
export const kindNames = {
  PETITION_KIND_SUGGESTION: '建议意见',
  PETITION_KIND_ACCUSATION: '检举控告',
  PETITION_KIND_COMPLAINT: '申诉求决',
  1: '建议意见',
  2: '检举控告',
  3: '申诉求决',
};
export const channelNames = {
  CHANNEL_LETTER: '来信',
  CHANNEL_VISIT: '来访',
  CHANNEL_PHONE: '电话',
  CHANNEL_WEB: '网上信访',
  CHANNEL_APP: '移动客户端',
  CHANNEL_WECHAT: '微信',
  CHANNEL_VIDEO: '视频',
  CHANNEL_QR: '扫码',
};
export const groundNames = {
  SUPERVISION_GROUND_OVERDUE: '超期未办',
  SUPERVISION_GROUND_SENSITIVE: '重点敏感',
  SUPERVISION_GROUND_URGED: '信访人催办',
  SUPERVISION_GROUND_OTHER: '其他',
};
export const supervisionStateNames = { open: '办理中', answered: '已回复', closed: '已办结' };
export const levelNames = { national: '国家级', provincial: '省级', prefecture: '地市级', county: '县级' };

/** The name of a contract value in Chinese, or the value itself when the page does not know it. */
export const named = (names, value) => names[value] ?? value ?? '—';

const timeFormat = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
});
const dayFormat = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});
export const time = (iso) => (iso ? timeFormat.format(new Date(iso)) : '—');
export const day = (iso) => (iso ? dayFormat.format(new Date(iso)) : '—');
/** A date picked in a form (YYYY-MM-DD) as the end of that day in Beijing, as intake takes times. */
export const endOfDay = (date) => (date ? new Date(`${date}T23:59:59+08:00`).toISOString() : undefined);
/** The date `days` from today in Beijing, as a date input takes it. */
export function dateAhead(days) {
  const d = new Date(Date.now() + days * 86_400_000 + 8 * 3_600_000);
  return d.toISOString().slice(0, 10);
}

/** Builds an element: h('td', {class: 'num'}, '12'). Text is always set as text, never as HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs))
    if (v !== undefined && v !== false && v !== null) el.setAttribute(k, v === true ? '' : String(v));
  for (const c of children.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function badge([kind, text]) {
  return h('span', { class: `badge ${kind}` }, text);
}

export const $ = (id) => document.getElementById(id);

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.messageZh || body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Calls tracking or intake (`/intake/...`); a 202 from intake is followed until routing answers. */
export async function api(path, { method = 'GET', body, token, headers: extra = {} } = {}) {
  const headers = { ...extra };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  if (method === 'POST') headers['idempotency-key'] = crypto.randomUUID();
  let r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  for (let i = 0; r.status === 202 && i < 20 && r.headers.get('location'); i++) {
    await new Promise((done) => setTimeout(done, 500));
    r = await fetch(r.headers.get('location'), { headers });
  }
  const text = await r.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!r.ok) throw new ApiError(r.status, parsed);
  return parsed;
}

/** Shows a message in an element: green for done, orange for a problem. */
export function say(el, text, ok = false) {
  el.textContent = text;
  el.className = ok ? 'message ok' : 'message';
}

/** What routing did with a command, in words: the step its first event records. */
const doneWords = {
  caseForwarded: '已转送',
  forwardObjected: '已提出转送异议',
  caseAssigned: '已交办',
  completionReported: '已报送办理结果',
  caseAccepted: '已受理',
  caseNotAccepted: '已决定不予受理',
  caseGuidedToLegalChannel: '已导入法定途径',
  coUnitsDesignated: '已确定牵头和协办单位',
  deadlineExtended: '已延长办理期限',
  caseReplied: '已出具处理意见',
  caseEvaluated: '评价已提交',
  reviewRequested: '复查请求已提交',
  reviewDecided: '已出具复查意见',
  reReviewRequested: '复核请求已提交',
  hearingStarted: '听证已开始',
  hearingEnded: '听证已结束',
  reReviewDecided: '已出具复核意见',
  caseWithdrawn: '已撤回',
  caseLinkedAsRepeat: '已作为重复信访处理',
  custodyTransferred: '已移交',
  supervisionIssued: '督办单已下发',
  supervisionAnswered: '督办情况已回复',
  supervisionClosed: '督办单已办结',
  caseTakenInCharge: '已领导包案',
  caseSupplemented: '补充材料已提交',
  caseUrged: '催办已提交',
  repeatCandidateDismissed: '已排除疑似重复',
};

/** Intake's answer to an action as a sentence: routing applied it (which step), or it is still on its way. */
export function outcomeWords(answer) {
  if (answer?.status === 'pending') return '已提交，办理系统尚未答复，请稍后刷新查看';
  // The event's JSON: its envelope, the state and holder after it, and one key naming the step.
  const step = Object.keys(answer?.event ?? {}).find((k) => k in doneWords);
  return `办理系统已确认：${step ? doneWords[step] : '已办理'}`;
}

/** A refusal or a bad request as a sentence: routing's reason and the article behind it, or the fields named. */
export function refusalWords(err) {
  const b = err.body ?? {};
  if (Array.isArray(b.errors) && b.errors.length)
    return `请求有误：${b.errors.map((e) => `${e.field ?? ''} ${e.message ?? ''}`.trim()).join('；')}`;
  if (err.status === 404) return `未办理：${b.messageZh || '信访件不存在或不在本单位'}`;
  // Routing names the case's state by its code: said in words here.
  const text = err.message.replace(/CASE_STATE_[A-Z_]+/g, (code) => stateNames[code] ?? code);
  return `未办理：${text}${b.article ? `（${b.article}）` : ''}`;
}

/**
 * The unit token, kept in this page's memory only, for the page's life: a reload asks for it again. Not
 * localStorage (it stays on disk after the browser closes, shared by every tab), nor sessionStorage (it
 * outlives a reload): what any script of the origin can read there, an injected one could carry off.
 * A case page this page opened asks this page for it (postMessage, answered to those windows only).
 */
let unitToken = '';
const opened = new Set();
export const tokenStore = {
  get: () => unitToken,
  set: (t) => {
    unitToken = t;
  },
};
// Earlier versions kept it in localStorage: it goes.
localStorage.removeItem('unitToken');

window.addEventListener('message', (e) => {
  if (e.origin !== location.origin || e.data?.type !== 'unit-token?' || !unitToken || !opened.has(e.source)) return;
  e.source.postMessage({ type: 'unit-token', token: unitToken }, location.origin);
});

/** Opens a page of this origin (a case) in a new tab that may ask this page for the token. */
export function openWithToken(href) {
  const w = window.open(href, '_blank');
  if (w) opened.add(w);
  return w;
}

/** A link that opens with the token: an ordinary link (keyboard, middle click), taken over on a plain click. */
export function tokenLink(href, ...children) {
  const a = h('a', { href, target: '_blank' }, ...children);
  a.addEventListener('click', (e) => {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    openWithToken(href);
  });
  return a;
}

/** The token of the page that opened this one, if it gives it within a moment; '' otherwise. */
export function tokenFromOpener() {
  const opener = window.opener;
  if (!opener) return Promise.resolve('');
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(''), 1_000);
    const onMessage = (e) => {
      if (e.origin !== location.origin || e.source !== opener || e.data?.type !== 'unit-token') return;
      done(String(e.data.token ?? ''));
    };
    function done(token) {
      clearTimeout(timer);
      window.removeEventListener('message', onMessage);
      resolve(token);
    }
    window.addEventListener('message', onMessage);
    try {
      opener.postMessage({ type: 'unit-token?' }, location.origin);
    } catch {
      done('');
    }
  });
}

/**
 * The sign-in section (#login, #login-form, #token, #login-message): `enter(token)` runs with the token
 * given, or with the opener's when this page was opened from another one; its error is shown in words.
 */
export async function signIn(enter) {
  const tryEnter = async (token) => {
    tokenStore.set(token);
    try {
      await enter(token);
      $('login').hidden = true;
    } catch (err) {
      tokenStore.set('');
      say($('login-message'), err.status === 401 ? `令牌无效：${err.message}` : err.message);
    }
  };
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    tryEnter($('token').value.trim());
  });
  const handed = await tokenFromOpener();
  if (handed) await tryEnter(handed);
}

/** The directory's name of a unit (asked once per page), or its id while unknown. */
const unitNames = new Map();
export async function unitName(unitId) {
  if (!unitId) return '—';
  if (!unitNames.has(unitId))
    unitNames.set(
      unitId,
      api(`/v1/units/${encodeURIComponent(unitId)}`)
        .then((u) => u.name ?? unitId)
        .catch(() => unitId),
    );
  return unitNames.get(unitId);
}

/** Downloads what `path` answers (it needs the token, so no plain link can fetch it) as `filename`. */
export async function download(path, token, filename) {
  const r = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) {
    const text = await r.text();
    throw new ApiError(r.status, text ? JSON.parse(text) : undefined);
  }
  const url = URL.createObjectURL(await r.blob());
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Paging by cursor: remembers the cursors of the pages seen, so 上一页 goes back and 下一页 goes on.
 * `load(cursor)` shows a page and answers its `next` (a cursor, or null at the end).
 */
export function pager({ prev, next, where }, load) {
  const cursors = [undefined];
  const show = async () => {
    const after = await load(cursors.at(-1));
    prev.disabled = cursors.length < 2;
    next.disabled = !after;
    next.dataset.cursor = after ?? '';
    if (where) where.textContent = `第 ${cursors.length} 页`;
  };
  prev.addEventListener('click', () => {
    if (cursors.length > 1) cursors.pop();
    show();
  });
  next.addEventListener('click', () => {
    if (next.dataset.cursor) cursors.push(next.dataset.cursor);
    show();
  });
  return {
    /** Back to the first page (new filters), or the same page again. */
    first: () => {
      cursors.splice(1);
      return show();
    },
    again: show,
  };
}
