export { type Routing, startRouting } from './app.ts';
export { createCaseStore } from './case-store.ts';
export { loadRoutingConfig, type RoutingConfig, routingSchema } from './config.ts';
