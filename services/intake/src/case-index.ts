import type { CaseEvent } from '@petition/contract';
import { epochKey } from '@petition/runtime';
import type { Redis } from 'ioredis';

// What intake knows of each case, from case-events: its number and query-code hash (to check a
// petitioner), and who holds it (to refuse early a unit acting on another's case). Kept in intake's own
// Redis keys; a write never goes back in version, so replays and redeliveries change nothing.

export interface IndexedCase {
  readonly caseId: string;
  readonly caseNumber: string;
  readonly queryCodeHash: string;
  readonly custodyUnitId: string;
  readonly version: number;
  readonly state: number;
}

// Written only while the index's epoch holds: a consumer of an old epoch writing after a flush would leave a
// case at a later version without its number, and the rebuild would skip its registration as applied. The
// registration's number and query-code hash never change, so they are written whatever the version.
const upsert = `
if redis.call('GET', KEYS[3]) ~= ARGV[7] then return 0 end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'caseNumber', ARGV[4], 'queryCodeHash', ARGV[5])
  redis.call('SET', KEYS[2], ARGV[6])
end
local v = tonumber(redis.call('HGET', KEYS[1], 'version') or '-1')
if tonumber(ARGV[1]) <= v then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'custody', ARGV[2], 'state', ARGV[3])
return 1`;

export function createCaseIndex(redis: Redis, prefix: string) {
  const caseKey = (caseId: string) => `${prefix}case:${caseId}`;
  const numberKey = (caseNumber: string) => `${prefix}number:${caseNumber}`;

  return {
    /** Applies one case event under `epoch`; false when it was already applied (or older), or the epoch is gone. */
    async apply(event: CaseEvent, epoch: string): Promise<boolean> {
      const envelope = event.envelope;
      if (!envelope?.caseId || envelope.caseVersion < 1) return false;
      const registered = event.payload?.$case === 'petitionRegistered' ? event.payload.value.petition : undefined;
      const applied = await redis.eval(
        upsert,
        3,
        caseKey(envelope.caseId),
        numberKey(registered?.caseNumber ?? '-'),
        epochKey(prefix),
        envelope.caseVersion,
        event.custodyUnitId,
        event.state,
        registered?.caseNumber ?? '',
        registered?.queryCodeHash ?? '',
        envelope.caseId,
        epoch,
      );
      return applied === 1;
    },
    async byId(caseId: string): Promise<IndexedCase | undefined> {
      const h = await redis.hgetall(caseKey(caseId));
      if (!h.version) return undefined;
      return {
        caseId,
        caseNumber: h.caseNumber ?? '',
        queryCodeHash: h.queryCodeHash ?? '',
        custodyUnitId: h.custody ?? '',
        version: Number(h.version),
        state: Number(h.state),
      };
    },
    async byNumber(caseNumber: string): Promise<IndexedCase | undefined> {
      const caseId = await redis.get(numberKey(caseNumber));
      return caseId ? this.byId(caseId) : undefined;
    },
  };
}

export type CaseIndex = ReturnType<typeof createCaseIndex>;
