import { type CaseEvent, type Person, type PetitionKind, SealedData } from '@petition/contract';
import type { Logger } from '@petition/logging';
import type { NoticeContext } from '@petition/notices';
import { type Keyring, openPerson, openText } from '@petition/seal';
import type { ChainableCommander, Redis } from 'ioredis';

// What notification keeps of each case, in Redis under <prefix>case:<caseId>: its number, its kind and
// accused unit (art 30: which units its notices are kept from), and its petitioner and query code sealed as
// intake sealed them — opened only to write a notice or send it; and who issued its 督办单 (`sv:<id>` each,
// `supervisor` the last), to tell the issuer of the report or of its lateness.

type Matter = ReturnType<NoticeContext['matterOf']>;
export type Contact = {
  number: string;
  matter?: Matter;
  personId?: string;
  person?: Person;
  /** The issuing unit of each 督办单 of the case, by supervision id. */
  supervisors: Readonly<Record<string, string>>;
  /** The issuing unit of the last 督办单 issued. */
  lastSupervisor?: string;
};

const matterOf = (c: Record<string, string>): Matter =>
  c.kind ? { kind: Number(c.kind) as PetitionKind, accusedUnitId: c.accused || undefined } : undefined;

const supervisionField = 'sv:';
const supervisorsOf = (c: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(c).flatMap(([field, unitId]) =>
      field.startsWith(supervisionField) ? [[field.slice(supervisionField.length), unitId]] : [],
    ),
  );

const sealedText = (s: SealedData | undefined) =>
  s ? Buffer.from(SealedData.encode(s).finish()).toString('base64') : '';

export function createContacts(redis: Redis, prefix: string, keyring: Keyring, logger: Logger) {
  const caseKey = (caseId: string) => `${prefix}case:${caseId}`;

  function contactOf(caseId: string, c: Record<string, string>): Contact {
    const known = {
      number: c.number ?? '',
      matter: matterOf(c),
      supervisors: supervisorsOf(c),
      lastSupervisor: c.supervisor || undefined,
    };
    if (!c.sealed) return known;
    try {
      const person = openPerson(keyring, SealedData.decode(Buffer.from(c.sealed, 'base64')), caseId);
      return { ...known, personId: c.person ?? '', person };
    } catch (err) {
      logger.warn({ caseId, err: (err as Error).message }, 'the petitioner’s sealed data cannot be opened');
      return known;
    }
  }

  return {
    /** Adds to `pipe` what a registration or a 督办单 tells of its case (nothing for other events). */
    remember(pipe: ChainableCommander, e: CaseEvent) {
      if (e.payload?.$case === 'supervisionIssued') {
        const { supervisionId, supervisingUnitId } = e.payload.value;
        pipe.hset(caseKey(e.envelope?.caseId ?? ''), {
          [`${supervisionField}${supervisionId}`]: supervisingUnitId,
          supervisor: supervisingUnitId,
        });
        return;
      }
      if (e.payload?.$case !== 'petitionRegistered') return;
      const p = e.payload.value.petition;
      pipe.hset(caseKey(e.envelope?.caseId ?? ''), {
        number: p?.caseNumber ?? '',
        kind: String(p?.kind ?? 0),
        accused: p?.accusedUnitId ?? '',
        person: p?.petitioner?.personId ?? '',
        sealed: sealedText(p?.petitioner?.sealed),
        code: sealedText(p?.queryCodeSealed),
      });
    },

    /**
     * True when the registration of every case is remembered, and a 督办单 of each of `supervised` (nothing
     * sealed is opened), one round trip.
     */
    async allKnown(caseIds: readonly string[], supervised: readonly string[] = []): Promise<boolean> {
      const lookup = redis.pipeline();
      for (const id of caseIds) lookup.hexists(caseKey(id), 'number');
      for (const id of supervised) lookup.hexists(caseKey(id), 'supervisor');
      return ((await lookup.exec()) ?? []).every(([, exists]) => exists === 1);
    },

    /** The contacts of many cases, one round trip. */
    async contactsOf(caseIds: readonly string[]): Promise<Map<string, Contact>> {
      const lookup = redis.pipeline();
      for (const id of caseIds) lookup.hgetall(caseKey(id));
      const found = (await lookup.exec()) ?? [];
      return new Map(caseIds.map((id, i) => [id, contactOf(id, (found[i]?.[1] ?? {}) as Record<string, string>)]));
    },

    /** The petitioner of a case, opened to send a notice. */
    async petitionerOf(caseId: string): Promise<Person | undefined> {
      return contactOf(caseId, await redis.hgetall(caseKey(caseId))).person;
    },

    /** The query code, opened only to send it. */
    async queryCodeOf(caseId: string): Promise<string> {
      const code = await redis.hget(caseKey(caseId), 'code');
      return code ? openText(keyring, SealedData.decode(Buffer.from(code, 'base64')), caseId) : '';
    },
  };
}

export type Contacts = ReturnType<typeof createContacts>;
