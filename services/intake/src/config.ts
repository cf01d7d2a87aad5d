import { devQueryCodeSecret, staffTokenSchema } from '@petition/auth';
import { addresses, durationMs, int, loadConfig, str } from '@petition/config';
import { membershipSchema } from '@petition/federation';
import { runtimeSchema } from '@petition/runtime';
import { devSealKeys } from '@petition/seal';
import { open311KeysReader } from './open311/api-keys.ts';

// Development-only defaults, so that `npm start` runs on a fresh clone; a deployment sets its own keys
// (the service logs a warning while these are in use).
export { devQueryCodeSecret, devSealKeys };
export const devPersonIdSecret = 'development-only-person-id-secret';

export const intakeSchema = {
  ...runtimeSchema,
  ...membershipSchema,
  httpPort: int('INTAKE_HTTP_PORT', {
    default: 8080,
    min: 0,
    max: 65_535,
    doc: 'HTTP port of intake (0 picks a free one)',
  }),
  grpcPort: int('INTAKE_GRPC_PORT', {
    default: 50051,
    min: 0,
    max: 65_535,
    doc: 'gRPC port of intake (0 picks a free one)',
  }),
  opsPort: int('INTAKE_OPS_PORT', {
    default: 9080,
    min: 0,
    max: 65_535,
    doc: 'Operators’ port of intake: /healthz, /readyz, /metrics, OpenAPI at /docs (0 picks a free one); keep it off the public network',
  }),
  host: str('INTAKE_HOST', { default: '0.0.0.0', doc: 'Address intake listens on' }),
  sourceId: int('INTAKE_SOURCE_ID', {
    default: 0,
    min: 0,
    max: 1023,
    doc: 'This instance’s id in the nation (0–1023), unique per running instance: it keeps case numbers unique',
  }),
  ...staffTokenSchema,
  sealKeys: str('SEAL_KEYS', {
    default: devSealKeys,
    secret: true,
    doc: 'Personal-data keys `kid:base64(32 bytes),…`; the first seals, all open',
  }),
  personIdSecret: str('PERSON_ID_SECRET', {
    default: devPersonIdSecret,
    secret: true,
    doc: 'HMAC secret turning an ID number into the pseudonymous person id carried by events',
  }),
  queryCodeSecret: str('QUERY_CODE_SECRET', {
    default: devQueryCodeSecret,
    secret: true,
    doc: 'The node’s secret (≥ 32 characters) under which query codes are verified; intake and tracking alone hold it',
  }),
  maxCommandBytes: int('INTAKE_MAX_COMMAND_BYTES', {
    default: 900_000,
    min: 16_384,
    doc: 'Largest command sent to the broker (keep it under the broker’s message.max.bytes); a larger one is refused with 413',
  }),
  registrationLimit: int('INTAKE_REGISTRATION_LIMIT', {
    default: 20,
    min: 1,
    doc: 'Petitions one client may file without a unit token per INTAKE_REGISTRATION_WINDOW (then 429)',
  }),
  registrationWindowMs: durationMs('INTAKE_REGISTRATION_WINDOW', {
    default: 3_600_000,
    min: 1_000,
    doc: 'The window of INTAKE_REGISTRATION_LIMIT',
  }),
  phoneLimit: int('INTAKE_PHONE_LIMIT', {
    default: 5,
    min: 1,
    doc: 'Petitions that may name one phone number per INTAKE_PHONE_WINDOW (each texts it when SMS is on; then 429)',
  }),
  phoneWindowMs: durationMs('INTAKE_PHONE_WINDOW', {
    default: 86_400_000,
    min: 1_000,
    doc: 'The window of INTAKE_PHONE_LIMIT',
  }),
  receivedMaxAgeMs: durationMs('INTAKE_RECEIVED_MAX_AGE', {
    default: 90 * 86_400_000,
    min: 0,
    doc: 'Oldest receivedTime accepted for letters and visits entered after the fact',
  }),
  outcomeWaitMs: durationMs('INTAKE_OUTCOME_WAIT', {
    default: 3_000,
    min: 0,
    max: 60_000,
    doc: 'How long a caller waits for routing’s outcome before getting 202 and a link to follow',
  }),
  bodyLimitBytes: int('INTAKE_BODY_LIMIT_BYTES', {
    default: 256 * 1024,
    min: 1024,
    doc: 'Largest request body accepted',
  }),
  indexEpochCheckMs: durationMs('INTAKE_INDEX_CHECK_INTERVAL', {
    default: 10_000,
    min: 100,
    doc: 'How often intake checks that its case index survived in Redis (a flush starts a rebuild)',
  }),
  trustedProxies: addresses('INTAKE_TRUSTED_PROXIES', {
    default: ['loopback'],
    doc: 'Peers whose X-Forwarded-For names the client (tracking’s page proxy, a load balancer): the client, not the proxy, is then counted for INTAKE_GUESS_LIMIT',
  }),
  guessLimit: int('INTAKE_GUESS_LIMIT', {
    default: 10,
    min: 1,
    doc: 'Wrong case number / query code attempts a client may make per window before it is turned away',
  }),
  guessWindowMs: durationMs('INTAKE_GUESS_WINDOW', {
    default: 900_000,
    min: 1_000,
    doc: 'The window of INTAKE_GUESS_LIMIT',
  }),
  idempotencyTtlMs: durationMs('INTAKE_IDEMPOTENCY_TTL', {
    default: 86_400_000,
    min: 60_000,
    doc: 'How long an Idempotency-Key is remembered',
  }),
  open311ApiKeys: open311KeysReader(
    'OPEN311_API_KEYS',
    'Open311 (GeoReport v2) clients: `name:secret:CHANNEL[:unit=<unit id>][:sees-all]`, comma-separated (secret 24–128 of A-Za-z0-9_-); none: every POST and request lookup is refused 403',
  ),
} as const;

export type IntakeConfig = ReturnType<typeof loadIntakeConfig>;

export const loadIntakeConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(intakeSchema, env);

/** Which secrets hold the development values published in this repository (refused at start unless allowed). */
export const developmentSecretsIn = (config: IntakeConfig) => ({
  SEAL_KEYS: config.sealKeys === devSealKeys,
  PERSON_ID_SECRET: config.personIdSecret === devPersonIdSecret,
  QUERY_CODE_SECRET: config.queryCodeSecret === devQueryCodeSecret,
});
