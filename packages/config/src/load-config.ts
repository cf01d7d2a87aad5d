import type { Reader } from './reader.ts';

/** A service's configuration: one reader per setting, keyed by the name the code uses. */
export type ConfigSchema = Record<string, Reader<unknown>>;

/** The loaded configuration a schema describes. */
export type ConfigOf<S extends ConfigSchema> = { readonly [K in keyof S]: S[K] extends Reader<infer T> ? T : never };

export type Environment = Readonly<Record<string, string | undefined>>;

export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Raised once, at start, with every problem found, so one failed deploy shows everything to fix. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  /** A deployment that is misconfigured stays misconfigured until someone changes it. */
  readonly retryable = false;
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = problems.map((p) => `  - ${p.variable}: ${p.message}`);
    super([`Invalid configuration (${count}):`, ...lines].join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const maxShownLength = 80;

function shown(reader: Reader<unknown>, raw: string): string {
  if (reader.secret) return 'a value that is not shown (secret)';
  return JSON.stringify(raw.length > maxShownLength ? `${raw.slice(0, maxShownLength)}…` : raw);
}

/**
 * Reads every variable of `schema` from `env`. Values are trimmed, and an empty value counts as unset:
 * orchestrators and `.env` files routinely produce `X=` meaning "not configured", and secrets mounted from
 * files often carry a trailing newline.
 *
 * @throws ConfigError listing every missing or malformed variable.
 */
export function loadConfig<S extends ConfigSchema>(schema: S, env: Environment = process.env): ConfigOf<S> {
  const config: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [key, reader] of Object.entries(schema)) {
    const { variable } = reader;
    const raw = env[variable]?.trim() ?? '';
    if (raw === '') {
      if (reader.required) problems.push({ variable, message: `not set; expected ${reader.expected}` });
      // A copy, so a caller that pushes onto a default list does not change the schema's default.
      config[key] = structuredClone(reader.default);
      continue;
    }
    const parsed = reader.parse(raw);
    if (parsed.ok) config[key] = parsed.value;
    else problems.push({ variable, message: `expected ${reader.expected}, got ${shown(reader, raw)}` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config) as ConfigOf<S>;
}
