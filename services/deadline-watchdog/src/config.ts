import { durationMs, int, loadConfig, str } from '@petition/config';
import { membershipSchema } from '@petition/federation';
import { runtimeSchema } from '@petition/runtime';

export const watchdogSchema = {
  ...runtimeSchema,
  ...membershipSchema,
  httpPort: int('WATCHDOG_HTTP_PORT', {
    default: 8091,
    min: 0,
    max: 65_535,
    doc: 'Port of the watchdog’s /healthz, /readyz, /metrics',
  }),
  host: str('WATCHDOG_HOST', { default: '0.0.0.0', doc: 'Address the watchdog listens on' }),
  tickMs: durationMs('WATCHDOG_TICK', { default: 1_000, doc: 'How often due clocks are looked for' }),
  batch: int('WATCHDOG_FIRE_BATCH', {
    default: 500,
    min: 1,
    max: 100_000,
    doc: 'Most cases whose clocks are fired in one go (no thundering herd); a full batch is followed by the next at once',
  }),
  lateAfterMs: durationMs('WATCHDOG_LATE_AFTER', {
    default: 60_000,
    doc: 'A step written this long after it fell due is marked late (e.g. after downtime)',
  }),
  holidayTable: str('WATCHDOG_HOLIDAY_TABLE', {
    optional: true,
    doc: 'JSON file with a newer holiday table ({version, years, restDays, workdays}); provisional clocks are recomputed under it',
  }),
} as const;

export type WatchdogConfig = ReturnType<typeof loadWatchdogConfig>;
export const loadWatchdogConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(watchdogSchema, env);
