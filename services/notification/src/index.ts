export { type Notification, startNotification } from './app.ts';
export { loadNotificationConfig, type NotificationConfig, notificationSchema } from './config.ts';
export { createQueue as createNotificationQueue } from './queue.ts';
