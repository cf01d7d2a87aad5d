import { FeedError } from './feed-errors.ts';
import { basicAuthorization, type Credentials } from './sse.ts';

// The subscriptions API (/v1/subscriptions on the node's tracking) for an integrator: make, list, pause,
// resume and delete its subscriptions with its own credentials.

export interface SubscriptionFilter {
  /** Units whose subtree holds the case after the event. */
  unitIds?: string[];
  /** GB/T 2260 codes: the case's place in one of these regions or below. */
  regionCodes?: string[];
  /** e.g. `petition.v1.CaseAccepted` (or `CaseAccepted`). */
  eventTypes?: string[];
  /** e.g. `PETITION_KIND_COMPLAINT`. */
  kinds?: string[];
  /** e.g. `CATEGORY_LABOR_SOCIAL_SECURITY`. */
  categories?: string[];
}

export interface Subscription {
  id: string;
  name: string;
  state: 'active' | 'paused';
  filter: Required<SubscriptionFilter>;
  delivery: { webhookUrl: string } | { stream: true };
  startToken: string;
  createdAt: string;
  updatedAt: string;
  /** Only in the answer to `create` with a webhook: the signing secret, shown this once. */
  webhookSecret?: string;
}

export function subscriptionsClient(baseUrl: string, credentials: Credentials) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(new URL(path, baseUrl), {
      method,
      headers: {
        authorization: basicAuthorization(credentials),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new FeedError(
        'FEED_PROTOCOL',
        `${method} ${path} answered ${res.status} without JSON`,
        undefined,
        res.status,
      );
    }
    if (!res.ok) {
      const problem = json as { code?: string; detail?: string; title?: string };
      throw new FeedError('FEED_REFUSED', problem.detail ?? problem.title ?? text, problem.code, res.status);
    }
    return json as T;
  }
  const one = (id: string) => `/v1/subscriptions/${encodeURIComponent(id)}`;
  return {
    create: (body: { name: string; filter?: SubscriptionFilter; webhookUrl?: string }) =>
      call<Subscription>('POST', '/v1/subscriptions', body),
    list: () => call<{ items: Subscription[] }>('GET', '/v1/subscriptions').then((r) => r.items),
    get: (id: string) => call<Subscription>('GET', one(id)),
    pause: (id: string) => call<Subscription>('POST', `${one(id)}/pause`),
    resume: (id: string) => call<Subscription>('POST', `${one(id)}/resume`),
    delete: (id: string) => call<void>('DELETE', one(id)),
  };
}
