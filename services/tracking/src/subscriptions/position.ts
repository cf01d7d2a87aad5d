// Resume tokens: where a subscription's reader stands on case-events, per partition the offset of the next
// record to read. A token is the subscription id and those offsets — Kafka's own positions, kept by the
// integrator — so a resume needs nothing of tracking's memory or Redis: it survives a restart and a flush.
//   <subscription id>.<base64url of "partition:offset,partition:offset,…">

export class PositionError extends Error {
  readonly code = 'BAD_RESUME_TOKEN';
}

export type Position = ReadonlyMap<number, bigint>;

export function encodePosition(subscriptionId: string, position: Position): string {
  const parts = [...position].sort(([a], [b]) => a - b).map(([p, o]) => `${p}:${o}`);
  return `${subscriptionId}.${Buffer.from(parts.join(','), 'utf8').toString('base64url')}`;
}

/** The position a token names, when it is one of `subscriptionId`'s; throws PositionError otherwise. */
export function decodePosition(subscriptionId: string, token: string): Position {
  const dot = token.lastIndexOf('.');
  if (token.length > 2048 || dot <= 0 || token.slice(0, dot) !== subscriptionId)
    throw new PositionError('the resume token is not one of this subscription');
  const body = token.slice(dot + 1);
  if (!/^[A-Za-z0-9_-]*$/.test(body)) throw new PositionError('the resume token is damaged');
  const position = new Map<number, bigint>();
  const text = Buffer.from(body, 'base64url').toString('utf8');
  for (const part of text ? text.split(',') : []) {
    const m = /^(\d{1,5}):(\d{1,19})$/.exec(part);
    if (!m?.[1] || !m[2] || position.has(Number(m[1]))) throw new PositionError('the resume token is damaged');
    position.set(Number(m[1]), BigInt(m[2]));
  }
  return position;
}

/** The position after a record at `offset` of `partition`. */
export function advance(position: Position, partition: number, offset: bigint): Map<number, bigint> {
  const next = new Map(position);
  if ((next.get(partition) ?? 0n) < offset + 1n) next.set(partition, offset + 1n);
  return next;
}

/** True when `position` lies nowhere before `start` (a token may not reach back before its subscription began). */
export const notBefore = (position: Position, start: Position) =>
  [...start].every(([p, o]) => (position.get(p) ?? 0n) >= o);
