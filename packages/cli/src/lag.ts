import { partitionLags } from '@petition/bus';
import type { Context } from './context.ts';
import { json, table } from './io.ts';
import { catalogueTopics, endOffsetsOf } from './topics.ts';

// `petition lag [--group G]`: each consumer group of the deployment on each catalogue topic it has committed
// on, per partition — end, committed, lag — and the totals. A group that has stopped keeps its offsets, so
// its lag grows with what is written after it stopped.

export interface LagRow {
  group: string;
  topic: string;
  partition: number;
  end: bigint;
  committed: bigint;
  lag: bigint;
}

export async function readLag(ctx: Context, onlyGroup?: string): Promise<LagRow[]> {
  const bus = ctx.bus();
  const groups = (await bus.listGroups()).filter((g) => onlyGroup === undefined || g === onlyGroup).sort();
  const names = catalogueTopics.flatMap((t) => [t.name, t.dlq]);
  const ends = await endOffsetsOf(bus, names);
  const rows: LagRow[] = [];
  for (const group of groups) {
    for (const [topic, end] of ends) {
      if (!end) continue;
      const committed = await bus.committedOffsets(group, { name: topic });
      // A topic the group has never committed on is not one it reads.
      if (![...committed.values()].some((c) => c > 0n)) continue;
      for (const p of partitionLags(end, committed)) rows.push({ group, topic, ...p });
    }
  }
  return rows;
}

export async function lagCommand(ctx: Context, options: { group?: string }): Promise<number> {
  const rows = await readLag(ctx, options.group);
  const total = rows.reduce((n, r) => n + r.lag, 0n);
  if (ctx.json) {
    ctx.io.out(json({ prefix: ctx.prefix, rows, totalLag: total }));
    return 0;
  }
  if (rows.length === 0) {
    ctx.io.out(
      options.group === undefined
        ? `no consumer group of prefix "${ctx.prefix}" has committed on a catalogue topic\n`
        : `group "${options.group}" has committed nothing on a catalogue topic (prefix "${ctx.prefix}")\n`,
    );
    return 0;
  }
  const byGroup = new Map<string, bigint>();
  for (const r of rows) byGroup.set(r.group, (byGroup.get(r.group) ?? 0n) + r.lag);
  ctx.io.out(
    table(
      ['group', 'topic', 'partition', 'end', 'committed', 'lag'],
      rows.map((r) => [r.group, r.topic, r.partition, r.end, r.committed, r.lag]),
    ),
  );
  ctx.io.out(
    `\n${table(
      ['group', 'lag'],
      [...byGroup].map(([g, l]) => [g, l]),
    )}`,
  );
  ctx.io.out(`total lag: ${total}\n`);
  return 0;
}
