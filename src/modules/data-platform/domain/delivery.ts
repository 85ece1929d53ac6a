import type { DeliveryState, ReservationRecord } from './reservation-record';

/** The states the delivery job still works on: PENDING ones, and the slow retries of FAILED ones. */
export const UNDELIVERED_STATES = ['PENDING', 'FAILED'] as const satisfies readonly DeliveryState[];

export const awaitsDelivery = (state: DeliveryState): boolean => (UNDELIVERED_STATES as readonly DeliveryState[]).includes(state);

/** The state a new record starts in: without a sink there is nothing to deliver it to (yet). */
export function initialDelivery(sinkConfigured: boolean): 'PENDING' | 'DISABLED' {
  return sinkConfigured ? 'PENDING' : 'DISABLED';
}

/** What became of one POST that was made. `retryable` is false when the sink refused the record itself. */
export type PostOutcome = { kind: 'delivered' } | { kind: 'failed'; retryable: boolean; error: string };

/** What a batch writes back for one record. */
export type DeliveryResult =
  | { reservationId: number; outcome: 'DELIVERED' }
  | { reservationId: number; outcome: 'PENDING' | 'FAILED'; nextAttemptAtMs: number; error: string };

export interface RetryPolicy {
  /** Fast retries before a record is FAILED. */
  maxAttempts: number;
  /** Delay before the next fast retry, after `attempts` failed ones (exponential backoff with jitter). */
  backoffMs(attempts: number): number;
  /** Pace of the slow retries of a FAILED record (± 25 % jitter). */
  failedRetryMs: number;
  random?: () => number;
}

/**
 * Where a record goes after a POST: DELIVERED; or, after a failure, PENDING again with a backoff,
 * or FAILED (retried slowly) once the fast retries are used up, the sink refused it, or it was
 * FAILED already.
 */
export function afterPost(record: ReservationRecord, outcome: PostOutcome, nowMs: number, policy: RetryPolicy): DeliveryResult {
  if (outcome.kind === 'delivered') return { reservationId: record.reservationId, outcome: 'DELIVERED' };
  const attempts = record.deliveryAttempts + 1;
  const exhausted = !outcome.retryable || attempts >= policy.maxAttempts || record.delivery === 'FAILED';
  if (exhausted) {
    const random = policy.random ?? Math.random;
    return {
      reservationId: record.reservationId,
      outcome: 'FAILED',
      error: outcome.error,
      nextAttemptAtMs: nowMs + Math.round(policy.failedRetryMs * (0.75 + random() * 0.5)),
    };
  }
  return { reservationId: record.reservationId, outcome: 'PENDING', error: outcome.error, nextAttemptAtMs: nowMs + policy.backoffMs(attempts) };
}
