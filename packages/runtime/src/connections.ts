import { readFileSync } from 'node:fs';
import type { BusOptions } from '@petition/bus';
import { type CommonOptions, ConfigError, type ConfigProblem, type Reader, type ValueOf } from '@petition/config';
import { Redis, type RedisOptions } from 'ioredis';
import type { RuntimeConfig } from './runtime-config.ts';

// How a service reaches its plumbing — the broker (TLS, SASL) and Redis (password, TLS) — from the
// runtime's configuration, and the checks across variables that no single reader can make.

const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** A file of PEM certificates (CAs to trust), named by its path; checked readable and PEM at start. */
export function pemFile<O extends CommonOptions<string>>(variable: string, options?: O): Reader<ValueOf<string, O>> {
  const reader: Reader<string> = {
    variable,
    type: 'PEM file path',
    expected: 'the path of a readable file of PEM certificates',
    doc: options?.doc,
    secret: false,
    required: false,
    hasDefault: false,
    default: undefined,
    parse(raw) {
      try {
        return pemCertificate.test(readFileSync(raw, 'utf8')) ? { ok: true, value: raw } : { ok: false };
      } catch {
        return { ok: false };
      }
    },
    format: String,
  };
  return reader as Reader<ValueOf<string, O>>;
}

/** The settings of the runtime schema that say how to connect (a service's config holds them all). */
export type ConnectionConfig = Pick<
  RuntimeConfig,
  | 'kafkaSecurityProtocol'
  | 'kafkaSaslMechanism'
  | 'kafkaSaslUsername'
  | 'kafkaSaslPassword'
  | 'kafkaTlsCa'
  | 'kafkaTlsRejectUnauthorized'
  | 'topicReplicationFactor'
  | 'topicMinInsyncReplicas'
  | 'redisUrl'
  | 'redisTlsCa'
>;

const usesSasl = (c: Pick<ConnectionConfig, 'kafkaSecurityProtocol'>) => c.kafkaSecurityProtocol.startsWith('SASL_');
const usesTls = (c: Pick<ConnectionConfig, 'kafkaSecurityProtocol'>) => c.kafkaSecurityProtocol.endsWith('SSL');

/** What is wrong across the connection variables (each one alone has been read already). */
export function connectionProblems(c: ConnectionConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const protocol = `KAFKA_SECURITY_PROTOCOL is ${c.kafkaSecurityProtocol}`;
  if (usesSasl(c)) {
    if (c.kafkaSaslUsername === undefined) {
      problems.push({ variable: 'KAFKA_SASL_USERNAME', message: `not set; ${protocol}, which authenticates` });
    }
    if (c.kafkaSaslPassword === undefined) {
      problems.push({ variable: 'KAFKA_SASL_PASSWORD', message: `not set; ${protocol}, which authenticates` });
    }
    if (c.kafkaSaslMechanism === 'PLAIN' && !usesTls(c)) {
      problems.push({
        variable: 'KAFKA_SASL_MECHANISM',
        message: 'PLAIN sends the password as it is: use it only with KAFKA_SECURITY_PROTOCOL=SASL_SSL',
      });
    }
  } else if (c.kafkaSaslUsername !== undefined || c.kafkaSaslPassword !== undefined) {
    problems.push({
      variable: 'KAFKA_SECURITY_PROTOCOL',
      message: `${c.kafkaSecurityProtocol} does not authenticate, yet KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set: choose SASL_SSL (or SASL_PLAINTEXT)`,
    });
  }
  if (!usesTls(c) && c.kafkaTlsCa !== undefined) {
    problems.push({
      variable: 'KAFKA_TLS_CA',
      message: `set, but ${protocol}, which does not use TLS: choose SSL or SASL_SSL`,
    });
  }
  if (c.topicMinInsyncReplicas > c.topicReplicationFactor) {
    problems.push({
      variable: 'TOPIC_MIN_INSYNC_REPLICAS',
      message: `${c.topicMinInsyncReplicas} is more than TOPIC_REPLICATION_FACTOR (${c.topicReplicationFactor}): no write could ever succeed`,
    });
  }
  if (c.redisTlsCa !== undefined && !c.redisUrl.toLowerCase().startsWith('rediss:')) {
    problems.push({ variable: 'REDIS_TLS_CA', message: 'set, but REDIS_URL is not rediss:// (TLS)' });
  }
  return problems;
}

