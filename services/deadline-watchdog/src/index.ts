export { startWatchdog, type Watchdog } from './app.ts';
export { caseKey, packClock, unpackClock } from './codec.ts';
export { loadWatchdogConfig, type WatchdogConfig, watchdogSchema } from './config.ts';
export { changeEvent, firedEvents } from './events.ts';
export { createKeeper, type Keeper } from './keeper.ts';
export { createClockStore } from './store.ts';
