import { type InAppNoticeEvent, RecipientKind } from '@petition/contract';
import { invalidParameters, ProblemError, problem } from '@petition/runtime';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Access } from './http.ts';
import { trackingKeys } from './keys.ts';
import type { Commit } from './read-model.ts';

// The in-app inbox (keys.ts ni:, nl:, nu:, nr:): what notification posted on the in-app-notices topic, kept
// per recipient — once, whatever number of times a notice is delivered — with the read marks that readers
// set through tracking, which publishes each mark on notice-reads (its own topic: in-app-notices has one
// writer, notification) before it applies it, so that the inbox is rebuilt from the two topics alone after
// a flush. The topics are read apart, so a mark may come back before its notice: marks are kept by
// recipient whatever they name, and a notice posted after its mark is never unread. A unit's staff read their unit's notices; a petitioner, with
// the case number and query code, the notices to the case's petitioner about that case.

/** A notice as the inbox keeps it (keys.ts ni:). */
export interface StoredNotice {
  readonly noticeId: string;
  readonly recipientId: string;
  readonly caseId: string;
  readonly caseNumber: string;
  readonly templateId: string;
  readonly subject: string;
  readonly body: string;
  readonly time: string;
  readonly urgent: boolean;
}

// ---- Pure rules --------------------------------------------------------------------------------------

/** Whose inbox a notice is in (keys.ts <recipient>); none for a subscriber (its webhook is its inbox). */
export function recipientOf(kind: RecipientKind, recipientId: string): string | undefined {
  if (!recipientId) return undefined;
  if (kind === RecipientKind.RECIPIENT_KIND_UNIT) return `unit:${recipientId}`;
  if (kind === RecipientKind.RECIPIENT_KIND_PETITIONER) return `petitioner:${recipientId}`;
  return undefined;
}

/** The shelf a unit's staff read. */
export const unitShelf = (unitId: string) => `unit:${unitId}`;
/** The shelf a petitioner reads on a case's page: the notices to them about that case. */
export const petitionerShelf = (personId: string, caseId: string) => `petitioner:${personId}:${caseId}`;
const shelfOf = (recipient: string, notice: StoredNotice) =>
  recipient.startsWith('petitioner:') ? `${recipient}:${notice.caseId}` : recipient;

export type NoticeWrite =
  | {
      readonly post: StoredNotice;
      readonly recipient: string;
      readonly shelf: string;
      readonly score: number;
      /** Marked read before it came (notice-reads is read apart from in-app-notices). */
      readonly read: boolean;
    }
  | { readonly read: string; readonly recipient: string; readonly shelf?: string };

/** The notices kept, by recipient and notice id, as far as a batch needs them. */
export type KeptNotices = Map<string, Map<string, StoredNotice>>;
/** The notice ids marked read, by recipient, as far as a batch needs them. */
export type ReadMarks = Map<string, Set<string>>;

/**
 * What records of in-app-notices and notice-reads write, in their order: a notice not kept yet is posted
 * (scored by its offset: the order its recipient's partition has it in), unread unless marked already; a
 * read mark is kept for its recipient, and takes the notices it names that are kept off their shelf's
 * unread. A notice kept already writes nothing. `kept` and `marks` are updated.
 */
export function noticeWrites(
  records: readonly { readonly value: InAppNoticeEvent; readonly offset?: string }[],
  kept: KeptNotices,
  marks: ReadMarks = new Map(),
): NoticeWrite[] {
  const writes: NoticeWrite[] = [];
  for (const { value, offset } of records) {
    const p = value.payload;
    const recipient = p && recipientOf(p.value.recipientKind, p.value.recipientId);
    if (!p || !recipient) continue;
    const mine = kept.get(recipient) ?? new Map<string, StoredNotice>();
    kept.set(recipient, mine);
    const marked = marks.get(recipient) ?? new Set<string>();
    marks.set(recipient, marked);
    if (p.$case === 'posted') {
      const n = p.value;
      if (!n.noticeId || mine.has(n.noticeId) || offset === undefined) continue;
      const post: StoredNotice = {
        noticeId: n.noticeId,
        recipientId: n.recipientId,
        caseId: n.caseId,
        caseNumber: n.caseNumber,
        templateId: n.templateId,
        subject: n.subject,
        body: n.body,
        time: n.postTime?.toISOString() ?? '',
        urgent: n.urgent,
      };
      mine.set(n.noticeId, post);
      writes.push({
        post,
        recipient,
        shelf: shelfOf(recipient, post),
        score: Number(offset),
        read: marked.has(n.noticeId),
      });
    } else {
      for (const id of new Set(p.value.noticeIds)) {
        if (!id) continue;
        marked.add(id);
        const notice = mine.get(id);
        writes.push({ read: id, recipient, ...(notice ? { shelf: shelfOf(recipient, notice) } : {}) });
      }
    }
  }
  return writes;
}

