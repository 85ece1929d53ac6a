import { inject, injectable } from 'inversify';
import type { Changes } from '../../../../platform/bus/changes';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../../platform/db/module-database';
import type { DomainError } from '../../../../platform/domain/domain-error';
import type { IdempotencyScope } from '../../../../platform/idempotency/idempotency-store';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { notPayable, type PayOutcome } from '../../domain/payment';
import { payabilityFor } from '../../domain/reservation-copy';
import { ReservationCopyRepository } from '../../infrastructure/reservation-copy.repository';
import { PaymentErrors } from '../../payment.errors';
import type { PaymentSettings } from '../../payment.settings';
import { PayReservation } from '../pay-reservation/pay-reservation.service';

export interface ProcessPaymentResult {
  paymentId: number;
  reservationId: number;
  amount: number;
  status: 'PAID';
  balance: number;
}

type Attempt = { kind: 'unknown' } | { kind: 'done'; outcome: PayOutcome };

/**
 * `POST /payments/process` (choreography): checks the reservation against the module's own copy
 * and pays it, in one transaction. If the hold event has not arrived yet, waits for it briefly.
 */
@injectable()
export class ProcessPaymentService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Settings) private readonly settings: PaymentSettings,
    @inject(PLATFORM.Changes) private readonly changes: Changes,
    @inject(ReservationCopyRepository) private readonly copies: ReservationCopyRepository,
    @inject(PayReservation) private readonly payReservation: PayReservation,
  ) {}

  /**
   * The concert of the caller's reservation, whose waiting room's pass may pay for it (null: not
   * theirs, or its hold never arrived). Waits for the hold's copy as the payment does: checked
   * before the copy came, any pass would open any concert's hold.
   */
  async concertOf(userId: number, reservationId: number): Promise<number | null> {
    await this.holdArrived(userId, reservationId);
    return this.copies.concertOf(this.db.direct, reservationId, userId);
  }

  async process(userId: number, reservationId: number, scope?: IdempotencyScope<ProcessPaymentResult>): Promise<ProcessPaymentResult> {
    await this.holdArrived(userId, reservationId);
    // The answer, refusals included, is stored for the key in the transaction that pays.
    const answer = await this.db.transaction(async (trx): Promise<{ result: ProcessPaymentResult } | { error: DomainError }> => {
      const attempt = await this.tryPay(trx, userId, reservationId);
      const answered = toAnswer(attempt, reservationId);
      if ('result' in answered) await scope?.complete(trx, answered.result);
      else await scope?.refuse(trx, answered.error);
      return answered;
    });
    if ('error' in answer) throw answer.error;
    return answer.result;
  }

  /**
   * A payment sent right after the hold usually arrives before the hold event has reached this
   * module (98 % of them in the bench's journey): wait for it first, rather than spend a
   * transaction finding nothing. Someone else's reservation waits the same way as an unknown one
   * (for a hold of *this* user's), so how long the answer takes tells nothing about it.
   */
  private async holdArrived(userId: number, reservationId: number): Promise<void> {
    await this.changes.waitUntil('payment', reservationId, async () => (await this.copies.ownedBy(this.db.direct, reservationId, userId)) || null, {
      timeoutMs: this.settings.holdWaitMs,
    });
  }

  private async tryPay(trx: Transaction, userId: number, reservationId: number): Promise<Attempt> {
    const payability = payabilityFor(await this.copies.find(trx, reservationId), userId, reservationId, this.clock.now());
    switch (payability.kind) {
      case 'unknown':
        return { kind: 'unknown' };
      case 'not-payable':
        return { kind: 'done', outcome: notPayable(payability.detail) };
      default:
        return { kind: 'done', outcome: await this.payReservation.pay(trx, { reservationId, userId, amount: payability.amount, sagaId: null }) };
    }
  }
}

function toAnswer(attempt: Attempt, reservationId: number): { result: ProcessPaymentResult } | { error: DomainError } {
  if (attempt.kind === 'unknown') return { error: PaymentErrors.notPayable(`Reservation ${reservationId} is not a hold of yours.`) };
  const outcome = attempt.outcome;
  if (outcome.ok) return { result: { paymentId: outcome.paymentId, reservationId, amount: outcome.amount, status: 'PAID', balance: outcome.balance } };
  if (outcome.reason === 'INSUFFICIENT_BALANCE') return { error: PaymentErrors.insufficientBalance(outcome.balance, outcome.amount) };
  return { error: PaymentErrors.notPayable(outcome.detail) };
}
