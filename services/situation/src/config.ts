import { staffTokenSchema } from '@petition/auth';
import { durationMs, int, loadConfig, str } from '@petition/config';
import { runtimeSchema } from '@petition/runtime';
import { defaultThresholdsPath } from './thresholds.ts';

// Situation's settings over env vars, parsed once at start (a bad one stops it naming the variable). The
// thresholds themselves are data in a file of their own (thresholds.ts), checked at start too.

export const situationSchema = {
  ...runtimeSchema,
  httpPort: int('SITUATION_HTTP_PORT', {
    default: 8082,
    min: 0,
    max: 65_535,
    doc: 'Port of situation’s read API, GET /v1/hotspots (0 picks a free one)',
  }),
  opsPort: int('SITUATION_OPS_PORT', {
    default: 8093,
    min: 0,
    max: 65_535,
    doc: 'Operators’ port of situation: /healthz, /readyz, /metrics (0 picks a free one); keep it off the public network',
  }),
  host: str('SITUATION_HOST', { default: '0.0.0.0', doc: 'Address situation listens on' }),
  thresholds: str('SITUATION_THRESHOLDS', {
    default: defaultThresholdsPath,
    doc: 'JSON file of the hotspot thresholds (services/situation/thresholds.json by default)',
  }),
  tickMs: durationMs('SITUATION_TICK', {
    default: 30_000,
    min: 100,
    doc: 'How often the analysis clock is moved to now, so that quiet hours clear hotspots without a new petition',
  }),
  lookbackMs: durationMs('SITUATION_LOOKBACK', {
    default: 140 * 86_400_000,
    min: 0,
    doc: 'How far back a start reads case-events and deadline-events (by when they were written); 0 reads the whole log. 140d: five half-lives of the daily baseline',
  }),
  ...staffTokenSchema,
} as const;

export type SituationConfig = ReturnType<typeof loadSituationConfig>;

export const loadSituationConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(situationSchema, env);
