import { type CaseEvent, type Person, SealedData } from '@petition/contract';
import type { Logger } from '@petition/logging';
import { type Keyring, openPerson, openText } from '@petition/seal';
import type { ChainableCommander, Redis } from 'ioredis';

// What notification keeps of each case, in Redis under <prefix>case:<caseId>: its number and its
// petitioner and query code sealed as intake sealed them — opened only to write a notice or send it.

export type Contact = { number: string; personId?: string; person?: Person };

const sealedText = (s: SealedData | undefined) =>
  s ? Buffer.from(SealedData.encode(s).finish()).toString('base64') : '';

export function createContacts(redis: Redis, prefix: string, keyring: Keyring, logger: Logger) {
  const caseKey = (caseId: string) => `${prefix}case:${caseId}`;

  function contactOf(caseId: string, c: Record<string, string>): Contact {
    if (!c.sealed) return { number: c.number ?? '' };
    try {
      const person = openPerson(keyring, SealedData.decode(Buffer.from(c.sealed, 'base64')), caseId);
      return { number: c.number ?? '', personId: c.person ?? '', person };
    } catch (err) {
      logger.warn({ caseId, err: (err as Error).message }, 'the petitioner’s sealed data cannot be opened');
      return { number: c.number ?? '' };
    }
  }

  return {
    /** Adds to `pipe` what a registration tells of its case (nothing for other events). */
    remember(pipe: ChainableCommander, e: CaseEvent) {
      if (e.payload?.$case !== 'petitionRegistered') return;
      const p = e.payload.value.petition;
      pipe.hset(caseKey(e.envelope?.caseId ?? ''), {
        number: p?.caseNumber ?? '',
        person: p?.petitioner?.personId ?? '',
        sealed: sealedText(p?.petitioner?.sealed),
        code: sealedText(p?.queryCodeSealed),
      });
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
