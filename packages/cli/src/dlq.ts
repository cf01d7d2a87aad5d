import { type Bus, defineTopic, dlqSuffix, Header, type TopicSpec } from '@petition/bus';
import type { Context } from './context.ts';
import { type Io, json, table } from './io.ts';
import { readToEnd } from './read-to-end.ts';
import { type CatalogueTopic, catalogueTopics, dlqOf, endOffsetsOf, sum } from './topics.ts';

// The DLQs beside the topics: what is parked there and why (the bus's dlq-* headers), and what a redrive
// has put back. A redrive appends a mark to the DLQ (a record with the `redrive-of` header naming the
// parked record), so the DLQ itself says which of its records went back, and a second redrive skips them.

/** Headers of the marks a redrive leaves: on the record put back, and on the mark appended to the DLQ. */
export const RedriveHeader = {
  /** On the record put back: `<dlq topic>:<partition>:<offset>` it was redriven from. */
  redrivenFrom: 'redriven-from',
  /** On the mark in the DLQ: `<partition>:<offset>` of the parked record redriven. */
  redriveOf: 'redrive-of',
  /** On the mark in the DLQ: `<topic>:<partition>:<offset>` the record was put back at. */
  redrivenTo: 'redriven-to',
  redriveTime: 'redrive-time',
} as const;

/** A DLQ holds bytes that may not decode: it is read as a topic of plain bytes. */
export function rawTopic(name: string): TopicSpec<Uint8Array> {
  return defineTopic<Uint8Array>({
    name,
    codec: { encode: (bytes) => ({ finish: () => bytes }), decode: (bytes) => bytes },
    keyOf: () => '',
    typeOf: () => '',
    schemaVersion: 1,
  });
}

export interface ParkedRecord {
  /** `<partition>:<offset>` in the DLQ. */
  at: string;
  partition: number;
  offset: string;
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
  reason: string;
  errorCode: string;
  sourcePartition: string;
  sourceOffset: string;
  attempts: string;
  group: string;
  time: string;
  eventType: string;
  /** Where a redrive put it back (`<topic>:<partition>:<offset>`), if one did. */
  redrivenTo?: string;
}

export interface DlqContents {
  topic: CatalogueTopic;
  records: bigint;
  parked: ParkedRecord[];
  /** Marks of redrives (records of the DLQ that are not parked records). */
  marks: number;
}

export async function readDlq(
  bus: Bus,
  io: Io,
  topic: CatalogueTopic,
  ends: Map<number, bigint>,
): Promise<DlqContents> {
  const parked: ParkedRecord[] = [];
  const redriven = new Map<string, string>();
  let marks = 0;
  await readToEnd(
    bus,
    rawTopic(topic.dlq),
    ends,
    (r) => {
      const h = r.headers;
      const of = h[RedriveHeader.redriveOf];
      if (of !== undefined) {
        marks++;
        redriven.set(of, h[RedriveHeader.redrivenTo] ?? '');
        return;
      }
      parked.push({
        at: `${r.partition}:${r.offset}`,
        partition: r.partition,
        offset: r.offset,
        key: r.key,
        value: r.value,
        headers: h,
        reason: h[Header.dlqReason] ?? '',
        errorCode: h[Header.dlqErrorCode] ?? '',
        sourcePartition: h[Header.dlqSourcePartition] ?? '',
        sourceOffset: h[Header.dlqSourceOffset] ?? '',
        attempts: h[Header.dlqAttempts] ?? '',
        group: h[Header.dlqGroup] ?? '',
        time: h[Header.dlqTime] ?? new Date(r.timestamp).toISOString(),
        eventType: h[Header.eventType] ?? '',
      });
    },
    { io, label: `reading ${bus.prefix}${topic.dlq}` },
  );
  for (const p of parked) {
    const to = redriven.get(p.at);
    if (to !== undefined) p.redrivenTo = to;
  }
  parked.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  return { topic, records: sum(ends), parked, marks };
}

/** `petition dlq list`: each DLQ of the catalogue the deployment has, with its parked and redriven records. */
export async function dlqListCommand(ctx: Context): Promise<number> {
  const bus = ctx.bus();
  const ends = await endOffsetsOf(
    bus,
    catalogueTopics.map((t) => t.dlq),
  );
  const rows: { topic: string; records: bigint; parked: number; redriven: number; waiting: number }[] = [];
  for (const topic of catalogueTopics) {
    const end = ends.get(topic.dlq);
    if (!end) continue;
    const contents = await readDlq(bus, ctx.io, topic, end);
    const redriven = contents.parked.filter((p) => p.redrivenTo !== undefined).length;
    rows.push({
      topic: topic.dlq,
      records: contents.records,
      parked: contents.parked.length,
      redriven,
      waiting: contents.parked.length - redriven,
    });
  }
  if (ctx.json) {
    ctx.io.out(json({ prefix: ctx.prefix, dlqs: rows }));
  } else if (rows.length === 0) {
    ctx.io.out(`no DLQ topics under prefix "${ctx.prefix}"\n`);
  } else {
    ctx.io.out(
      table(
        ['dlq', 'records', 'parked', 'redriven', 'waiting'],
        rows.map((r) => [r.topic, r.records, r.parked, r.redriven, r.waiting]),
      ),
    );
  }
  return 0;
}

/** The DLQ a command names, or a failure naming what the deployment has. */
export async function namedDlq(
  ctx: Context,
  name: string,
): Promise<{ topic: CatalogueTopic; ends: Map<number, bigint> }> {
  const topic = dlqOf(name);
  if (!topic) {
    throw new NotFound(
      `"${name}" is no topic of the catalogue; one of ${catalogueTopics.map((t) => t.name).join(', ')} (with or without ${dlqSuffix})`,
    );
  }
  const ends = (await endOffsetsOf(ctx.bus(), [topic.dlq])).get(topic.dlq);
  if (!ends) throw new NotFound(`the broker has no topic ${ctx.prefix}${topic.dlq}`);
  return { topic, ends };
}

export class NotFound extends Error {
  readonly code = 'CLI_NOT_FOUND';
  readonly retryable = false;
}

/** `petition dlq inspect <topic> [--limit N]`: the parked records, oldest first, with why each was parked. */
export async function dlqInspectCommand(ctx: Context, name: string, limit: number): Promise<number> {
  const { topic, ends } = await namedDlq(ctx, name);
  const contents = await readDlq(ctx.bus(), ctx.io, topic, ends);
  const shown = contents.parked.slice(0, limit);
  if (ctx.json) {
    ctx.io.out(
      json({
        dlq: `${ctx.prefix}${topic.dlq}`,
        parked: contents.parked.length,
        records: shown.map(({ value, headers, ...r }) => ({ ...r, valueBytes: value.byteLength })),
      }),
    );
    return 0;
  }
  ctx.io.out(`${ctx.prefix}${topic.dlq}: ${contents.parked.length} parked, ${contents.marks} redriven\n`);
  if (shown.length > 0) {
    ctx.io.out(
      table(
        ['at', 'time', 'error code', 'reason', 'source', 'attempts', 'key', 'event-type', 'redriven to'],
        shown.map((r) => [
          r.at,
          r.time,
          r.errorCode,
          r.reason,
          `${r.sourcePartition}:${r.sourceOffset}`,
          r.attempts,
          r.key,
          r.eventType,
          r.redrivenTo ?? '',
        ]),
      ),
    );
  }
  if (contents.parked.length > shown.length) {
    ctx.io.out(`… ${contents.parked.length - shown.length} more (--limit)\n`);
  }
  return 0;
}
