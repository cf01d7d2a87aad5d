import { type CaseEvent, CaseState, type Petition, type RepeatBasis } from '@petition/contract';
import { repeatBasisFor } from '@petition/lifecycle';
import {
  createRepeatIndex,
  decodeSignature,
  defaultRepeatThresholds,
  encodeSignature,
  type RepeatVerdict,
  signPetition,
} from '@petition/repeats';
import { epochKey } from '@petition/runtime';
import type { Redis } from 'ioredis';
import { decodeEntry, encodeEntry, maxCasesPerPerson, type RepeatEntry, repeatKeys } from './repeat-keys.ts';

// Repeat petitions (art 19), intake's part: remember each person's cases (their MinHash signatures), and at
// registration find the same person's earlier cases about a similar matter. The scoring and the
// thresholds are packages/repeats'; which step follows (link, flag, nothing) is `repeatAction` below, pure;
// routing decides the commands like any other (packages/lifecycle steps/repeats.ts).

/** An earlier case of the same person found similar, with what intake knows of its state now. */
export interface FoundRepeat {
  readonly caseId: string;
  readonly caseNumber: string;
  readonly score: number;
  readonly verdict: RepeatVerdict;
  /** From the case index; undefined when it has not seen the case's registration yet (moments ago). */
  readonly state: CaseState | undefined;
}

export type RepeatAction =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'link';
      readonly original: FoundRepeat;
      readonly basis: RepeatBasis;
      /** Every candidate found, the original among them: flagged instead should routing refuse the link. */
      readonly candidates: readonly FoundRepeat[];
    }
  | { readonly kind: 'flag'; readonly candidates: readonly FoundRepeat[] };

/** Cases that are no original to repeat: withdrawn, or themselves a repeat of another (its original is). */
const notAnOriginal: ReadonlySet<CaseState> = new Set([
  CaseState.CASE_STATE_WITHDRAWN,
  CaseState.CASE_STATE_LINKED_AS_REPEAT,
]);

/**
 * What follows a registration, from the earlier cases found (best first): an exact repeat of a case in
 * progress or final is linked to it (arts 19, 36); otherwise every candidate, an exact repeat of a case
 * closed in another way among them, is put before the registering unit's staff.
 */
export function repeatAction(found: readonly FoundRepeat[]): RepeatAction {
  const originals = found.filter((f) => f.state === undefined || !notAnOriginal.has(f.state));
  const candidates = originals.slice(0, maxCasesPerPerson);
  for (const f of originals) {
    if (f.verdict !== 'exact') continue;
    // A case the index has not seen yet was registered moments ago: it is in progress.
    const basis = repeatBasisFor(f.state ?? CaseState.CASE_STATE_REGISTERED);
    if (basis !== undefined) return { kind: 'link', original: f, basis, candidates };
  }
  return candidates.length > 0 ? { kind: 'flag', candidates } : { kind: 'none' };
}

/** What of a petition the repeat index reads: a registered one, or one about to be. */
export type RegisteredMatter = Pick<Petition, 'caseNumber' | 'title' | 'content' | 'receivedTime'> & {
  readonly petitioner?: { readonly personId: string };
};

/** The person a petition is compared by (its petitioner's pseudonymous id); none for an anonymous one. */
export const personOf = (petition: RegisteredMatter | undefined) => petition?.petitioner?.personId || undefined;

// Writes entries (a person's hash and order) and drops the oldest beyond the bound, while the epoch holds.
// KEYS: the epoch, then per entry its person and order keys; ARGV: the epoch ('*': whichever holds now),
// the bound, then per entry its case id, value and registered ms. Answers -1 when the epoch is gone.
const recordScript = `
local current = redis.call('GET', KEYS[1])
if not current or (ARGV[1] ~= '*' and current ~= ARGV[1]) then return -1 end
local bound = tonumber(ARGV[2])
for e = 0, (#KEYS - 1) / 2 - 1 do
  local personKey, orderKey = KEYS[2 + e * 2], KEYS[3 + e * 2]
  local a = 3 + e * 3
  redis.call('HSET', personKey, ARGV[a], ARGV[a + 1])
  redis.call('ZADD', orderKey, ARGV[a + 2], ARGV[a])
  local over = redis.call('ZCARD', orderKey) - bound
  if over > 0 then
    for _, old in ipairs(redis.call('ZRANGE', orderKey, 0, over - 1)) do
      redis.call('HDEL', personKey, old)
      redis.call('ZREM', orderKey, old)
    end
  end
end
return 0`;

type ScriptedRedis = Redis & { intakeRepeatRecord(...keysAndArgs: (string | number)[]): Promise<number> };

