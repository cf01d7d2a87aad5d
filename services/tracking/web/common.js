// What the three pages share: calls to tracking and (through /intake) to intake, problem+json shown as
// its Chinese text where there is one, dates in Beijing time, and the Chinese names of states and stages.

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

/** Builds an element: h('td', {class: 'num'}, '12'). Text is always set as text, never as HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs))
    if (v !== undefined && v !== false) el.setAttribute(k, v === true ? '' : String(v));
  for (const c of children.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function badge([kind, text]) {
  return h('span', { class: `badge ${kind}` }, text);
}

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

/**
 * The unit token of the workbench and the dashboard, kept in this page's memory only, for the page's life:
 * a reload or another tab asks for it again. Not localStorage (it stays on disk after the browser closes,
 * shared by every tab), nor sessionStorage (it outlives a reload): what any script of the origin can read
 * there, an injected one could carry off.
 */
let unitToken = '';
export const tokenStore = {
  get: () => unitToken,
  set: (t) => {
    unitToken = t;
  },
};
// Earlier versions kept it in localStorage: it goes.
localStorage.removeItem('unitToken');
