import { createHmac, timingSafeEqual } from 'node:crypto';
import { type ConsumedRecord, caseEvents, onBatch, type Subscription } from '@petition/bus';
import type { CaseEvent } from '@petition/contract';
import { epochKey } from '@petition/runtime';
import type { Redis } from 'ioredis';

// What the façade answers GET requests/{id} from: for each case filed through it, who filed it (the api
// key's name), its category and region, when it was requested and last updated, and its state and holder —
// never its content or anyone's personal data. Built from case-events alone, so it is rebuilt with intake's
// case index (the same consumer and epoch, app.ts): a registration counts as the façade's only when its
// externalRef carries the filer's name with a MAC under the node's secret (nobody filing through
// /v1/petitions can claim a key's name).
//
// Keyspace (under intake's prefix): open311:case:<case id> a hash; open311:number:<case number> → case id;
// open311:filer:<key name> and open311:all, case numbers scored by the time they were requested.

export interface Open311Record {
  readonly caseId: string;
  readonly caseNumber: string;
  /** The name of the api key that filed it. */
  readonly filer: string;
  readonly category: number;
  readonly regionCode: string;
  readonly requestedMs: number;
  readonly updatedMs: number;
  readonly version: number;
  readonly state: number;
  readonly custodyUnitId: string;
}

const refPrefix = 'open311:';

const macOf = (secret: string, caseId: string, filer: string) =>
  createHmac('sha256', secret).update(`open311-filer|${caseId}|${filer}`).digest('hex').slice(0, 32);

/** The externalRef a petition filed by `filer` carries: its name, and a MAC only this node can make. */
export const filerRef = (secret: string, caseId: string, filer: string) =>
  `${refPrefix}${filer}:${macOf(secret, caseId, filer)}`;

/** The filer named by `ref`, when its MAC holds for the case; else undefined. */
export function filerOf(secret: string, caseId: string, ref: string): string | undefined {
  if (!ref.startsWith(refPrefix)) return undefined;
  const [filer = '', mac = ''] = ref.slice(refPrefix.length).split(':');
  const expected = Buffer.from(macOf(secret, caseId, filer));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected) ? filer : undefined;
}

const argsPerEvent = 9;
// KEYS: the epoch, then per event its case, number and filer keys and the all-requests key; ARGV: the epoch,
// then per event its values. A registration of the façade's creates the record; any later event of a
// recorded case moves it on when its version is newer. -1 when the epoch is gone (nothing written).
const applyScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local applied = 0
for e = 0, (#KEYS - 1) / 4 - 1 do
  local caseKey, numberKey, filerKey, allKey = KEYS[2 + e * 4], KEYS[3 + e * 4], KEYS[4 + e * 4], KEYS[5 + e * 4]
  local a = 1 + e * ${argsPerEvent}
  local version, state, custody, at = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local caseId, filer, number, category, region = ARGV[a + 5], ARGV[a + 6], ARGV[a + 7], ARGV[a + 8], ARGV[a + 9]
  if filer ~= '' then
    redis.call('HSET', caseKey, 'filer', filer, 'number', number, 'category', category, 'region', region, 'requested', at)
    redis.call('SET', numberKey, caseId)
    redis.call('ZADD', filerKey, at, number)
    redis.call('ZADD', allKey, at, number)
  end
  if redis.call('EXISTS', caseKey) == 1 then
    local v = tonumber(redis.call('HGET', caseKey, 'version') or '0')
    if tonumber(version) > v then
      redis.call('HSET', caseKey, 'version', version, 'state', state, 'custody', custody, 'updated', at)
      applied = applied + 1
    end
  end
end
return applied`;

type ScriptedRedis = Redis & { open311Apply(...keysAndArgs: (string | number)[]): Promise<number> };

function scripted(redis: Redis): ScriptedRedis {
  if (!('open311Apply' in redis)) redis.defineCommand('open311Apply', { lua: applyScript });
  return redis as ScriptedRedis;
}

export function createOpen311Store(redis: Redis, prefix: string, refSecret: string) {
  const scripts = scripted(redis);
  const caseKey = (caseId: string) => `${prefix}open311:case:${caseId}`;
  const numberKey = (caseNumber: string) => `${prefix}open311:number:${caseNumber}`;
  const filerKey = (filer: string) => `${prefix}open311:filer:${filer}`;
  const allKey = `${prefix}open311:all`;

  async function applyMany(events: readonly CaseEvent[], epoch: string): Promise<number> {
    const keys: string[] = [epochKey(prefix)];
    const args: (string | number)[] = [epoch];
    for (const event of events) {
      const envelope = event.envelope;
      if (!envelope?.caseId || envelope.caseVersion < 1) continue;
      const petition = event.payload?.$case === 'petitionRegistered' ? event.payload.value.petition : undefined;
      const filer = petition ? (filerOf(refSecret, envelope.caseId, petition.externalRef) ?? '') : '';
      keys.push(caseKey(envelope.caseId), numberKey(petition?.caseNumber ?? '-'), filerKey(filer || '-'), allKey);
      args.push(
        envelope.caseVersion,
        event.state,
        event.custodyUnitId,
        envelope.occurTime?.getTime() ?? 0,
        envelope.caseId,
        filer,
        petition?.caseNumber ?? '',
        petition?.category ?? 0,
        petition?.regionCode ?? '',
      );
    }
    if (keys.length === 1) return 0;
    return Number(await scripts.open311Apply(keys.length, ...keys, ...args));
  }

  const fromFields = (caseId: string, h: Record<string, string>): Open311Record | undefined =>
    h.filer && h.version
      ? {
          caseId,
          caseNumber: h.number ?? '',
          filer: h.filer,
          category: Number(h.category),
          regionCode: h.region ?? '',
          requestedMs: Number(h.requested),
          updatedMs: Number(h.updated ?? h.requested),
          version: Number(h.version),
          state: Number(h.state),
          custodyUnitId: h.custody ?? '',
        }
      : undefined;

  async function byNumber(caseNumber: string): Promise<Open311Record | undefined> {
    const caseId = await redis.get(numberKey(caseNumber));
    return caseId ? fromFields(caseId, await redis.hgetall(caseKey(caseId))) : undefined;
  }

  /** The newest requests, of `filer` or (undefined) of everyone, at most `limit`. */
  async function newest(filer: string | undefined, limit: number): Promise<Open311Record[]> {
    const numbers = await redis.zrevrange(filer === undefined ? allKey : filerKey(filer), 0, limit - 1);
    const found = await Promise.all(numbers.map(byNumber));
    return found.filter((r) => r !== undefined);
  }

  return { applyMany, byNumber, newest };
}

export type Open311Store = ReturnType<typeof createOpen311Store>;

/**
 * `inner` (intake's case index) and then the façade's records, from the same batches of case-events: one
 * consumer group, one epoch, rebuilt together when Redis is flushed.
 */
export function withOpen311Records(
  inner: Subscription<CaseEvent>,
  store: Open311Store,
  epoch: string,
): Subscription<CaseEvent> {
  const handleInner = async (records: ConsumedRecord<CaseEvent>[]) => {
    if (inner.batch) await inner.batch.handle(records);
    else for (const r of records) await inner.handle(r);
  };
  return onBatch(caseEvents, async (records) => {
    await handleInner(records);
    await store.applyMany(
      records.map((r) => r.value),
      epoch,
    );
  });
}
