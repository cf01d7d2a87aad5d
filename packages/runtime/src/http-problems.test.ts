import { rawHttp } from '@petition/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerProblems, problemServerOptions } from './http-problems.ts';
import { secureHeaders } from './secure-headers.ts';

// Fastify's and Node's own refusals, over a real socket, as problem+json with a stable code: never a 5xx
// for a client's mistake.

let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  app = Fastify({ logger: false, bodyLimit: 1024, ...problemServerOptions() });
  secureHeaders(app);
  answerProblems(app);
  app.post(
    '/v1/things',
    { schema: { body: { type: 'object', properties: { n: { type: 'integer' } } } } },
    async () => ({
      ok: true,
    }),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/things/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } },
        querystring: { type: 'object', properties: { day: { type: 'string', format: 'date' } } },
      },
    },
    async (request) => ({ id: request.params.id }),
  );
  app.get('/v1/boom', async () => {
    throw new Error('a bug of ours');
  });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(() => app?.close());

/** Sends raw bytes and reads the whole answer (the server closes the connection after these). */
const raw = async (bytes: string) => (await rawHttp(url, bytes)).answer;

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  const body = (await res.json()) as { status: number; code: string; type: string; title: string };
  expect(body).toMatchObject({ status, code });
  expect(body.type).toBe(`urn:petition:problem:${code.toLowerCase().replaceAll('_', '-')}`);
  return body;
}

const post = (body: string, contentType = 'application/json') =>
  fetch(`${url}/v1/things`, { method: 'POST', headers: { 'content-type': contentType }, body });

describe('fastify’s refusals as problem+json', () => {
  it('400 for JSON that does not parse, or an empty JSON body', async () => {
    await expectProblem(await post('{"n": '), 400, 'MALFORMED_JSON');
    await expectProblem(await post(''), 400, 'MALFORMED_JSON');
  });

  it('400 naming the query or path parameter a schema refuses', async () => {
    const body = await expectProblem(await fetch(`${url}/v1/things/a?day=2026-13-01`), 400, 'INVALID_REQUEST');
    expect(body).toMatchObject({ errors: [{ field: 'day', in: 'query' }] });
    const long = await expectProblem(await fetch(`${url}/v1/things/${'x'.repeat(65)}`), 400, 'INVALID_REQUEST');
    expect(long).toMatchObject({ errors: [{ field: 'id', in: 'path' }] });
  });

  it('400 for a path that is not valid percent-encoding', async () => {
    await expectProblem(await fetch(`${url}/v1/things/%zz`), 400, 'BAD_URL');
  });

  it('404 for no route, 405 with Allow for a route of other methods', async () => {
    await expectProblem(await fetch(`${url}/nowhere`), 404, 'NOT_FOUND');
    const put = await fetch(`${url}/v1/things/7`, { method: 'PUT' });
    await expectProblem(put, 405, 'METHOD_NOT_ALLOWED');
    expect(put.headers.get('allow')).toBe('GET, HEAD');
    await expectProblem(await fetch(`${url}/v1/things`, { method: 'DELETE' }), 405, 'METHOD_NOT_ALLOWED');
  });

  it('413 for a body over the limit, 415 for a body that is not JSON', async () => {
    await expectProblem(await post(JSON.stringify({ n: 1, pad: 'x'.repeat(2000) })), 413, 'BODY_TOO_LARGE');
    await expectProblem(await post('n=1', 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('414 for a path segment too long to route', async () => {
    await expectProblem(await fetch(`${url}/v1/things/${'x'.repeat(201)}`), 414, 'URI_TOO_LONG');
  });

  it('500 only for a failure of ours, with the request id and nothing of the error', async () => {
    const body = await expectProblem(await fetch(`${url}/v1/boom`), 500, 'INTERNAL');
    expect(JSON.stringify(body)).not.toContain('a bug of ours');
    expect(body).toHaveProperty('requestId');
  });
});

describe('Node’s refusals, answered on the socket', () => {
  const answerOf = (text: string) => {
    const [head = '', body = ''] = text.split('\r\n\r\n');
    return { statusLine: head.split('\r\n')[0], head: head.toLowerCase(), body: JSON.parse(body) as { code: string } };
  };

  it('431 problem+json for headers too large', async () => {
    const a = answerOf(await raw(`GET /v1/things/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`));
    expect(a.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(a.head).toContain('content-type: application/problem+json');
    expect(a.head).toContain("content-security-policy: default-src 'self'");
    expect(a.body).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
  });

  it('431 too for a URL longer than the header limit', async () => {
    const a = answerOf(await raw(`GET /v1/things/1?q=${'y'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`));
    expect(a.body).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
  });

  it('400 problem+json for bytes that are not HTTP', async () => {
    const a = answerOf(await raw('HELLO THERE\r\n\r\n'));
    expect(a.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(a.body).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });
});