/** Throws a ConfigError naming every variable whose value does not fit the others. */
export function checkConnections(c: ConnectionConfig): void {
  const problems = connectionProblems(c);
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Whether `config` carries the connection settings (a service's configuration spreads the runtime schema). */
export function hasConnectionConfig(config: unknown): config is ConnectionConfig {
  return typeof config === 'object' && config !== null && 'kafkaSecurityProtocol' in config;
}

type BusSettings = Pick<BusOptions, 'tls' | 'sasl' | 'topicReplicationFactor' | 'topicMinInsyncReplicas'>;

/**
 * The bus options the configuration sets: TLS and SASL (the CA file read now), and the replication of the
 * topics it creates. A configuration without these settings (a test's literal) gets the plaintext defaults.
 */
export function busSettings(c: Partial<ConnectionConfig>): BusSettings {
  const replication = {
    ...(c.topicReplicationFactor === undefined ? {} : { topicReplicationFactor: c.topicReplicationFactor }),
    ...(c.topicMinInsyncReplicas === undefined ? {} : { topicMinInsyncReplicas: c.topicMinInsyncReplicas }),
  };
  if (c.kafkaSecurityProtocol === undefined || c.kafkaSecurityProtocol === 'PLAINTEXT') return replication;
  checkConnections(c as ConnectionConfig);
  return {
    ...replication,
    ...(usesTls(c as ConnectionConfig)
      ? {
          tls: {
            ...(c.kafkaTlsCa === undefined ? {} : { ca: readFileSync(c.kafkaTlsCa, 'utf8') }),
            rejectUnauthorized: c.kafkaTlsRejectUnauthorized ?? true,
          },
        }
      : {}),
    ...(usesSasl(c as ConnectionConfig)
      ? {
          sasl: {
            mechanism: c.kafkaSaslMechanism ?? 'SCRAM-SHA-512',
            username: c.kafkaSaslUsername ?? '',
            password: c.kafkaSaslPassword ?? '',
          },
        }
      : {}),
  };
}

/** The Redis URL fit for a log line or an error: the password replaced. */
export function redisUrlForLogs(url: string): string {
  if (!URL.canParse(url)) return '(an unparsable REDIS_URL)';
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString().replace(/\/$/, '');
}

/** ioredis's options besides the URL: TLS trusting REDIS_TLS_CA (a rediss:// URL alone uses the system CAs). */
export function redisOptions(c: Pick<ConnectionConfig, 'redisUrl'> & Partial<Pick<ConnectionConfig, 'redisTlsCa'>>) {
  const options: RedisOptions = {};
  if (c.redisTlsCa !== undefined) options.tls = { ca: [readFileSync(c.redisTlsCa, 'utf8')] };
  return options;
}

export const redisConnectErrorCodes = [
  'REDIS_AUTHENTICATION_FAILED',
  'REDIS_TLS_UNTRUSTED',
  'REDIS_UNREACHABLE',
] as const;
export type RedisConnectErrorCode = (typeof redisConnectErrorCodes)[number];

const redisExplanations: Record<RedisConnectErrorCode, string> = {
  REDIS_AUTHENTICATION_FAILED: 'refused the password: REDIS_URL must carry the right one (redis://:<password>@host)',
  REDIS_TLS_UNTRUSTED: 'presented a TLS certificate that is not trusted: REDIS_TLS_CA must name the CA that signed it',
  REDIS_UNREACHABLE: 'does not answer',
};

/** Redis could not be connected to; a refused password or certificate is not retryable. */
export class RedisConnectError extends Error {
  readonly code: RedisConnectErrorCode;
  readonly retryable: boolean;
  constructor(code: RedisConnectErrorCode, url: string, cause: unknown) {
    const reason = cause instanceof Error ? ` (${cause.message})` : '';
    super(`Redis at ${redisUrlForLogs(url)} ${redisExplanations[code]}${reason}`, { cause });
    this.name = 'RedisConnectError';
    this.code = code;
    this.retryable = code === 'REDIS_UNREACHABLE';
  }
}

function redisErrorCode(error: unknown): RedisConnectErrorCode {
  const message = error instanceof Error ? error.message : '';
  const code = (error as { code?: unknown } | undefined)?.code;
  if (/^(WRONGPASS|NOAUTH)|invalid password/i.test(message)) return 'REDIS_AUTHENTICATION_FAILED';
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)/.test(code)) {
    return 'REDIS_TLS_UNTRUSTED';
  }
  return 'REDIS_UNREACHABLE';
}

/**
 * A connected Redis client for the configuration, checked with a PING. ioredis reports a refused password
 * only as "Connection is closed" and then reconnects for ever; this names the reason and stops it.
 */
export async function connectRedis(
  c: Pick<ConnectionConfig, 'redisUrl'> & Partial<Pick<ConnectionConfig, 'redisTlsCa'>>,
  options: RedisOptions = {},
): Promise<Redis> {
  const redis = new Redis(c.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    ...redisOptions(c),
    ...options,
  });
  let lastError: unknown;
  const remember = (err: unknown) => {
    lastError = err;
  };
  redis.on('error', remember);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new RedisConnectError(redisErrorCode(lastError ?? err), c.redisUrl, lastError ?? err);
  } finally {
    redis.off('error', remember);
  }
  return redis;
}
