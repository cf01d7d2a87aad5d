import { caseEvents, onBatch, type Subscription } from '@petition/bus';
import type { CaseEvent } from '@petition/contract';
import { epochKey } from '@petition/runtime';
import type { Redis } from 'ioredis';
import { createRepeatStore } from './repeats.ts';

// What intake knows of each case, from case-events: its number and query-code hash (to check a
// petitioner), and who holds it (to refuse early a unit acting on another's case). Kept in intake's own
// Redis keys; a write never goes back in version, so replays and redeliveries change nothing. A batch of
// events is applied in one round trip: one script checks the epoch and applies each event in order.

export interface IndexedCase {
  readonly caseId: string;
  readonly caseNumber: string;
  readonly queryCodeHash: string;
  readonly custodyUnitId: string;
  readonly version: number;
  readonly state: number;
}

/** Values each event passes the script, after its two keys (case, number). */
const argsPerEvent = 6;

// Written only while the index's epoch holds: a consumer of an old epoch writing after a flush would leave a
// case at a later version without its number, and the rebuild would skip its registration as applied. The
// registration's number and query-code hash never change, so they are written whatever the version.
// KEYS: the epoch, then per event its case and number keys; ARGV: the epoch, then per event its values.
// Answers how many events moved a case on, or -1 when the epoch is gone (nothing written).
const applyScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local applied = 0
for e = 0, (#KEYS - 1) / 2 - 1 do
  local caseKey, numberKey = KEYS[2 + e * 2], KEYS[3 + e * 2]
  local a = 1 + e * ${argsPerEvent}
  if ARGV[a + 4] ~= '' then
    redis.call('HSET', caseKey, 'caseNumber', ARGV[a + 4], 'queryCodeHash', ARGV[a + 5])
    redis.call('SET', numberKey, ARGV[a + 6])
  end
  local v = tonumber(redis.call('HGET', caseKey, 'version') or '-1')
  if tonumber(ARGV[a + 1]) > v then
    redis.call('HSET', caseKey, 'version', ARGV[a + 1], 'custody', ARGV[a + 2], 'state', ARGV[a + 3])
    applied = applied + 1
  end
end
return applied`;

// A case number's case, in one round trip.
const byNumberScript = `
local caseId = redis.call('GET', KEYS[1])
if not caseId then return false end
return {caseId, redis.call('HGETALL', KEYS[2] .. caseId)}`;

type ScriptedRedis = Redis & {
  intakeIndexApply(...keysAndArgs: (string | number)[]): Promise<number>;
  intakeIndexByNumber(numberKey: string, casePrefix: string): Promise<[string, string[]] | null>;
};

/** The scripts, defined once per connection: then sent by their digest (EVALSHA), not their text. */
function scripted(redis: Redis): ScriptedRedis {
  if (!('intakeIndexApply' in redis)) {
    redis.defineCommand('intakeIndexApply', { lua: applyScript });
    redis.defineCommand('intakeIndexByNumber', { numberOfKeys: 2, lua: byNumberScript });
  }
  return redis as ScriptedRedis;
}

const fromFields = (caseId: string, h: Record<string, string>): IndexedCase | undefined =>
  h.version
    ? {
        caseId,
        caseNumber: h.caseNumber ?? '',
        queryCodeHash: h.queryCodeHash ?? '',
        custodyUnitId: h.custody ?? '',
        version: Number(h.version),
        state: Number(h.state),
      }
    : undefined;

export function createCaseIndex(redis: Redis, prefix: string) {
  const casePrefix = `${prefix}case:`;
  const numberKey = (caseNumber: string) => `${prefix}number:${caseNumber}`;
  const scripts = scripted(redis);

  /**
   * Applies case events in order under `epoch`, in one round trip: the number of them that moved a case on
   * (an event already applied, or older, changes nothing), or -1 when the epoch is gone and nothing was written.
   */
  async function applyMany(events: readonly CaseEvent[], epoch: string): Promise<number> {
    const keys: string[] = [epochKey(prefix)];
    const args: (string | number)[] = [epoch];
    for (const event of events) {
      const envelope = event.envelope;
      if (!envelope?.caseId || envelope.caseVersion < 1) continue;
      const registered = event.payload?.$case === 'petitionRegistered' ? event.payload.value.petition : undefined;
      keys.push(`${casePrefix}${envelope.caseId}`, numberKey(registered?.caseNumber ?? '-'));
      args.push(
        envelope.caseVersion,
        event.custodyUnitId,
        event.state,
        registered?.caseNumber ?? '',
        registered?.queryCodeHash ?? '',
        envelope.caseId,
      );
    }
    if (keys.length === 1) return 0;
    return Number(await scripts.intakeIndexApply(keys.length, ...keys, ...args));
  }

  return {
    applyMany,
    /** Each person's cases for finding repeats (repeats.ts), kept by the same consumer under the same epoch. */
    repeats: createRepeatStore(redis, prefix),
    /** Applies one case event under `epoch`; false when it was already applied (or older), or the epoch is gone. */
    async apply(event: CaseEvent, epoch: string): Promise<boolean> {
      return (await applyMany([event], epoch)) === 1;
    },
    async byId(caseId: string): Promise<IndexedCase | undefined> {
      return fromFields(caseId, await redis.hgetall(`${casePrefix}${caseId}`));
    },
    async byNumber(caseNumber: string): Promise<IndexedCase | undefined> {
      const found = await scripts.intakeIndexByNumber(numberKey(caseNumber), casePrefix);
      if (!found) return undefined;
      const [caseId, flat] = found;
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
      return fromFields(caseId, fields);
    },
  };
}

export type CaseIndex = ReturnType<typeof createCaseIndex>;

/** The index's consumer: each batch of case-events applied in one round trip under `epoch`. */
export const caseIndexSubscription = (index: CaseIndex, epoch: string): Subscription<CaseEvent> =>
  onBatch(caseEvents, async (records) => {
    const events = records.map((r) => r.value);
    await index.applyMany(events, epoch);
    await index.repeats.recordEvents(events, epoch);
  });
