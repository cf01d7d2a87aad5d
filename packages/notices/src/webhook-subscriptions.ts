import type { Subscription } from './notices.ts';

// NOTIFY_WEBHOOKS: the operators' file of webhook endpoints that notification tells (units' own endpoints and
// integrators configured before the subscriptions API). Read once at start and checked whole: a mistake stops
// notification naming the entry and the field, instead of a webhook that silently never fires.

const idPattern = /^[A-Za-z0-9._-]{1,64}$/;
const fields = new Set(['id', 'url', 'secret', 'unitId', 'eventTypes', 'personalData', 'unitNotices']);

/** The subscriptions a NOTIFY_WEBHOOKS file holds; throws naming what is wrong (never the secret). */
export function parseWebhookSubscriptions(text: string, source: string): Subscription[] {
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source} is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(entries)) throw new Error(`${source} must hold a JSON array of subscriptions`);
  const ids = new Set<string>();
  return entries.map((entry: unknown, index): Subscription => {
    const where = `${source}[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new Error(`${where} is not an object`);
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).filter((k) => !fields.has(k));
    if (unknown.length) throw new Error(`${where} has fields no subscription has: ${unknown.join(', ')}`);
    if (typeof e.id !== 'string' || !idPattern.test(e.id))
      throw new Error(`${where}.id must be 1–64 of A-Z a-z 0-9 . _ -`);
    if (ids.has(e.id)) throw new Error(`${where}.id ${e.id} is given twice`);
    ids.add(e.id);
    let url: URL | undefined;
    try {
      url = typeof e.url === 'string' ? new URL(e.url) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || !['https:', 'http:'].includes(url.protocol) || url.username || url.password)
      throw new Error(`${where}.url must be an http(s) URL without credentials`);
    if (typeof e.secret !== 'string' || e.secret.length < 16)
      throw new Error(`${where}.secret must be a string of 16 characters or more (whsec_<base64> or any string)`);
    if (typeof e.unitId !== 'string' || !e.unitId) throw new Error(`${where}.unitId must name a unit`);
    if (!Array.isArray(e.eventTypes) || !e.eventTypes.every((t) => typeof t === 'string' && t))
      throw new Error(`${where}.eventTypes must list payload names (e.g. caseAccepted) or "*"`);
    if (typeof e.personalData !== 'boolean') throw new Error(`${where}.personalData must be true or false`);
    if (e.unitNotices !== undefined && typeof e.unitNotices !== 'boolean')
      throw new Error(`${where}.unitNotices must be true or false`);
    // A unit's own endpoint may take its notices only; anything else that lists no event type gets nothing.
    if (e.eventTypes.length === 0 && e.unitNotices !== true)
      throw new Error(`${where} selects nothing: list eventTypes, or set unitNotices for a unit's own endpoint`);
    return {
      id: e.id,
      url: url.toString(),
      secret: e.secret,
      unitId: e.unitId,
      eventTypes: e.eventTypes as string[],
      personalData: e.personalData,
      ...(e.unitNotices === undefined ? {} : { unitNotices: e.unitNotices }),
    };
  });
}
