import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { memorySeenStore, signWebhook, verifyWebhook, type WebhookErrorCode } from './index.ts';

// Against the reference implementation (the `standardwebhooks` package), both ways, then each refusal.

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const body = JSON.stringify({ specversion: '1.0', id: 'n-1', type: 'cn.petition.caseAccepted', data: { 受理: '是' } });
const refused = async (p: Promise<unknown>, code: WebhookErrorCode) =>
  expect(p).rejects.toMatchObject({ name: 'WebhookError', code });

describe('webhook signatures', () => {
  it('signs what the reference verifies, and verifies what the reference signs', async () => {
    const now = new Date();
    const headers = signWebhook({ secret, id: 'msg-1', timestamp: now, body });
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    const theirs = new Webhook(secret).sign('msg-2', now, body);
    expect(theirs).toBe(signWebhook({ secret, id: 'msg-2', timestamp: now, body })['webhook-signature']);
    const verified = await verifyWebhook({
      secret,
      headers: {
        'webhook-id': 'msg-2',
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': theirs,
      },
      body: Buffer.from(body),
    });
    expect(verified).toEqual({ id: 'msg-2', timestamp: new Date(Math.floor(now.getTime() / 1000) * 1000) });
  });

  it('takes a secret without whsec_ as its own bytes, as the reference does with format raw', async () => {
    const plain = 'webhook-secret-0123456789';
    const now = new Date();
    const headers = signWebhook({ secret: plain, id: 'msg-3', timestamp: now, body });
    expect(new Webhook(plain, { format: 'raw' }).verify(body, { ...headers })).toEqual(JSON.parse(body));
    await expect(verifyWebhook({ secret: plain, headers, body })).resolves.toMatchObject({ id: 'msg-3' });
  });

  it('finds the valid signature among several (a secret being rotated), reading a fetch Headers too', async () => {
    const headers = signWebhook({ secret, id: 'msg-4', timestamp: new Date(), body });
    const old = signWebhook({ secret: 'the-old-secret', id: 'msg-4', timestamp: new Date(), body });
    const both = new Headers({
      ...headers,
      'webhook-signature': `v2,abc ${old['webhook-signature']} ${headers['webhook-signature']}`,
    });
    await expect(verifyWebhook({ secret, headers: both, body })).resolves.toMatchObject({ id: 'msg-4' });
  });

  it('refuses a body, an id or a timestamp altered, and the wrong secret', async () => {
    const now = new Date();
    const headers = signWebhook({ secret, id: 'msg-5', timestamp: now, body });
    await refused(verifyWebhook({ secret, headers, body: body.replace('是', '否') }), 'WEBHOOK_BAD_SIGNATURE');
    await refused(
      verifyWebhook({ secret, headers: { ...headers, 'webhook-id': 'msg-6' }, body }),
      'WEBHOOK_BAD_SIGNATURE',
    );
    const later = String(Number(headers['webhook-timestamp']) + 1);
    await refused(
      verifyWebhook({ secret, headers: { ...headers, 'webhook-timestamp': later }, body }),
      'WEBHOOK_BAD_SIGNATURE',
    );
    const other = `whsec_${randomBytes(24).toString('base64')}`;
    await refused(verifyWebhook({ secret: other, headers, body }), 'WEBHOOK_BAD_SIGNATURE');
    await refused(
      verifyWebhook({ secret, headers: { ...headers, 'webhook-signature': 'v1,' }, body }),
      'WEBHOOK_BAD_SIGNATURE',
    );
    // The reference agrees.
    expect(() => new Webhook(secret).verify(body.replace('是', '否'), { ...headers })).toThrow('No matching signature');
  });

  it('refuses a call signed before the tolerance, or after it, as the reference does', async () => {
    const now = new Date('2026-11-30T10:00:00Z');
    const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
    const stale = signWebhook({ secret, id: 'msg-7', timestamp: at(-301), body });
    await refused(verifyWebhook({ secret, headers: stale, body, now }), 'WEBHOOK_STALE');
    const future = signWebhook({ secret, id: 'msg-8', timestamp: at(301), body });
    await refused(verifyWebhook({ secret, headers: future, body, now }), 'WEBHOOK_FUTURE');
    // At the edge, and with a tolerance of the caller's.
    const edge = signWebhook({ secret, id: 'msg-9', timestamp: at(-300), body });
    await expect(verifyWebhook({ secret, headers: edge, body, now })).resolves.toMatchObject({ id: 'msg-9' });
    await refused(verifyWebhook({ secret, headers: edge, body, now, toleranceSeconds: 60 }), 'WEBHOOK_STALE');
    const reference = signWebhook({ secret, id: 'msg-10', timestamp: new Date(Date.now() - 301_000), body });
    expect(() => new Webhook(secret).verify(body, { ...reference })).toThrow('too old');
  });

  it('refuses the same call a second time with a seen store, and forgets ids once they are stale anyway', async () => {
    const seen = memorySeenStore();
    const headers = signWebhook({ secret, id: 'msg-11', timestamp: new Date(), body });
    await expect(verifyWebhook({ secret, headers, body, seen })).resolves.toMatchObject({ id: 'msg-11' });
    await refused(verifyWebhook({ secret, headers, body, seen }), 'WEBHOOK_REPLAYED');
    // A forged call under a taken id is refused for its signature, and does not touch the store.
    const forged = signWebhook({ secret: 'not-the-secret', id: 'msg-12', timestamp: new Date(), body });
    await refused(verifyWebhook({ secret, headers: forged, body, seen }), 'WEBHOOK_BAD_SIGNATURE');
    const real = signWebhook({ secret, id: 'msg-12', timestamp: new Date(), body });
    await expect(verifyWebhook({ secret, headers: real, body, seen })).resolves.toMatchObject({ id: 'msg-12' });
    const expiring = memorySeenStore();
    await expiring.add('gone', new Date(Date.now() - 1));
    expect(await expiring.has('gone')).toBe(false);
  });

  it('names what is missing or malformed', async () => {
    const headers = signWebhook({ secret, id: 'msg-13', timestamp: new Date(), body });
    await refused(verifyWebhook({ secret, headers: { 'webhook-id': 'msg-13' }, body }), 'WEBHOOK_MISSING_HEADERS');
    await refused(
      verifyWebhook({ secret, headers: { ...headers, 'webhook-timestamp': '17e8' }, body }),
      'WEBHOOK_BAD_TIMESTAMP',
    );
    await refused(verifyWebhook({ secret: '', headers, body }), 'WEBHOOK_BAD_SECRET');
    await refused(verifyWebhook({ secret: 'whsec_not base64!', headers, body }), 'WEBHOOK_BAD_SECRET');
  });
});
