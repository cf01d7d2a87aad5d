export { type Routing, startRouting } from './app.ts';
export { type BureauMode, parseRouteModes } from './auto-route.ts';
export { createCaseStore } from './case-store.ts';
export { loadRoutingConfig, type RoutingConfig, routingSchema } from './config.ts';
export { createWriter, type Writer } from './writer.ts';
export { writtenHistory } from './written-history.ts';
