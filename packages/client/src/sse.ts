import type { FeedEvent } from './events.ts';
import { FeedError } from './feed-errors.ts';

// A subscription's events over Server-Sent Events (GET /v1/subscriptions/{id}/events on the node's tracking),
// resumed from a token: the stream is read as it comes, and when the connection drops it is opened again with
// `Last-Event-ID` set to the last token seen (an event's, or a `position` event's), so nothing is missed and —
// deduping on `eventId` for the at-least-once edge — nothing is taken twice.

export interface Credentials {
  /** The integrator's client id and secret (the node's operators give them). */
  readonly clientId: string;
  readonly secret: string;
}

export interface SubscribeOptions extends Credentials {
  readonly subscriptionId: string;
  /** Where to go on from: the `resumeToken` of the last event handled. Absent: where the subscription began. */
  readonly resumeToken?: string;
  /** Stops the stream (the iteration ends). */
  readonly signal?: AbortSignal;
  /** Open the stream again after a drop (default true), waiting this long first (default 1000 ms). */
  readonly reconnect?: boolean;
  readonly reconnectDelayMs?: number;
  /** Told every token the stream moved to, events' and `position`s' alike: keep the last for a restart. */
  readonly onPosition?: (resumeToken: string) => void;
}

export const basicAuthorization = (c: Credentials) =>
  `Basic ${Buffer.from(`${c.clientId}:${c.secret}`, 'utf8').toString('base64')}`;

/** The problem document of a refusal, as far as it reads. */
async function refusal(res: Response): Promise<FeedError> {
  let problem: { code?: string; detail?: string; title?: string } = {};
  try {
    problem = (await res.json()) as typeof problem;
  } catch {
    // Not a problem document: the status says it.
  }
  return new FeedError('FEED_REFUSED', problem.detail ?? problem.title ?? res.statusText, problem.code, res.status);
}

interface Frame {
  id?: string;
  event?: string;
  data: string[];
}

/** Splits an SSE body into frames (blank-line separated), per the HTML spec's event-stream rules. */
async function* frames(body: ReadableStream<Uint8Array>): AsyncGenerator<Frame> {
  const decoder = new TextDecoder();
  let buffered = '';
  let frame: Frame = { data: [] };
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.search(/\r\n|\n|\r/);
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + (buffered.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (frame.data.length || frame.id !== undefined) yield frame;
        frame = { data: [] };
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') frame.id = value;
        else if (field === 'event') frame.event = value;
        else if (field === 'data') frame.data.push(value);
      }
      newline = buffered.search(/\r\n|\n|\r/);
    }
  }
}

/**
 * The subscription's events from `resumeToken` on, over SSE from `baseUrl` (the node's tracking). Iterate it;
 * break or abort `signal` to stop. A refusal (401, 404, 409 paused, 400 bad token) ends it with a FeedError;
 * a dropped connection is opened again from the last token unless `reconnect` is false.
 */
export async function* subscribeSse(baseUrl: string, options: SubscribeOptions): AsyncGenerator<FeedEvent> {
  let token = options.resumeToken;
  const url = new URL(`/v1/subscriptions/${encodeURIComponent(options.subscriptionId)}/events`, baseUrl);
  for (;;) {
    if (options.signal?.aborted) return;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: {
          accept: 'text/event-stream',
          authorization: basicAuthorization(options),
          ...(token ? { 'last-event-id': token } : {}),
        },
        signal: options.signal,
      });
    } catch (err) {
      if (options.signal?.aborted) return;
      if (options.reconnect === false) throw new FeedError('FEED_UNREACHABLE', (err as Error).message);
      await new Promise((resolve) => setTimeout(resolve, options.reconnectDelayMs ?? 1_000));
      continue;
    }
    if (!res.ok) throw await refusal(res);
    if (!res.headers.get('content-type')?.startsWith('text/event-stream') || !res.body)
      throw new FeedError('FEED_PROTOCOL', `the node answered ${res.headers.get('content-type')}, not an event stream`);
    try {
      for await (const frame of frames(res.body)) {
        if (frame.id) {
          token = frame.id;
          options.onPosition?.(frame.id);
        }
        if (frame.event === 'position' || frame.event === 'error' || !frame.id) continue;
        let data: Omit<FeedEvent, 'resumeToken'>;
        try {
          data = JSON.parse(frame.data.join('\n')) as typeof data;
        } catch {
          throw new FeedError('FEED_PROTOCOL', `event ${frame.id} is not JSON`);
        }
        yield { ...data, resumeToken: frame.id };
      }
    } catch (err) {
      if (err instanceof FeedError) throw err;
      if (options.signal?.aborted) return;
      // The connection dropped mid-stream: open it again from the last token.
    }
    if (options.reconnect === false) return;
    await new Promise((resolve) => setTimeout(resolve, options.reconnectDelayMs ?? 1_000));
  }
}
