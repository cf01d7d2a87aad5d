import { Header } from '@petition/bus';
import type { Context } from './context.ts';
import { NotFound, namedDlq, type ParkedRecord, RedriveHeader, readDlq } from './dlq.ts';
import { json, table } from './io.ts';
import { progressBar } from './progress-bar.ts';

// `petition dlq redrive <topic>`: puts parked records back on the topic they were parked from — original key,
// value and headers, without the dlq-* ones, with `redriven-from` naming where it came from — and appends a
// mark for each to the DLQ, so that a second redrive skips it. Without --yes it only says what it would do.

export interface Selection {
  all?: boolean;
  /** `<offset>` or `<partition>:<offset>` in the DLQ. */
  offsets?: readonly string[];
  reasonCode?: string;
}

const dlqHeaders = new Set<string>([
  Header.dlqReason,
  Header.dlqErrorCode,
  Header.dlqSourceTopic,
  Header.dlqSourcePartition,
  Header.dlqSourceOffset,
  Header.dlqAttempts,
  Header.dlqGroup,
  Header.dlqTime,
]);

/** The records a selection names; a named offset the DLQ does not hold is a failure that names it. */
export function select(parked: readonly ParkedRecord[], selection: Selection): ParkedRecord[] {
  let chosen: ParkedRecord[] = [...parked];
  if (selection.offsets && selection.offsets.length > 0) {
    chosen = selection.offsets.map((named) => {
      const matches = parked.filter((p) => (named.includes(':') ? p.at === named : p.offset === named));
      if (matches.length === 0) throw new NotFound(`no parked record at offset ${named} of the DLQ`);
      if (matches.length > 1) {
        throw new NotFound(
          `offset ${named} is in several partitions (${matches.map((m) => m.at).join(', ')}): give <partition>:<offset>`,
        );
      }
      return matches[0] as ParkedRecord;
    });
  }
  if (selection.reasonCode !== undefined) chosen = chosen.filter((p) => p.errorCode === selection.reasonCode);
  return chosen;
}

export async function dlqRedriveCommand(
  ctx: Context,
  name: string,
  selection: Selection,
  confirmed: boolean,
): Promise<number> {
  const bus = ctx.bus();
  const { topic, ends } = await namedDlq(ctx, name);
  const contents = await readDlq(bus, ctx.io, topic, ends);
  const chosen = select(contents.parked, selection);
  const already = chosen.filter((p) => p.redrivenTo !== undefined);
  const todo = chosen.filter((p) => p.redrivenTo === undefined);
  const target = `${ctx.prefix}${topic.name}`;
  const dlq = `${ctx.prefix}${topic.dlq}`;
  const done: { from: string; to: string; errorCode: string; reason: string; key: string }[] = [];
  if (confirmed && todo.length > 0) {
    const publisher = await bus.publisher();
    const bar = progressBar(ctx.io, `redriving to ${target}`, todo.length);
    for (const record of todo) {
      const headers = Object.fromEntries(Object.entries(record.headers).filter(([k]) => !dlqHeaders.has(k)));
      headers[RedriveHeader.redrivenFrom] = `${dlq}:${record.at}`;
      const [put] = await publisher.publishRaw(target, [
        { key: record.key, value: Buffer.from(record.value), headers },
      ]);
      const to = `${target}:${put?.partition}:${put?.baseOffset}`;
      // The mark goes after the record is back: a crash between the two redrives the record again at the
      // next run, which the topic's consumers absorb (their handlers are idempotent), rather than losing it.
      await publisher.publishRaw(dlq, [
        {
          key: record.key,
          value: Buffer.from(JSON.stringify({ redriveOf: record.at, redrivenTo: to })),
          headers: {
            [RedriveHeader.redriveOf]: record.at,
            [RedriveHeader.redrivenTo]: to,
            [RedriveHeader.redriveTime]: new Date().toISOString(),
          },
        },
      ]);
      done.push({ from: record.at, to, errorCode: record.errorCode, reason: record.reason, key: record.key });
      bar.update(done.length);
    }
    bar.finish();
  }
  if (ctx.json) {
    ctx.io.out(
      json({
        dlq,
        topic: target,
        confirmed,
        redriven: done,
        wouldRedrive: confirmed ? [] : todo.map((p) => ({ from: p.at, errorCode: p.errorCode, reason: p.reason })),
        alreadyRedriven: already.map((p) => ({ from: p.at, to: p.redrivenTo })),
      }),
    );
    return 0;
  }
  if (!confirmed) {
    ctx.io.out(`would redrive ${todo.length} record(s) from ${dlq} to ${target} (add --yes to do it)\n`);
    if (todo.length > 0) {
      ctx.io.out(
        table(
          ['at', 'error code', 'reason', 'key'],
          todo.map((p) => [p.at, p.errorCode, p.reason, p.key]),
        ),
      );
    }
  } else {
    ctx.io.out(`redrove ${done.length} record(s) from ${dlq} to ${target}\n`);
    if (done.length > 0) {
      ctx.io.out(
        table(
          ['from', 'to', 'error code', 'reason', 'key'],
          done.map((d) => [d.from, d.to, d.errorCode, d.reason, d.key]),
        ),
      );
    }
  }
  for (const p of already) ctx.io.out(`${p.at} was already redriven to ${p.redrivenTo}: skipped\n`);
  return 0;
}