/** At most this many notice ids in one read mark (a record stays small). */
export const MARK_IDS = 500;

// ---- The store -----------------------------------------------------------------------------------------

export interface NoticePage {
  readonly notices: {
    noticeId: string;
    caseId: string;
    caseNumber: string;
    subject: string;
    body: string;
    time: string;
    urgent: boolean;
    read: boolean;
  }[];
  /** The shelf's notices not read yet, all of them. */
  readonly unread: number;
  /** The cursor of the next page; null at the end. */
  readonly next: string | null;
}

export function createNoticeStore(redis: Redis, prefix: string, commit: Commit) {
  const k = trackingKeys(prefix);

  /** The notices the records name that are kept, and the marks of those posted, one round trip. */
  async function keptFor(
    records: readonly { readonly value: InAppNoticeEvent }[],
  ): Promise<{ kept: KeptNotices; marks: ReadMarks }> {
    const named = new Map<string, Set<string>>();
    for (const { value } of records) {
      const p = value.payload;
      const recipient = p && recipientOf(p.value.recipientKind, p.value.recipientId);
      if (!p || !recipient) continue;
      const ids = named.get(recipient) ?? new Set<string>();
      for (const id of p.$case === 'posted' ? [p.value.noticeId] : p.value.noticeIds) if (id) ids.add(id);
      named.set(recipient, ids);
    }
    const asked = [...named].filter(([, ids]) => ids.size > 0);
    const pipe = redis.pipeline();
    for (const [recipient, ids] of asked)
      pipe.hmget(k.notices(recipient), ...ids).smismember(k.readMarks(recipient), ...ids);
    const replies = (await pipe.exec()) ?? [];
    const kept: KeptNotices = new Map();
    const marks: ReadMarks = new Map();
    asked.forEach(([recipient, ids], i) => {
      const found = (replies[2 * i]?.[1] ?? []) as (string | null)[];
      const read = (replies[2 * i + 1]?.[1] ?? []) as number[];
      const mine = new Map<string, StoredNotice>();
      const marked = new Set<string>();
      [...ids].forEach((id, j) => {
        const json = found[j];
        if (json) mine.set(id, JSON.parse(json) as StoredNotice);
        if (read[j] === 1) marked.add(id);
      });
      kept.set(recipient, mine);
      marks.set(recipient, marked);
    });
    return { kept, marks };
  }

  return {
    /**
     * Applies records of in-app-notices (a consumer's, with their offsets) or read marks just published (no
     * offset): one read, one write; false when the write was not made (the keys' epoch is gone).
     */
    async apply(records: readonly { readonly value: InAppNoticeEvent; readonly offset?: string }[]) {
      const { kept, marks } = await keptFor(records);
      const writes = noticeWrites(records, kept, marks);
      return commit((m) => {
        for (const w of writes) {
          if ('post' in w) {
            m.hset(k.notices(w.recipient), w.post.noticeId, JSON.stringify(w.post));
            m.zadd(k.shelf(w.shelf), 'NX', w.score, w.post.noticeId);
            if (!w.read) m.zadd(k.unread(w.shelf), 'NX', w.score, w.post.noticeId);
          } else {
            m.sadd(k.readMarks(w.recipient), w.read);
            if (w.shelf) m.zrem(k.unread(w.shelf), w.read);
          }
        }
      });
    },

    /** A page of a shelf, newest first, from before the cursor (an offset); only the unread with `unreadOnly`. */
    async page(
      recipient: string,
      shelf: string,
      o: { cursor?: string; limit: number; unreadOnly: boolean },
    ): Promise<NoticePage> {
      const key = o.unreadOnly ? k.unread(shelf) : k.shelf(shelf);
      const max = o.cursor === undefined ? '+inf' : `(${o.cursor}`;
      const found = await redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, o.limit + 1);
      const ids: string[] = [];
      const scores: string[] = [];
      for (let i = 0; i < found.length && ids.length < o.limit; i += 2) {
        ids.push(found[i] ?? '');
        scores.push(found[i + 1] ?? '');
      }
      const pipe = redis.pipeline().zcard(k.unread(shelf));
      if (ids.length) pipe.hmget(k.notices(recipient), ...ids).zmscore(k.unread(shelf), ...ids);
      const replies = (await pipe.exec()) ?? [];
      const unread = Number(replies[0]?.[1] ?? 0);
      const texts = (replies[1]?.[1] ?? []) as (string | null)[];
      const unreadScores = (replies[2]?.[1] ?? []) as (string | null)[];
      const notices = texts.flatMap((text, i) => {
        if (!text) return [];
        const { noticeId, caseId, caseNumber, subject, body, time, urgent } = JSON.parse(text) as StoredNotice;
        return [{ noticeId, caseId, caseNumber, subject, body, time, urgent, read: unreadScores[i] == null }];
      });
      return {
        notices,
        unread,
        next: found.length > 2 * o.limit ? (scores.at(-1) ?? null) : null,
      };
    },

    /** Whether each id is on the shelf. */
    async onShelf(shelf: string, ids: readonly string[]): Promise<boolean[]> {
      if (!ids.length) return [];
      return (await redis.zmscore(k.shelf(shelf), ...ids)).map((score) => score !== null);
    },

    /** Of `ids`, those not read yet; every one not read yet when `ids` is omitted. */
    async unreadOf(shelf: string, ids?: readonly string[]): Promise<string[]> {
      if (!ids) return redis.zrange(k.unread(shelf), 0, -1);
      if (!ids.length) return [];
      const scores = await redis.zmscore(k.unread(shelf), ...ids);
      return ids.filter((_, i) => scores[i] !== null);
    },

    unreadCount: (shelf: string) => redis.zcard(k.unread(shelf)),

    /** The case's petitioner's pseudonymous person id (keys.ts c: `person`); '' when anonymous or unknown. */
    petitionerOf: async (caseId: string) => (await redis.hget(k.case(caseId), 'person')) ?? '',
  };
}

