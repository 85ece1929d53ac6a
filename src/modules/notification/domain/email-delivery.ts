import type { EmailState } from './notification';

/** The state a new notification's e-mail starts in. */
export const initialEmailState = (mailConfigured: boolean): EmailState => (mailConfigured ? 'PENDING' : 'DISABLED');

/** What became of one attempt to hand a message to the mail server. */
export type SendOutcome =
  | { kind: 'sent' }
  /** `retryable` is false when the server refused this message for good (a 5xx reply). */
  | { kind: 'failed'; retryable: boolean; error: string }
  /** The circuit is open: nothing was sent, the attempt does not count. */
  | { kind: 'not-sent' };

export type EmailResult =
  | { id: number; status: 'SENT' }
  | { id: number; status: 'PENDING' | 'FAILED'; attempts: number; nextAttemptAtMs: number | null; error: string };

export interface EmailRetryPolicy {
  maxAttempts: number;
  backoffMs(attempts: number): number;
}

/**
 * Where an e-mail goes after an attempt: SENT; PENDING again after a backoff while attempts are
 * left; FAILED once they are used up or the server refused the message itself.
 */
export function afterSend(
  id: number,
  attemptsBefore: number,
  outcome: Exclude<SendOutcome, { kind: 'not-sent' }>,
  nowMs: number,
  policy: EmailRetryPolicy,
): EmailResult {
  if (outcome.kind === 'sent') return { id, status: 'SENT' };
  const attempts = attemptsBefore + 1;
  if (!outcome.retryable || attempts >= policy.maxAttempts) return { id, status: 'FAILED', attempts, nextAttemptAtMs: null, error: outcome.error };
  return { id, status: 'PENDING', attempts, nextAttemptAtMs: nowMs + policy.backoffMs(attempts), error: outcome.error };
}

/**
 * A notification whose recipient this module has not heard of yet (its registration event is on
 * its way): the e-mail waits without spending an attempt, until `giveUpAfterMs` after it was made.
 */
export function recipientUnknown(id: number, attempts: number, createdAtMs: number, nowMs: number, waitMs: number, giveUpAfterMs: number): EmailResult {
  if (nowMs - createdAtMs >= giveUpAfterMs)
    return { id, status: 'FAILED', attempts, nextAttemptAtMs: null, error: 'recipient unknown: no e-mail address for this user' };
  return { id, status: 'PENDING', attempts, nextAttemptAtMs: nowMs + waitMs, error: 'recipient unknown yet' };
}
