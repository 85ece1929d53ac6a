import { expect } from 'chai';
import { afterPost, awaitsDelivery, initialDelivery, type RetryPolicy } from '../../src/modules/data-platform/domain/delivery';
import type { ReservationRecord } from '../../src/modules/data-platform/domain/reservation-record';

function record(overrides: Partial<ReservationRecord> = {}): ReservationRecord {
  return {
    reservationId: 1,
    userId: 7,
    concertId: 1,
    scheduleId: 10,
    seatId: 1001,
    seatLabel: 'A-1',
    amount: 50_000,
    paymentId: 5001,
    confirmedAtMs: 0,
    receivedAtMs: 0,
    status: 'CONFIRMED',
    cancelledAtMs: null,
    delivery: 'PENDING',
    deliveryAttempts: 0,
    nextAttemptAtMs: 0,
    lastDeliveryError: null,
    deliveredAtMs: null,
    concertTitle: null,
    artist: null,
    venue: null,
    startsAt: null,
    ...overrides,
  };
}

const NOW = 1_000_000;
const policy: RetryPolicy = { maxAttempts: 3, failedRetryMs: 600_000, backoffMs: (attempts) => attempts * 1000, random: () => 0.5 };
const failure = { kind: 'failed', retryable: true, error: 'the sink answered HTTP 503' } as const;
const refusal = { kind: 'failed', retryable: false, error: 'the sink answered HTTP 400' } as const;

describe('data platform: delivery of a record (domain)', () => {
  it('starts PENDING with a sink and DISABLED without one', () => {
    expect(initialDelivery(true)).to.equal('PENDING');
    expect(initialDelivery(false)).to.equal('DISABLED');
  });

  it('only PENDING and FAILED records await delivery', () => {
    expect(['PENDING', 'DELIVERED', 'FAILED', 'DISABLED'].filter((s) => awaitsDelivery(s as ReservationRecord['delivery']))).to.deep.equal([
      'PENDING',
      'FAILED',
    ]);
  });

  it('is DELIVERED once the sink took it', () => {
    expect(afterPost(record(), { kind: 'delivered' }, NOW, policy)).to.deep.equal({ reservationId: 1, outcome: 'DELIVERED' });
  });

  it('stays PENDING after a failure, with the backoff of its attempt count', () => {
    expect(afterPost(record({ deliveryAttempts: 1 }), failure, NOW, policy)).to.deep.equal({
      reservationId: 1,
      outcome: 'PENDING',
      error: failure.error,
      nextAttemptAtMs: NOW + 2000,
    });
  });

  it('is FAILED after the last fast retry, then retried slowly with jitter', () => {
    expect(afterPost(record({ deliveryAttempts: 2 }), failure, NOW, policy)).to.deep.equal({
      reservationId: 1,
      outcome: 'FAILED',
      error: failure.error,
      nextAttemptAtMs: NOW + 600_000,
    });
    const early = afterPost(record({ deliveryAttempts: 2 }), failure, NOW, { ...policy, random: () => 0 });
    const late = afterPost(record({ deliveryAttempts: 2 }), failure, NOW, { ...policy, random: () => 1 });
    expect(early).to.include({ nextAttemptAtMs: NOW + 450_000 });
    expect(late).to.include({ nextAttemptAtMs: NOW + 750_000 });
  });

  it('is FAILED at once when the sink refuses it, and stays FAILED on a failed slow retry', () => {
    expect(afterPost(record(), refusal, NOW, policy)).to.include({ outcome: 'FAILED' });
    expect(afterPost(record({ delivery: 'FAILED', deliveryAttempts: 12 }), failure, NOW, policy)).to.include({
      outcome: 'FAILED',
      nextAttemptAtMs: NOW + 600_000,
    });
  });
});
