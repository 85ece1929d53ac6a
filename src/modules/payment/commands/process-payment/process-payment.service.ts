import { inject, injectable } from 'inversify';
import type { Changes } from '../../../../platform/bus/changes';
import type { Clock } from '../../../../platform/clock/clock';
import type { AppConfig } from '../../../../platform/config/config';
import type { ModuleDatabase, Transaction } from '../../../../platform/db/module-database';
import type { AppError } from '../../../../platform/http/app-error';
import type { IdempotencyScope } from '../../../../platform/idempotency/idempotency-store';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import type { PayOutcome, PayReservation } from '../../payments/pay-reservation';
import { paymentErrors } from '../../payment.errors';
import { PAYMENT } from '../../payment.di-tokens';
import type { ReservationCopyRepository } from '../../reservation-copy/reservation-copy.repository';

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
    @inject(PLATFORM.Config) private readonly config: AppConfig,
    @inject(PLATFORM.Changes) private readonly changes: Changes,
    @inject(PAYMENT.ReservationCopies) private readonly copies: ReservationCopyRepository,
    @inject(PAYMENT.PayReservation) private readonly payReservation: PayReservation,
  ) {}

  async process(userId: number, reservationId: number, scope?: IdempotencyScope<ProcessPaymentResult>): Promise<ProcessPaymentResult> {
    // A payment sent right after the hold usually arrives before the hold event has reached this
    // module (98 % of them in the bench's journey): wait for it first, rather than spend a
    // transaction finding nothing. Someone else's reservation waits the same way as an unknown one
    // (for a hold of *this* user's), so how long the answer takes tells nothing about it.
    await this.changes.waitUntil('payment', reservationId, async () => (await this.copies.ownedBy(this.db.knex, reservationId, userId)) || null, { timeoutMs: this.config.paymentHoldWaitMs });
    // The answer, refusals included, is stored for the key in the transaction that pays.
    const answer = await this.db.transaction(async (trx): Promise<{ result: ProcessPaymentResult } | { error: AppError }> => {
      const attempt = await this.tryPay(trx, userId, reservationId);
      const answered = toAnswer(attempt, reservationId);
      if ('result' in answered) await scope?.complete(trx, answered.result);
      else await scope?.refuse(trx, answered.error);
      return answered;
    });
    if ('error' in answer) throw answer.error;
    return answer.result;
  }

  private async tryPay(trx: Transaction, userId: number, reservationId: number): Promise<Attempt> {
    const copy = await this.copies.find(trx, reservationId);
    // Someone else's reservation is answered like an unknown one: no hint that it exists.
    if (!copy || copy.userId !== userId) return { kind: 'unknown' };
    if (copy.status !== 'HELD' || copy.amount === null || copy.expiresAtMs === null) {
      return { kind: 'done', outcome: notPayable(`Reservation ${reservationId} is ${copy.status === 'HELD' ? 'not payable' : copy.status}.`) };
    }
    if (copy.expiresAtMs <= this.clock.now()) return { kind: 'done', outcome: notPayable(`The hold on reservation ${reservationId} has expired.`) };
    return { kind: 'done', outcome: await this.payReservation.pay(trx, { reservationId, userId, amount: copy.amount, sagaId: null }) };
  }
}

function toAnswer(attempt: Attempt, reservationId: number): { result: ProcessPaymentResult } | { error: AppError } {
  if (attempt.kind === 'unknown') return { error: paymentErrors.notPayable(`Reservation ${reservationId} is not a hold of yours.`) };
  const outcome = attempt.outcome;
  if (outcome.ok) return { result: { paymentId: outcome.paymentId, reservationId, amount: outcome.amount, status: 'PAID', balance: outcome.balance } };
  if (outcome.reason === 'INSUFFICIENT_BALANCE') return { error: paymentErrors.insufficientBalance(outcome.balance, outcome.amount) };
  return { error: paymentErrors.notPayable(outcome.detail) };
}

function notPayable(detail: string): PayOutcome {
  return { ok: false, reason: 'RESERVATION_NOT_PAYABLE', detail };
}
