// Cursors over ordered sets (the inbox, the boards): a position kept by value — a score and a member — so
// that what arrives or leaves between two pages shifts none of them; opaque and URL-safe as handed out.

/** A position in an ordered set: after this score, and after this member among equal scores (Redis's order). */
export interface Position {
  readonly score: number;
  readonly id: string;
}

/** A cursor as the API hands it out: opaque, URL-safe. */
export const cursorOf = (p: Position) => Buffer.from(`${p.score} ${p.id}`).toString('base64url');

/** The position a cursor names, or undefined when it names none (not one this API handed out). */
export function positionOf(cursor: string): Position | undefined {
  const text = Buffer.from(cursor, 'base64url').toString();
  const space = text.indexOf(' ');
  const score = Number(text.slice(0, space));
  const id = text.slice(space + 1);
  if (space < 1 || !Number.isFinite(score) || !id || cursorOf({ score, id }) !== cursor) return undefined;
  return { score, id };
}

/** Whether `entry` comes after `p` in a sorted set: by score, then by member as bytes (as Redis orders ties). */
const isAfter = (entry: Position, p: Position) =>
  entry.score > p.score || (entry.score === p.score && Buffer.compare(Buffer.from(entry.id), Buffer.from(p.id)) > 0);

/**
 * The page of `ordered` after the cursor's position, and the cursor of the page after it (null at the end).
 * A position is kept by value, not by index: what arrives or leaves meanwhile shifts no page.
 */
export function pageAfter<T extends Position>(ordered: readonly T[], after: Position | undefined, limit: number) {
  const start = after ? ordered.findIndex((e) => isAfter(e, after)) : 0;
  const page = start < 0 ? [] : ordered.slice(start, start + limit);
  const last = page.at(-1);
  const more = start >= 0 && start + limit < ordered.length;
  return { page, next: more && last ? cursorOf(last) : null };
}
