export { startTracking, type Tracking } from './app.ts';
export { loadTrackingConfig, type TrackingConfig, trackingSchema } from './config.ts';
