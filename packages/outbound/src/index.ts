// Calls out of the node to an address someone else configured — an SMS gateway, an integrator's webhook:
// a redirect is never followed (it would take a signed body somewhere nobody configured), at most
// ANSWER_BYTES of the answer are read, and a 429 or 503's `Retry-After` is handed back to the caller's retry.

export class DeliveryError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** How long the receiver asked to be left alone (`Retry-After` on a 429 or 503), in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(code: string, message: string, retryable: boolean, retryAfterMs?: number) {
    super(message);
    this.name = 'DeliveryError';
    this.code = code;
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
  }
}

const TIMEOUT_MS = 10_000;
/** The most of an answer read: a receiver's body is only a message id, and a large one must not fill memory. */
export const ANSWER_BYTES = 64 * 1024;
/** A `Retry-After` further out than this is capped: a receiver does not get to park a notice for a week. */
const RETRY_AFTER_MAX_MS = 3_600_000;

/**
 * `Retry-After` (seconds, or an HTTP date read against `now`, the real clock the receiver's date is on) as
 * a delay in ms, within 0 and an hour; undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  const delay = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  if (Number.isNaN(delay)) return undefined;
  return Math.min(Math.max(delay, 0), RETRY_AFTER_MAX_MS);
}

/** The answer's first `ANSWER_BYTES` as text; the rest is not read (the connection is dropped). */
async function boundedText(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short: what came is all there is to read.
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, ANSWER_BYTES).toString('utf8');
}

export async function post(code: string, url: string, body: string, headers: Record<string, string>): Promise<string> {
  let res: Response;
  try {
    // Never followed: a redirect would take a signed body, or the next one, somewhere nobody configured.
    res = await fetch(url, {
      method: 'POST',
      body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new DeliveryError(`${code}_UNREACHABLE`, (err as Error).message, true);
  }
  const text = await boundedText(res);
  if (res.ok) return text;
  if (res.status >= 300 && res.status < 400)
    throw new DeliveryError(`${code}_HTTP_${res.status}`, `${code.toLowerCase()} redirected, not followed`, true);
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  const later =
    res.status === 429 || res.status === 503 ? retryAfterMs(res.headers.get('retry-after'), Date.now()) : undefined;
  throw new DeliveryError(
    `${code}_HTTP_${res.status}`,
    `${code.toLowerCase()} answered ${res.status}`,
    retryable,
    later,
  );
}
