import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@petition/logging';
import { localDir, workspaceRoot } from './paths.ts';

export interface KafkaJars {
  libsDir: string;
  version: string;
}

/** The Kafka version deploy/kafka/pom.xml pins, unless KAFKA_VERSION chose another. */
export function pinnedKafkaVersion(): string {
  const pom = readFileSync(join(workspaceRoot(), 'deploy', 'kafka', 'pom.xml'), 'utf8');
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom);
  if (!match?.[1]) throw new Error('deploy/kafka/pom.xml names no kafka.version');
  return match[1];
}

/**
 * The broker's jars from Maven Central (kafka_2.13 and its runtime dependencies, plus a logging
 * backend), copied once under .local/kafka/libs-<version>; later runs reuse them.
 */
export function ensureKafkaJars(version: string, logger: Logger): KafkaJars {
  const libsDir = localDir('kafka', `libs-${version}`);
  const complete = join(libsDir, '.complete');
  if (existsSync(complete) && readFileSync(complete, 'utf8') === version) return { libsDir, version };
  logger.info({ version, libsDir }, 'fetching the Kafka broker jars from Maven Central');
  rmSync(libsDir, { recursive: true, force: true });
  const result = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      join(workspaceRoot(), 'deploy', 'kafka', 'pom.xml'),
      'dependency:copy-dependencies',
      `-Dkafka.version=${version}`,
      '-DincludeScope=runtime',
      `-DoutputDirectory=${libsDir}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.error) throw new Error(`could not run Maven (mvn): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`Maven could not fetch Kafka ${version} (exit ${result.status})`);
  writeFileSync(complete, version);
  return { libsDir, version };
}
