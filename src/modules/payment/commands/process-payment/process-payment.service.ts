import { inject, injectable } from 'inversify';
import type { EventBus } from '../../../../platform/bus/event-bus';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import type { PayOutcome, PayReservation } from '../../payments/pay-reservation';
import { paymentErrors } from '../../payment.errors';
import { PAYMENT } from '../../payment.di-tokens';
import type { ReservationCopyRepository } from '../../reservation-copy/reservation-copy.repository';

/** How long a payment waits for the hold event it has not seen yet (event lag is not the client's problem). */
export const HOLD_EVENT_WAIT_MS = 2000;

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
    @inject(PLATFORM.EventBus) private readonly bus: EventBus,
    @inject(PAYMENT.ReservationCopies) private readonly copies: ReservationCopyRepository,
    @inject(PAYMENT.PayReservation) private readonly payReservation: PayReservation,
  ) {}

  async process(userId: number, reservationId: number): Promise<ProcessPaymentResult> {
    // A payment sent right after the hold usually arrives before the hold event has reached this
    // module (98 % of them in the bench's journey): wait for it first, rather than spend a
    // transaction finding nothing. The transaction decides on what it reads itself.
    if (!(await this.copies.exists(this.db.knex, reservationId))) await this.waitForHold(reservationId);
    const attempt = await this.db.transaction((trx) => this.tryPay(trx, userId, reservationId));
    if (attempt.kind === 'unknown') throw paymentErrors.notPayable(`Reservation ${reservationId} is not a hold of yours.`);
    const outcome = attempt.outcome;
    if (outcome.ok) return { paymentId: outcome.paymentId, reservationId, amount: outcome.amount, status: 'PAID', balance: outcome.balance };
    if (outcome.reason === 'INSUFFICIENT_BALANCE') throw paymentErrors.insufficientBalance(outcome.balance, outcome.amount);
    throw paymentErrors.notPayable(outcome.detail);
  }

  private async tryPay(trx: Transaction, userId: number, reservationId: number): Promise<Attempt> {
    const copy = await this.copies.find(trx, reservationId);
    if (!copy) return { kind: 'unknown' };
    // Someone else's reservation is answered like an unknown one: no hint that it exists.
    if (copy.userId !== userId) return { kind: 'done', outcome: notPayable(`Reservation ${reservationId} is not a hold of yours.`) };
    if (copy.status !== 'HELD' || copy.amount === null || copy.expiresAtMs === null) {
      return { kind: 'done', outcome: notPayable(`Reservation ${reservationId} is ${copy.status === 'HELD' ? 'not payable' : copy.status}.`) };
    }
    if (copy.expiresAtMs <= this.clock.now()) return { kind: 'done', outcome: notPayable(`The hold on reservation ${reservationId} has expired.`) };
    return { kind: 'done', outcome: await this.payReservation.pay(trx, { reservationId, userId, amount: copy.amount, sagaId: null }) };
  }

  private async waitForHold(reservationId: number): Promise<void> {
    const arrived = this.bus.waitForHandled('payment', 'reservation.held', (e) => e.payload.reservationId === reservationId, HOLD_EVENT_WAIT_MS);
    // It may have been handled between the check in process() and the wait starting.
    if (!(await this.copies.exists(this.db.knex, reservationId))) await arrived;
  }
}

function notPayable(detail: string): PayOutcome {
  return { ok: false, reason: 'RESERVATION_NOT_PAYABLE', detail };
}
