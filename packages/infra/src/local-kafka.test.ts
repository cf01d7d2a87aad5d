import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@petition/logging';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureKafkaJars, pinnedKafkaVersion } from './kafka-jars.ts';
import { formatStorage, newClusterId, renderConfig } from './local-kafka.ts';

const logger = createLogger({ service: 'local-kafka-test', level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'petition-kraft-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('KRaft storage', () => {
  it('draws cluster ids that never start with a dash (an option to the storage tool)', () => {
    const ids = Array.from({ length: 2_000 }, newClusterId);
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 20)) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it('formats storage even for an id that starts with a dash', () => {
    const { libsDir } = ensureKafkaJars(pinnedKafkaVersion(), logger);
    const data = join(dir, 'data');
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'server.properties');
    writeFileSync(config, renderConfig({ port: 1, controllerPort: 2 }, data));
    const clusterId = '-Zm9vYmFyYmF6cXV4cXV1eA';
    formatStorage({ libsDir, config, data, heapMb: 128, clusterId }, logger);
    expect(readFileSync(join(data, 'meta.properties'), 'utf8')).toContain(`cluster.id=${clusterId}`);
  });
});
