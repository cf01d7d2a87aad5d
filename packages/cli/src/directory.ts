import { readFileSync } from 'node:fs';
import { units } from '@petition/bus';
import type { UnitEvent } from '@petition/contract';
import {
  type Directory,
  DirectoryError,
  nationalDirectory,
  unitDissolved,
  unitMerged,
  unitRenamed,
} from '@petition/directory';
import { publishUnitRecords } from '@petition/directory-feed';
import type { Context } from './context.ts';
import { json, table } from './io.ts';
import { progressBar } from './progress-bar.ts';
import { readToEnd } from './read-to-end.ts';
import { endOffsetsOf } from './topics.ts';

// `petition directory apply <changes.json> [--yes]`: directory changes (rename, merge, dissolve) made into
// `units` records by @petition/directory's rules against the directory as the `units` topic has it now (the
// national directory built from the divisions, with every record on the topic applied), then published to
// the compacted topic, where every service takes them up live. Without --yes it prints the records only.
//
// The file: a JSON array of changes, applied in order —
//   {"change": "rename", "unitId": "330106-rsj", "name": "…"}
//   {"change": "merge", "unitId": "…", "into": "<survivor unit id>"}
//   {"change": "dissolve", "unitId": "…", "reason": "…", "successorUnitId": "<optional>"}

export type DirectoryChange =
  | { change: 'rename'; unitId: string; name: string }
  | { change: 'merge'; unitId: string; into: string }
  | { change: 'dissolve'; unitId: string; reason: string; successorUnitId?: string };

export class DirectoryChangesError extends Error {
  readonly code = 'CLI_DIRECTORY_CHANGES';
  readonly retryable = false;
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** The changes of the file, checked for shape; a bad entry is named by its position. */
export function parseDirectoryChanges(text: string, file: string): DirectoryChange[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DirectoryChangesError(`${file}: not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw new DirectoryChangesError(`${file}: a non-empty JSON array of changes`);
  return parsed.map((entry, i) => {
    const e = entry as Record<string, unknown>;
    const where = `${file} [${i}]`;
    if (!isText(e?.unitId)) throw new DirectoryChangesError(`${where}: unitId missing`);
    if (e.change === 'rename' && isText(e.name)) return { change: 'rename', unitId: e.unitId, name: e.name };
    if (e.change === 'merge' && isText(e.into)) return { change: 'merge', unitId: e.unitId, into: e.into };
    if (e.change === 'dissolve' && isText(e.reason)) {
      return {
        change: 'dissolve',
        unitId: e.unitId,
        reason: e.reason,
        ...(isText(e.successorUnitId) ? { successorUnitId: e.successorUnitId } : {}),
      };
    }
    throw new DirectoryChangesError(
      `${where}: "change" is rename (with name), merge (with into) or dissolve (with reason), not ${JSON.stringify(e.change)}`,
    );
  });
}

/** The records of the changes, each applied to `directory` before the next is made. */
export function changeRecords(directory: Directory, changes: readonly DirectoryChange[], now: Date): UnitEvent[] {
  const out: UnitEvent[] = [];
  changes.forEach((c, i) => {
    let made: UnitEvent[];
    try {
      if (c.change === 'rename') made = [unitRenamed(directory, c.unitId, c.name, now)];
      else if (c.change === 'merge') made = unitMerged(directory, c.unitId, c.into, now);
      else made = [unitDissolved(directory, c.unitId, { reason: c.reason, successorUnitId: c.successorUnitId }, now)];
    } catch (error) {
      if (error instanceof DirectoryError)
        throw new DirectoryChangesError(`change [${i}]: ${error.message} (${error.code})`);
      throw error;
    }
    for (const record of made) directory.apply(record);
    out.push(...made);
  });
  return out;
}

export async function directoryApplyCommand(ctx: Context, file: string, confirmed: boolean): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DirectoryChangesError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const changes = parseDirectoryChanges(text, file);
  const bus = ctx.bus();
  const directory = nationalDirectory();
  const ends = (await endOffsetsOf(bus, [units.name])).get(units.name);
  if (!ends) {
    throw new DirectoryChangesError(
      `the broker has no topic ${ctx.prefix}${units.name}: the services make it at start, \`npm run directory -- publish\` fills it`,
    );
  }
  await readToEnd(bus, units, ends, (r) => void directory.apply(r.value), {
    io: ctx.io,
    label: `reading ${ctx.prefix}${units.name}`,
  });
  const records = changeRecords(directory, changes, new Date());
  if (confirmed) {
    const publisher = await bus.publisher();
    const bar = progressBar(ctx.io, `publishing to ${ctx.prefix}${units.name}`, records.length);
    await publishUnitRecords(publisher, records, { logger: ctx.logger, onProgress: (done) => bar.update(done) });
    bar.finish();
  }
  const rows = records.map((r) => ({
    eventId: r.eventId,
    change: r.payload?.$case ?? '',
    unitId: r.unit?.unitId ?? '',
    name: r.unit?.name ?? '',
    revision: r.unit?.revision ?? 0,
  }));
  if (ctx.json) {
    ctx.io.out(json({ topic: `${ctx.prefix}${units.name}`, published: confirmed, records: rows }));
    return 0;
  }
  ctx.io.out(
    `${confirmed ? 'published' : 'would publish (add --yes to do it)'} ${records.length} record(s) to ${ctx.prefix}${units.name}\n`,
  );
  ctx.io.out(
    table(
      ['event id', 'change', 'unit', 'name', 'revision'],
      rows.map((r) => [r.eventId, r.change, r.unitId, r.name, r.revision]),
    ),
  );
  return 0;
}
