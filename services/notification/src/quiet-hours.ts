// Quiet hours for non-urgent notices to units, in Asia/Shanghai (UTC+8, no daylight saving): `22-7` holds
// a notice written at 23:10 until 07:00. `0-0` (or anything else that is no `from-to`) means none.

const HOUR = 3_600_000;
const SHANGHAI = 8 * HOUR;

export function quietUntil(at: number, spec: string): number {
  const m = /^(\d{1,2})-(\d{1,2})$/.exec(spec.trim());
  if (!m) return at;
  const from = Number(m[1]);
  const to = Number(m[2]);
  const local = at + SHANGHAI;
  const hour = Math.floor(local / HOUR) % 24;
  const quiet = from <= to ? hour >= from && hour < to : hour >= from || hour < to;
  if (!quiet) return at;
  const dayStart = local - (local % (24 * HOUR));
  let end = dayStart + to * HOUR;
  if (end <= local) end += 24 * HOUR;
  return end - SHANGHAI;
}