export type NoticeStore = ReturnType<typeof createNoticeStore>;

// ---- Routes ---------------------------------------------------------------------------------------------

export interface NoticeDeps {
  readonly notices: NoticeStore;
  /** Publishes read marks on notice-reads (acks=all). */
  readonly publishNotices: (events: InAppNoticeEvent[]) => Promise<unknown>;
  readonly access: Access;
  readonly now: () => Date;
}

const pageQuery = {
  type: 'object',
  properties: {
    cursor: { type: 'string', pattern: '^\\d{1,16}$', description: 'Where the page starts: `next` of the page before' },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50, description: 'Notices on a page' },
    unread: { type: 'string', enum: ['true', 'false'], description: 'true: only those not read yet' },
  },
} as const;
type PageQuery = { cursor?: string; limit: number; unread?: 'true' | 'false' };

const readBody = {
  type: 'object',
  description: 'Either the notices read, or `all: true` for every one not read yet',
  properties: {
    noticeIds: {
      type: 'array',
      minItems: 1,
      maxItems: MARK_IDS,
      items: { type: 'string', minLength: 1, maxLength: 200 },
    },
    all: { type: 'boolean', enum: [true] },
  },
} as const;
type ReadBody = { noticeIds?: string[]; all?: true };
type Marked = { marked: string[]; unread: number };

const unitNoticeParams = { type: 'object', properties: { unitId: { type: 'string', maxLength: 64 } } } as const;
const caseNoticeParams = { type: 'object', properties: { caseNumber: { type: 'string', maxLength: 64 } } } as const;
const queryCodeHeader = {
  type: 'object',
  properties: { 'x-query-code': { type: 'string', maxLength: 32, description: 'The case’s query code' } },
} as const;

