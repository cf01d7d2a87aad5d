import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memorySeenStore, verifyWebhook } from '@petition/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_BYTES, createChannels, type DeliveryError, retryAfterMs } from './channels.ts';

// The HTTP ways out against a real local server: signed the Standard Webhooks way, redirects not
// followed, an endless answer not read to its end, a receiver's Retry-After kept.

const calls: { url: string; headers: IncomingMessage['headers']; body: string }[] = [];
/** What the endless answer had written when the client let go (undefined while it runs). */
let endlessWritten: number | undefined;
const routes: Record<string, (res: ServerResponse) => void> = {
  '/ok': (res) => res.writeHead(204).end(),
  '/moved': (res) => res.writeHead(302, { location: '/ok' }).end(),
  '/busy': (res) => res.writeHead(503, { 'retry-after': '120' }).end(),
  '/slow-down': (res) => res.writeHead(429, { 'retry-after': new Date(Date.now() + 30_000).toUTCString() }).end(),
  '/broken': (res) => res.writeHead(500, { 'retry-after': '120' }).end(),
  '/endless': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    let written = 0;
    res.on('close', () => {
      endlessWritten = written;
    });
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const more = () => {
      while (!res.destroyed && res.write(chunk)) written += chunk.length;
      if (!res.destroyed) res.once('drain', more);
    };
    more();
  },
};
let server: Server;
let base: string;
let channels: ReturnType<typeof createChannels>;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      calls.push({ url: req.url ?? '', headers: req.headers, body });
      (routes[req.url ?? ''] ?? ((r: ServerResponse) => r.writeHead(404).end()))(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  channels = createChannels({ smsUrl: `${base}/endless`, mailFrom: 'x@petition.local' });
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: unknown) => err as DeliveryError,
  );
const body = JSON.stringify({ specversion: '1.0', id: 'n-1', type: 'cn.petition.caseAccepted' });

describe('channels', () => {
  it('signs a webhook under the notice id with the subscription’s secret, a plain one taken as its bytes', async () => {
    await channels.callWebhook(`${base}/ok`, 'plain-secret-0123456789', body, 'n-1');
    const whsec = `whsec_${Buffer.from('a key of the standard kind, 32 b').toString('base64')}`;
    await channels.callWebhook(`${base}/ok`, whsec, body, 'n-2');
    const [plain, standard] = calls.filter((c) => c.url === '/ok').slice(-2);
    const seen = memorySeenStore();
    await expect(
      verifyWebhook({
        secret: 'plain-secret-0123456789',
        headers: plain?.headers ?? {},
        body: plain?.body ?? '',
        seen,
      }),
    ).resolves.toMatchObject({ id: 'n-1' });
    await expect(
      verifyWebhook({ secret: whsec, headers: standard?.headers ?? {}, body: standard?.body ?? '', seen }),
    ).resolves.toMatchObject({ id: 'n-2' });
    expect(plain?.headers['idempotency-key']).toBe('n-1');
    expect(plain?.headers['x-petition-signature']).toBeUndefined();
    // Signed with one secret, refused under another.
    await expect(
      verifyWebhook({ secret: whsec, headers: plain?.headers ?? {}, body: plain?.body ?? '' }),
    ).rejects.toMatchObject({ code: 'WEBHOOK_BAD_SIGNATURE' });
  });

  it('does not follow a redirect: a 3xx is a failure to retry, and the target is never called', async () => {
    const before = calls.filter((c) => c.url === '/ok').length;
    const err = await failure(channels.callWebhook(`${base}/moved`, 's3cret', body, 'n-3'));
    expect(err).toMatchObject({ code: 'WEBHOOK_HTTP_302', retryable: true });
    expect(calls.filter((c) => c.url === '/ok').length).toBe(before);
  });

  it('reads no more than a bounded part of an answer that never ends', async () => {
    // Unbounded, the read would never finish; bounded, the gateway's answer is cut and the connection dropped.
    await expect(channels.sendSms('13800000000', 'text', 'n-4')).resolves.toBe('');
    await expect.poll(() => endlessWritten).toBeDefined();
    // What the socket buffers took beyond the bound, not the ten seconds' worth a full read would take.
    expect(endlessWritten).toBeLessThan(256 * ANSWER_BYTES);
  });

  it('keeps a 503’s or 429’s Retry-After (seconds or a date), not a 500’s', async () => {
    expect(await failure(channels.callWebhook(`${base}/busy`, 's3cret', body, 'n-5'))).toMatchObject({
      code: 'WEBHOOK_HTTP_503',
      retryable: true,
      retryAfterMs: 120_000,
    });
    const slowDown = await failure(channels.callWebhook(`${base}/slow-down`, 's3cret', body, 'n-6'));
    expect(slowDown?.code).toBe('WEBHOOK_HTTP_429');
    expect(slowDown?.retryAfterMs).toBeGreaterThan(25_000);
    expect(slowDown?.retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(
      (await failure(channels.callWebhook(`${base}/broken`, 's3cret', body, 'n-7')))?.retryAfterMs,
    ).toBeUndefined();
  });

  it('reads Retry-After within bounds: never negative, at most an hour, nothing from nonsense', () => {
    const now = Date.parse('2026-11-30T10:00:00Z');
    expect(retryAfterMs('5', now)).toBe(5_000);
    expect(retryAfterMs('Mon, 30 Nov 2026 10:01:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs('Mon, 30 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('604800', now)).toBe(3_600_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
