import type { CaseSnapshot } from './snapshot.ts';

// A case snapshot written down and read back (routing's snapshots topic): JSON, each Date as
// `{"$date": <epoch ms>}` so that it comes back a Date, and nothing else changed. The format number travels
// beside it; a reader that meets another format replays the case's events instead of guessing.

export const snapshotFormat = 1;

export class SnapshotFormatError extends Error {
  readonly code = 'UNREADABLE_SNAPSHOT' as const;
}

const dateTag = '$date';

export function encodeSnapshot(snapshot: CaseSnapshot): string {
  return JSON.stringify(snapshot, function tagDates(this: Record<string, unknown>, key, value) {
    const raw = this[key];
    return raw instanceof Date ? { [dateTag]: raw.getTime() } : value;
  });
}

export function decodeSnapshot(text: string, format = snapshotFormat): CaseSnapshot {
  if (format !== snapshotFormat) throw new SnapshotFormatError(`snapshot format ${format} is not known here`);
  let decoded: unknown;
  try {
    decoded = JSON.parse(text, (_key, value) =>
      value && typeof value === 'object' && typeof value[dateTag] === 'number' && Object.keys(value).length === 1
        ? new Date(value[dateTag])
        : value,
    );
  } catch (err) {
    throw new SnapshotFormatError(`snapshot is not JSON: ${(err as Error).message}`);
  }
  const snapshot = decoded as Partial<CaseSnapshot> | null;
  if (!snapshot || typeof snapshot.caseId !== 'string' || typeof snapshot.version !== 'number')
    throw new SnapshotFormatError('snapshot lacks caseId or version');
  return snapshot as CaseSnapshot;
}
