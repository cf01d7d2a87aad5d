import { devQueryCodeSecret, staffTokenSchema } from '@petition/auth';
import { durationMs, int, loadConfig, str, url } from '@petition/config';
import { membershipSchema } from '@petition/federation';
import { defaultFormulaText, kpiFormulas } from '@petition/kpi';
import { runtimeSchema } from '@petition/runtime';
import { devSealKeys } from '@petition/seal';
import { parseIntegrators } from './subscriptions/integrators.ts';

export const trackingSchema = {
  ...runtimeSchema,
  ...membershipSchema,
  httpPort: int('TRACKING_HTTP_PORT', {
    default: 8081,
    min: 0,
    max: 65_535,
    doc: 'HTTP port of tracking (0 picks a free one)',
  }),
  opsPort: int('TRACKING_OPS_PORT', {
    default: 9081,
    min: 0,
    max: 65_535,
    doc: 'Operators’ port of tracking: /healthz, /readyz, /metrics, OpenAPI at /docs (0 picks a free one); keep it off the public network',
  }),
  grpcPort: int('TRACKING_GRPC_PORT', {
    optional: true,
    min: 0,
    max: 65_535,
    doc: 'gRPC port of SubscriptionService (integrators pull their subscriptions’ events; `npm start` sets 50052, 0 picks a free one); unset: no gRPC',
  }),
  integrators: str('TRACKING_INTEGRATORS', {
    optional: true,
    doc: 'Integrators who may subscribe: JSON [{clientId, name, unitId, scopes: ["events", "personal-data"], secretSha256, allowPrivateTargets?}]',
  }),
  streamHeartbeatMs: durationMs('TRACKING_STREAM_HEARTBEAT', {
    default: 15_000,
    doc: 'How often an idle subscription stream (SSE, gRPC) sends a heartbeat with its position, e.g. `15s`',
  }),
  host: str('TRACKING_HOST', { default: '0.0.0.0', doc: 'Address tracking listens on' }),
  ...staffTokenSchema,
  queryCodeSecret: str('QUERY_CODE_SECRET', {
    default: devQueryCodeSecret,
    secret: true,
    doc: 'The node’s query-code secret (as intake’s), to check a petitioner’s case number and query code',
  }),
  sealKeys: str('SEAL_KEYS', {
    default: devSealKeys,
    secret: true,
    doc: 'Personal-data keys `kid:base64(32 bytes),…` (as intake’s): opened only for the holding unit’s staff who ask with a reason, after the access audit has the opening',
  }),
  guessLimit: int('TRACKING_GUESS_LIMIT', {
    default: 10,
    min: 1,
    max: 10_000,
    doc: 'Wrong case number / query code pairs one client may try in 10 minutes before 429',
  }),
  kpiRetentionDays: int('TRACKING_KPI_RETENTION_DAYS', {
    default: 800,
    min: 1,
    max: 3_660,
    doc: 'Days a day’s KPI counts are kept in Redis after it (periods reaching further back are refused)',
  }),
  intakeUrl: url('TRACKING_INTAKE_URL', {
    default: 'http://127.0.0.1:8080',
    protocols: ['http', 'https'],
    doc: 'Intake, where the web pages’ actions go (tracking forwards /intake/* to it)',
  }),
  situationUrl: url('TRACKING_SITUATION_URL', {
    default: 'http://127.0.0.1:8082',
    protocols: ['http', 'https'],
    doc: 'Situation’s read API, where the supervision page’s hotspots come from (tracking forwards GET /situation/* to it)',
  }),
  kpiFormulas: str('TRACKING_KPI_FORMULAS', {
    default: defaultFormulaText,
    doc: 'KPI formulas `name=expression; …` over the counters of packages/kpi (e.g. 满意率=(satisfied+basicallySatisfied)/evaluated)',
  }),
} as const;

export type TrackingConfig = ReturnType<typeof loadTrackingConfig>;

/** Which secrets hold the development values published in this repository (refused at start unless allowed). */
export const developmentSecretsIn = (config: TrackingConfig) => ({
  QUERY_CODE_SECRET: config.queryCodeSecret === devQueryCodeSecret,
  SEAL_KEYS: config.sealKeys === devSealKeys,
});

/** Loads the configuration; formulas that do not parse are refused here, naming what is wrong. */
export const loadTrackingConfig = (env: NodeJS.ProcessEnv = process.env) => {
  const config = loadConfig(trackingSchema, env);
  let formulas: ReturnType<typeof kpiFormulas>;
  try {
    formulas = kpiFormulas(config.kpiFormulas);
  } catch (err) {
    throw new Error(`TRACKING_KPI_FORMULAS: ${(err as Error).message}`);
  }
  return { ...config, formulas, integratorList: parseIntegrators(config.integrators) };
};