function scripted(redis: Redis): ScriptedRedis {
  if (!('intakeRepeatRecord' in redis)) redis.defineCommand('intakeRepeatRecord', { lua: recordScript });
  return redis as ScriptedRedis;
}

/** A registration as the repeat index keeps it. */
export interface RepeatRegistration {
  readonly caseId: string;
  readonly personId: string;
  readonly entry: Omit<RepeatEntry, 'caseId'>;
}

export const registrationOf = (
  caseId: string,
  petition: RegisteredMatter | undefined,
  at: Date,
): RepeatRegistration | undefined => {
  const personId = personOf(petition);
  if (!personId || !petition) return undefined;
  return {
    caseId,
    personId,
    entry: {
      caseNumber: petition.caseNumber,
      registeredAt: petition.receivedTime ?? at,
      signature: encodeSignature(signPetition(petition.title, petition.content)),
    },
  };
};

export function createRepeatStore(redis: Redis, prefix: string) {
  const keys = repeatKeys(prefix);
  const scripts = scripted(redis);

  async function record(registrations: readonly RepeatRegistration[], epoch: string): Promise<boolean> {
    if (registrations.length === 0) return true;
    const scriptKeys: string[] = [epochKey(prefix)];
    const args: (string | number)[] = [epoch, maxCasesPerPerson];
    for (const r of registrations) {
      scriptKeys.push(keys.person(r.personId), keys.order(r.personId));
      args.push(r.caseId, encodeEntry(r.entry), r.entry.registeredAt.getTime());
    }
    return (await scripts.intakeRepeatRecord(scriptKeys.length, ...scriptKeys, ...args)) >= 0;
  }

  return {
    /** Keeps the registrations among case events under `epoch`; false when the epoch is gone. */
    recordEvents(events: readonly CaseEvent[], epoch: string): Promise<boolean> {
      const registrations = events.flatMap((event) => {
        if (event.payload?.$case !== 'petitionRegistered' || !event.envelope?.caseId) return [];
        const r = registrationOf(
          event.envelope.caseId,
          event.payload.value.petition,
          event.envelope.occurTime ?? new Date(0),
        );
        return r ? [r] : [];
      });
      return record(registrations, epoch);
    },
    /**
     * Keeps one registration under whichever epoch holds now: intake's own registration, as soon as routing
     * applied it, so that the person's next petition finds it before the index's consumer has caught up.
     */
    recordNow: (registration: RepeatRegistration) => record([registration], '*'),
    /** The person's earlier cases scoring at least the candidate threshold against `registration`, best first. */
    async find(registration: RepeatRegistration) {
      const stored = await redis.hgetall(keys.person(registration.personId));
      // The person's (at most 32) cases in the package's own index: its score and thresholds, not a copy.
      const index = createRepeatIndex({ maxCasesPerPerson });
      const numbers = new Map<string, string>();
      for (const [caseId, text] of Object.entries(stored)) {
        const entry = decodeEntry(caseId, text);
        if (!entry || caseId === registration.caseId) continue;
        numbers.set(caseId, entry.caseNumber);
        index.add({
          caseId,
          personId: registration.personId,
          signature: decodeSignature(entry.signature),
          registeredAt: entry.registeredAt,
        });
      }
      return index
        .find({
          caseId: registration.caseId,
          personId: registration.personId,
          signature: decodeSignature(registration.entry.signature),
          registeredAt: registration.entry.registeredAt,
        })
        .map((m) => ({
          caseId: m.caseId,
          caseNumber: numbers.get(m.caseId) ?? '',
          score: m.score,
          verdict: m.verdict,
        }));
    },
  };
}

export type RepeatStore = ReturnType<typeof createRepeatStore>;

/** The link's reason, in the words staff read on the timeline. */
export const automaticLinkReason = (original: FoundRepeat) =>
  `自动比对：与 ${original.caseNumber} 内容相似度 ${original.score.toFixed(2)}（≥ ${defaultRepeatThresholds.exact}），系重复信访`;

/** A found case as the registration's answer lists it (its score to two places). */
const shown = (f: FoundRepeat) => ({
  caseId: f.caseId,
  caseNumber: f.caseNumber,
  score: Math.round(f.score * 100) / 100,
  verdict: f.verdict,
});

/**
 * What the registrar is told at once in the registration's answer: the earlier cases of the same person
 * found similar, and the one the new case is being linked to when it repeats it exactly.
 */
export function repeatsBody(action: RepeatAction) {
  switch (action.kind) {
    case 'link':
      return { repeatCandidates: [shown(action.original)], linkedAsRepeatOf: shown(action.original) };
    case 'flag':
      return { repeatCandidates: action.candidates.map(shown) };
    default:
      return { repeatCandidates: [] };
  }
}
