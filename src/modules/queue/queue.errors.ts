import { DomainError } from '../../platform/domain/domain-error';

/** The queue module's refusals, by stable code. Routes map them to HTTP statuses. */
export const QueueErrors = {
  /** An unknown token and someone else's answer the same: nothing tells which. */
  tokenNotFound: () => new DomainError('QUEUE_TOKEN_NOT_FOUND', 'Queue token not found', 'No queue token of yours matches X-Queue-Token.'),
  /** A status poll much sooner than the last answer advised (`pollAfterSeconds`); `retryAfterSeconds` also becomes `Retry-After`. */
  pollingTooFast: (retryAfterSeconds: number, advisedPollMs: number) =>
    new DomainError('RATE_LIMITED', 'Too many requests', `Polling faster than advised: poll every ${advisedPollMs / 1000} s (pollAfterSeconds).`, {
      retryAfterSeconds,
    }),
};
