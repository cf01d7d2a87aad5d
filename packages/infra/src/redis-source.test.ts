import { describe, expect, it } from 'vitest';
import { redisSource } from './local-redis.ts';

// How `npm start` / `infra:up` brings a Redis where none answers at a local REDIS_URL: the installed
// redis-server first, then Debian's (apt-get, only as root), then a container where a Docker engine
// answers; with none of them it stops and says what to do. (The redis-server path runs for real in
// test/start-supervision.test.ts; no Docker engine runs on this machine kind, so the container path is
// only decided here.)

describe('redisSource', () => {
  it.each([
    [{ installed: true, root: false, docker: true }, 'redis-server'],
    [{ installed: true, root: true, docker: false }, 'redis-server'],
    [{ installed: false, root: true, docker: true }, 'apt-get'],
    [{ installed: false, root: false, docker: true }, 'container'],
    [{ installed: false, root: false, docker: false }, 'none'],
  ] as const)('%o → %s', (facts, source) => {
    expect(redisSource(facts)).toBe(source);
  });
});
