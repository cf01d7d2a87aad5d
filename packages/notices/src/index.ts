export { cloudEventOf } from './cloud-event.ts';
export { hotspotNotices } from './hotspots.ts';
export { dueDate, type Notice, type NoticeContext, noticeId, noticesFor, type Subscription } from './notices.ts';
export { render, type Template, templates } from './templates.ts';
export { parseWebhookSubscriptions } from './webhook-subscriptions.ts';