/** The in-app notices of a unit (its staff) and of a case's petitioner (number and query code). */
export function addNoticeRoutes(app: FastifyInstance, deps: NoticeDeps) {
  const { notices, access } = deps;

  /** A unit's notices are its own staff's: a supervisor above reads its own. */
  const ownUnit = async (request: FastifyRequest, unitId: string) => {
    const claims = await access.caller(request);
    if (claims.unitId !== unitId)
      throw new ProblemError(
        problem(403, 'NOT_YOUR_UNIT', 'NOT_YOUR_UNIT', {
          detail: `a token of ${claims.unitId} does not open the notices of ${unitId}`,
        }),
      );
    return claims;
  };
  /** The petitioner's shelf of the case the request opens (none for an anonymous petition). */
  const petitionerOf = async (request: FastifyRequest) => {
    const found = await access.petitionerCase(request);
    const person = await notices.petitionerOf(found.caseId);
    return { caseNumber: found.caseNumber, person, caseId: found.caseId };
  };
  const pageOf = (recipient: string, shelf: string, q: PageQuery) =>
    notices.page(recipient, shelf, { cursor: q.cursor, limit: q.limit, unreadOnly: q.unread === 'true' });

  /**
   * Marks notices of a shelf read: publishes the marks (refused 503, nothing marked, when they cannot be) and
   * applies them at once; reading them back from the topic changes nothing more.
   */
  async function mark(
    to: { kind: RecipientKind; id: string },
    shelf: string,
    body: ReadBody,
    reader: string,
  ): Promise<Marked> {
    if ((body.noticeIds === undefined) === (body.all === undefined))
      throw new ProblemError(invalidParameters([{ field: '/noticeIds', message: 'send noticeIds, or all: true' }]));
    if (body.noticeIds) {
      const known = await notices.onShelf(shelf, body.noticeIds);
      const unknown = body.noticeIds.flatMap((_, i) => (known[i] ? [] : [i]));
      if (unknown.length)
        throw new ProblemError(
          invalidParameters(unknown.map((i) => ({ field: `/noticeIds/${i}`, message: 'is no notice of this inbox' }))),
        );
    }
    const ids = await notices.unreadOf(shelf, body.noticeIds && [...new Set(body.noticeIds)]);
    if (ids.length) {
      const readTime = deps.now();
      const events: InAppNoticeEvent[] = [];
      for (let i = 0; i < ids.length; i += MARK_IDS)
        events.push({
          payload: {
            $case: 'read',
            value: {
              recipientKind: to.kind,
              recipientId: to.id,
              noticeIds: ids.slice(i, i + MARK_IDS),
              reader,
              readTime,
            },
          },
        });
      try {
        await deps.publishNotices(events);
      } catch {
        throw new ProblemError(
          problem(503, 'NOTICES_UNAVAILABLE', 'NOTICES_UNAVAILABLE', {
            detail: 'the read marks could not be recorded; nothing was marked, try again',
            retryAfterSeconds: 5,
          }),
        );
      }
      await notices.apply(events.map((value) => ({ value })));
    }
    return { marked: ids, unread: await notices.unreadCount(shelf) };
  }

  app.get<{ Params: { unitId: string }; Querystring: PageQuery }>(
    '/v1/units/:unitId/notices',
    {
      schema: {
        summary: 'The unit’s in-app notices, newest first, a page at a time, with how many are not read',
        description: 'Only the unit’s own staff (403 for any other unit’s token, a supervisor’s too).',
        tags: ['unit'],
        params: unitNoticeParams,
        querystring: pageQuery,
        security: [{ unitToken: [] }],
      },
    },
    async (request) => {
      const { unitId } = request.params;
      await ownUnit(request, unitId);
      const shelf = unitShelf(unitId);
      return pageOf(shelf, shelf, request.query);
    },
  );

  app.post<{ Params: { unitId: string }; Body: ReadBody }>(
    '/v1/units/:unitId/notices/read',
    {
      schema: {
        summary: 'Marks the unit’s notices read: those named, or all',
        description: 'Answers the ids marked now (those already read are left as they are) and how many stay unread.',
        tags: ['unit'],
        params: unitNoticeParams,
        body: readBody,
        security: [{ unitToken: [] }],
      },
    },
    async (request) => {
      const { unitId } = request.params;
      const { staffId } = await ownUnit(request, unitId);
      return mark({ kind: RecipientKind.RECIPIENT_KIND_UNIT, id: unitId }, unitShelf(unitId), request.body, staffId);
    },
  );

  app.get<{ Params: { caseNumber: string }; Querystring: PageQuery }>(
    '/v1/cases/:caseNumber/notices',
    {
      schema: {
        summary: 'The petitioner’s in-app notices about the case, newest first, with how many are not read',
        description:
          'The query code goes in the `X-Query-Code` header, as for the case; wrong guesses count alike (429).',
        tags: ['petitioner'],
        params: caseNoticeParams,
        headers: queryCodeHeader,
        querystring: pageQuery,
      },
    },
    async (request) => {
      const { caseNumber, person, caseId } = await petitionerOf(request);
      if (!person) return { caseNumber, notices: [], unread: 0, next: null };
      const page = await pageOf(`petitioner:${person}`, petitionerShelf(person, caseId), request.query);
      // As the petitioner's view of the case, without the case id (the units' handle on it).
      return { caseNumber, ...page, notices: page.notices.map(({ caseId: _id, ...n }) => n) };
    },
  );

  app.post<{ Params: { caseNumber: string }; Body: ReadBody }>(
    '/v1/cases/:caseNumber/notices/read',
    {
      schema: {
        summary: 'Marks the petitioner’s notices about the case read: those named, or all',
        description: 'The query code goes in the `X-Query-Code` header.',
        tags: ['petitioner'],
        params: caseNoticeParams,
        headers: queryCodeHeader,
        body: readBody,
      },
    },
    async (request) => {
      const { person, caseId } = await petitionerOf(request);
      const to = { kind: RecipientKind.RECIPIENT_KIND_PETITIONER, id: person };
      return mark(to, petitionerShelf(person, caseId), request.body, 'petitioner');
    },
  );
}
