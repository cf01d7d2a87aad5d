export { type ConfigRow, describeConfig, formatConfigReference, redactConfig } from './describe-config.ts';
export {
  allowDevelopmentSecretsVariable,
  developmentSecretsInUse,
  refuseDevelopmentSecrets,
} from './development-secrets.ts';
export { formatDurationMs, parseDurationMs } from './duration.ts';
export {
  ConfigError,
  type ConfigOf,
  type ConfigProblem,
  type ConfigSchema,
  type Environment,
  loadConfig,
} from './load-config.ts';
export type { CommonOptions, Parsed, Reader, ValueOf } from './reader.ts';
export {
  type AddressesOptions,
  addresses,
  type BoolOptions,
  bool,
  type DurationOptions,
  durationMs,
  type IntOptions,
  int,
  type ListOptions,
  list,
  oneOf,
  type PortOptions,
  port,
  type StrOptions,
  str,
  type UrlOptions,
  url,
} from './readers.ts';
