import type { Redis } from 'ioredis';
import { epochKey } from './epoch.ts';

// A batch of Redis writes made in one round trip, only while the keyspace's epoch still holds (epoch.ts):
// one Lua script checks the epoch key and then runs every command, atomically. It replaces WATCH, GET and
// MULTI…EXEC (three round trips and a QUEUED reply per command) with one call and one reply. A consumer of
// an old epoch must not write into a flushed keyspace: the rebuild would skip what it wrote as applied.

type Arg = string | number | Buffer;

/** Commands recorded to be sent together; each method queues one and returns the batch (chainable). */
export class WriteBatch {
  /** Per command: its argument count, then the command name and its arguments. */
  readonly args: Arg[] = [];
  private commands = 0;

  get length(): number {
    return this.commands;
  }

  call(command: string, ...args: Arg[]): this {
    this.args.push(args.length + 1, command, ...args);
    this.commands++;
    return this;
  }

  set(key: string, value: Arg, ...options: Arg[]): this {
    return this.call('SET', key, value, ...options);
  }
  del(...keys: string[]): this {
    return this.call('DEL', ...keys);
  }
  /** HSET of one field, or of every field of an object. */
  hset(key: string, fields: Record<string, Arg> | string, value?: Arg): this {
    if (typeof fields === 'string') return this.call('HSET', key, fields, value ?? '');
    return this.call('HSET', key, ...Object.entries(fields).flat());
  }
  hincrby(key: string, field: string, by: number): this {
    return this.call('HINCRBY', key, field, by);
  }
  rpush(key: string, ...values: Arg[]): this {
    return this.call('RPUSH', key, ...values);
  }
  lpush(key: string, ...values: Arg[]): this {
    return this.call('LPUSH', key, ...values);
  }
  ltrim(key: string, start: number, stop: number): this {
    return this.call('LTRIM', key, start, stop);
  }
  /** ZADD key [XX|NX] score member. */
  zadd(key: string, ...flagsScoreMember: Arg[]): this {
    return this.call('ZADD', key, ...flagsScoreMember);
  }
  zrem(key: string, ...members: string[]): this {
    return this.call('ZREM', key, ...members);
  }
  sadd(key: string, ...members: string[]): this {
    return this.call('SADD', key, ...members);
  }
  pexpireat(key: string, atMs: number): this {
    return this.call('PEXPIREAT', key, atMs);
  }
}

const guardedWriteScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return 1`;

type WithGuardedWrite = Redis & { guardedWrite(key: string, epoch: string, ...args: Arg[]): Promise<number> };

/**
 * Runs the commands `build` records in one round trip, only while the epoch of the keys under `prefix` still
 * holds `epoch`; false (and nothing written) when it no longer does. True at once when nothing was recorded.
 */
export async function writeWhileEpochHolds(
  redis: Redis,
  prefix: string,
  epoch: string,
  build: (batch: WriteBatch) => void,
): Promise<boolean> {
  const batch = new WriteBatch();
  build(batch);
  if (batch.length === 0) return true;
  // Defined once per connection; then sent by its digest (EVALSHA), not its text.
  if (!('guardedWrite' in redis)) redis.defineCommand('guardedWrite', { numberOfKeys: 1, lua: guardedWriteScript });
  return (await (redis as WithGuardedWrite).guardedWrite(epochKey(prefix), epoch, ...batch.args)) === 1;
}
