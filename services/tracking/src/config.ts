import { devTokenKeys } from '@petition/auth';
import { int, loadConfig, str } from '@petition/config';
import { infraSchema } from '@petition/infra';

export const trackingSchema = {
  ...infraSchema,
  httpPort: int('TRACKING_HTTP_PORT', {
    default: 8081,
    min: 0,
    max: 65_535,
    doc: 'HTTP port of tracking (0 picks a free one)',
  }),
  host: str('TRACKING_HOST', { default: '0.0.0.0', doc: 'Address tracking listens on' }),
  tokenKeys: str('UNIT_TOKEN_KEYS', {
    default: devTokenKeys,
    secret: true,
    doc: 'Unit-token keys `kid:secret,…` (as intake’s), to verify unit staff',
  }),
  guessLimit: int('TRACKING_GUESS_LIMIT', {
    default: 10,
    min: 1,
    max: 10_000,
    doc: 'Wrong case number / query code pairs one client may try in 10 minutes before 429',
  }),
} as const;

export type TrackingConfig = ReturnType<typeof loadTrackingConfig>;
export const loadTrackingConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(trackingSchema, env);
