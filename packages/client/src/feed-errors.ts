/** Why a subscription call or stream was refused; the node's problem code where it sent one. */
export type FeedErrorCode =
  /** The node answered with a problem (its `code`, e.g. SUBSCRIPTION_PAUSED, BAD_RESUME_TOKEN, INTEGRATOR_UNAUTHORIZED). */
  | 'FEED_REFUSED'
  /** The node answered something that is not a subscription's feed (not SSE, a broken frame, a gRPC message unread). */
  | 'FEED_PROTOCOL'
  /** The node could not be reached (and `reconnect` was off). */
  | 'FEED_UNREACHABLE';

export class FeedError extends Error {
  readonly code: FeedErrorCode;
  /** The problem's code when the node gave one (`FEED_REFUSED`), e.g. `SUBSCRIPTION_PAUSED`. */
  readonly problem: string | undefined;
  /** The HTTP status, or the gRPC status code. */
  readonly status: number | undefined;
  constructor(code: FeedErrorCode, message: string, problem?: string, status?: number) {
    super(`${code}${problem ? ` ${problem}` : ''}: ${message}`);
    this.name = 'FeedError';
    this.code = code;
    this.problem = problem;
    this.status = status;
  }
}
