export { type Notification, startNotification } from './app.ts';
export { signature } from './channels.ts';
export { loadNotificationConfig, type NotificationConfig, notificationSchema } from './config.ts';
export { createQueue as createNotificationQueue } from './queue.ts';
