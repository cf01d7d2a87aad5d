import { describe, expect, it } from 'vitest';
import { parseWebhookSubscriptions } from './webhook-subscriptions.ts';

const good = {
  id: 'hotline-1',
  url: 'https://hooks.example/petitions',
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  unitId: '330106-xfj',
  eventTypes: ['caseAccepted'],
  personalData: false,
};
const parse = (value: unknown) => parseWebhookSubscriptions(JSON.stringify(value), 'NOTIFY_WEBHOOKS');

describe('NOTIFY_WEBHOOKS', () => {
  it('takes a well-formed file as it is', () => {
    expect(parse([good, { ...good, id: 'unit-own', eventTypes: [], unitNotices: true }])).toEqual([
      good,
      { ...good, id: 'unit-own', eventTypes: [], unitNotices: true },
    ]);
  });

  it.each([
    ['not JSON', '[{', /NOTIFY_WEBHOOKS is not JSON/],
    ['not an array', '{}', /JSON array/],
    ['an entry not an object', '[1]', /\[0\] is not an object/],
  ])('refuses a file that is %s', (_, text, message) => {
    expect(() => parseWebhookSubscriptions(text, 'NOTIFY_WEBHOOKS')).toThrow(message);
  });

  it.each([
    ['an unknown field', { ...good, secrets: 'x' }, /fields no subscription has: secrets/],
    ['a bad id', { ...good, id: 'has space' }, /\.id must be/],
    ['a URL of another scheme', { ...good, url: 'ftp://hooks.example/x' }, /\.url must be an http\(s\) URL/],
    ['a URL with credentials', { ...good, url: 'https://user:pw@hooks.example/x' }, /without credentials/],
    ['a short secret', { ...good, secret: 'short' }, /\.secret must be/],
    ['no unit', { ...good, unitId: '' }, /\.unitId must name a unit/],
    ['no event types', { ...good, eventTypes: [] }, /selects nothing/],
    ['an event type not a name', { ...good, eventTypes: [''] }, /\.eventTypes must list/],
    ['personalData as text', { ...good, personalData: 'yes' }, /\.personalData must be true or false/],
    ['unitNotices as a number', { ...good, unitNotices: 1 }, /\.unitNotices must be true or false/],
  ])('refuses an entry with %s, naming it', (_, entry, message) => {
    expect(() => parse([entry])).toThrow(message);
  });

  it('refuses an id given twice and never repeats a secret in its message', () => {
    expect(() => parse([good, good])).toThrow(/\[1\]\.id hotline-1 is given twice/);
    try {
      parse([{ ...good, url: 'nope' }]);
    } catch (err) {
      expect((err as Error).message).not.toContain(good.secret);
    }
  });
});
