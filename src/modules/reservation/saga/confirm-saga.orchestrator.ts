import { randomUUID } from 'node:crypto';
import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { Changes } from '../../../platform/bus/changes';
import type { Outbox } from '../../../platform/bus/outbox';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { AppError } from '../../../platform/http/app-error';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { ReservationLifecycle } from '../application/reservation-lifecycle';
import { iso } from '../domain/reservation.aggregate';
import { ConcurrencyError, withConcurrencyRetry } from '../infrastructure/optimistic-concurrency';
import type { ReservationRepository } from '../infrastructure/reservation.repository';
import { RESERVATION } from '../reservation.di-tokens';
import { PAY_RESEND_MS, PAY_STEP_TIMEOUT_MS, record, refundResendDelayMs, type ConfirmSaga } from './confirm-saga';
import type { ConfirmSagaRepository } from './confirm-saga.repository';

export const notPayable = (detail: string, extra: Record<string, unknown> = {}) => new AppError(409, 'RESERVATION_NOT_PAYABLE', 'Reservation not payable', detail, extra);

const DUE_BATCH = 100;

/**
 * The orchestrated confirm saga (seed §3.2.2). Steps: PAY (a `payment.requested` command to the
 * payment module, answered by `payment.success` / `payment.failed` with the saga id), CONFIRM
 * (append to the reservation's stream), NOTIFY (`reservation.success`). If CONFIRM fails after
 * PAY, the completed PAY is compensated with `payment.refund-requested` until
 * `payment.cancelled` answers. Every transition is persisted in the same transaction as its
 * effects and messages, so a restart resumes from the saved step; the deadline job resends
 * unanswered commands and times out a PAY step that gets no reply.
 */
@injectable()
export class ConfirmSagaOrchestrator {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(PLATFORM.Changes) private readonly changes: Changes,
    @inject(RESERVATION.SagaRepository) private readonly sagas: ConfirmSagaRepository,
    @inject(RESERVATION.Repository) private readonly reservations: ReservationRepository,
    @inject(RESERVATION.Lifecycle) private readonly lifecycle: ReservationLifecycle,
  ) {}

  /**
   * Starts a saga for a live hold of the caller's, or joins the one already in flight for it.
   * `onStarted` runs in the transaction that starts (or joins) it, so what it records commits with it.
   */
  start(userId: number, reservationId: number, onStarted?: (trx: Transaction, saga: ConfirmSaga) => Promise<void>): Promise<ConfirmSaga> {
    return withConcurrencyRetry(() =>
      this.db.transaction(async (trx) => {
        const now = this.clock.now();
        const reservation = await this.reservations.load(trx, reservationId);
        if (!reservation || reservation.state.userId !== userId) throw notPayable(`You have no reservation ${reservationId}.`);
        const active = await this.sagas.findActive(trx, reservationId);
        if (active) {
          await onStarted?.(trx, active);
          return active;
        }
        if (!reservation.isLiveHold(now)) throw notPayable(`Reservation ${reservationId} is ${reservation.effectiveStatus(now)}.`, { reservationStatus: reservation.effectiveStatus(now) });
        const deadline = Math.min(now + PAY_STEP_TIMEOUT_MS, reservation.state.expiresAtMs);
        const saga: ConfirmSaga = {
          id: randomUUID(),
          reservationId,
          userId,
          amount: reservation.state.price,
          status: 'RUNNING',
          step: 'PAY',
          steps: [],
          paymentId: null,
          failureCode: null,
          failureDetail: null,
          deadlineAtMs: deadline,
          retryAtMs: Math.min(now + PAY_RESEND_MS, deadline),
          attempts: 1,
          createdAtMs: now,
          updatedAtMs: now,
          version: 1,
        };
        record(saga, 'PAY', 'STARTED', now);
        // Another process started one at the same instant: retrying joins it.
        if (!(await this.sagas.insert(trx, saga))) throw new ConcurrencyError(reservationId, 0);
        await this.requestPayment(trx, saga);
        await onStarted?.(trx, saga);
        return saga;
      }),
    );
  }

  /** The saga once it has left RUNNING, or as it is after `waitMs` of real time. */
  async awaitOutcome(sagaId: string, waitMs: number): Promise<ConfirmSaga | null> {
    const saga = await this.sagas.find(sagaId);
    if (!saga || saga.status !== 'RUNNING') return saga;
    // Its replies and steps are events of its reservation: each wakes the wait (the poll catches a deadline passing).
    const ended = await this.changes.waitUntil('reservation', saga.reservationId, async () => {
      const now = await this.sagas.find(sagaId);
      return now && now.status !== 'RUNNING' ? now : null;
    }, { timeoutMs: waitMs, pollMs: 100 });
    return ended ?? (await this.sagas.find(sagaId));
  }

  async find(sagaId: string): Promise<ConfirmSaga | null> {
    return this.sagas.find(sagaId);
  }

  /** PAY answered with success → CONFIRM → NOTIFY, or compensate if the confirmation fails. */
  async onPaymentSucceeded(event: EventEnvelope<'payment.success'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    if (p.sagaId === null) return;
    const now = this.clock.now();
    const saga = await this.sagas.find(p.sagaId, trx);
    if (!saga) {
      this.logger.warn({ sagaId: p.sagaId, paymentId: p.paymentId }, 'payment for an unknown saga: refunding it');
      await this.outbox.publish(trx, 'payment.refund-requested', p.reservationId, { sagaId: p.sagaId, paymentId: p.paymentId, reservationId: p.reservationId, userId: p.userId, reason: 'UNKNOWN_SAGA' });
      return;
    }
    if (saga.paymentId !== null) {
      if (saga.paymentId !== p.paymentId) {
        this.logger.warn({ sagaId: saga.id, paymentId: p.paymentId }, 'second payment for one saga: refunding it');
        await this.outbox.publish(trx, 'payment.refund-requested', saga.reservationId, { sagaId: saga.id, paymentId: p.paymentId, reservationId: saga.reservationId, userId: p.userId, reason: 'DUPLICATE_PAYMENT' });
      }
      return;
    }
    saga.paymentId = p.paymentId;
    saga.updatedAtMs = now;
    if (saga.status !== 'RUNNING' || saga.step !== 'PAY') {
      // The saga gave up (timed out) before this payment arrived: give the money back.
      record(saga, 'PAY', 'DONE', now, `payment ${p.paymentId} arrived after the saga ended`);
      await this.compensate(trx, saga, now, 'PAYMENT_AFTER_SAGA_ENDED');
      await this.sagas.update(trx, saga);
      return;
    }
    record(saga, 'PAY', 'DONE', now, `payment ${p.paymentId}`);
    const reservation = await this.reservations.load(trx, saga.reservationId);
    const outcome = reservation
      ? await this.lifecycle.applyPayment(trx, reservation, { paymentId: p.paymentId, userId: p.userId, amount: p.amount, sagaId: saga.id }, now)
      : ({ kind: 'failed', reason: 'UNKNOWN_RESERVATION' } as const);
    if (reservation && (outcome.kind === 'confirmed' || outcome.kind === 'duplicate')) {
      record(saga, 'CONFIRM', 'DONE', now);
      if (outcome.kind === 'confirmed') await this.lifecycle.publishSuccess(trx, reservation);
      record(saga, 'NOTIFY', 'DONE', now);
      saga.status = 'COMPLETED';
      saga.step = null;
      saga.deadlineAtMs = null;
      saga.retryAtMs = null;
    } else {
      const reason = outcome.kind === 'failed' ? outcome.reason : 'CONFIRMATION_REFUSED';
      record(saga, 'CONFIRM', 'FAILED', now, reason);
      saga.failureCode = 'CONFIRMATION_FAILED';
      saga.failureDetail = reason;
      await this.compensate(trx, saga, now, reason);
    }
    await this.sagas.update(trx, saga);
  }

  /** PAY answered with a refusal: the saga fails; nothing was done, so nothing to compensate. */
  async onPaymentFailed(event: EventEnvelope<'payment.failed'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    if (p.sagaId === null) return;
    const saga = await this.sagas.find(p.sagaId, trx);
    if (!saga || saga.status !== 'RUNNING' || saga.step !== 'PAY') return;
    const now = this.clock.now();
    record(saga, 'PAY', 'FAILED', now, p.detail);
    saga.status = 'FAILED';
    saga.step = null;
    saga.failureCode = p.reason;
    saga.failureDetail = p.detail;
    saga.deadlineAtMs = null;
    saga.retryAtMs = null;
    saga.updatedAtMs = now;
    await this.sagas.update(trx, saga);
  }

  /** REFUND answered: the compensation is complete. */
  async onPaymentCancelled(event: EventEnvelope<'payment.cancelled'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    if (p.sagaId === null) return;
    const saga = await this.sagas.find(p.sagaId, trx);
    if (!saga || saga.status !== 'COMPENSATING' || saga.step !== 'REFUND' || saga.paymentId !== p.paymentId) return;
    const now = this.clock.now();
    record(saga, 'REFUND', 'DONE', now, `payment ${p.paymentId} refunded`);
    saga.status = 'COMPENSATED';
    saga.step = null;
    saga.deadlineAtMs = null;
    saga.retryAtMs = null;
    saga.updatedAtMs = now;
    await this.sagas.update(trx, saga);
  }

  /**
   * The deadline job: a PAY step past its deadline times out (FAILED; a payment arriving later
   * is refunded); an unanswered PAY or REFUND command is sent again (the payment module
   * answers a repeated command once). Returns how many sagas it moved.
   */
  async runDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await withConcurrencyRetry(() =>
        this.db.transaction(async (trx) => {
          const now = this.clock.now();
          const due = await this.sagas.due(trx, now, DUE_BATCH);
          for (const saga of due) {
            saga.updatedAtMs = now;
            if (saga.status === 'RUNNING' && saga.step === 'PAY') {
              if (saga.deadlineAtMs !== null && now >= saga.deadlineAtMs) {
                record(saga, 'PAY', 'TIMED_OUT', now, 'No reply from the payment module before the deadline.');
                saga.status = 'FAILED';
                saga.step = null;
                saga.failureCode = 'TIMEOUT';
                saga.failureDetail = 'The payment did not answer in time; the hold is unchanged.';
                saga.retryAtMs = null;
              } else {
                saga.attempts += 1;
                saga.retryAtMs = Math.min(now + PAY_RESEND_MS, saga.deadlineAtMs ?? now + PAY_RESEND_MS);
                await this.requestPayment(trx, saga);
              }
            } else if (saga.status === 'COMPENSATING' && saga.step === 'REFUND') {
              saga.attempts += 1;
              saga.retryAtMs = saga.deadlineAtMs = now + refundResendDelayMs(saga.attempts);
              await this.requestRefund(trx, saga, saga.failureDetail ?? 'COMPENSATION');
            } else {
              saga.retryAtMs = null;
            }
            await this.sagas.update(trx, saga);
          }
          return due.length;
        }),
      );
      total += n;
      if (n < DUE_BATCH) return total;
    }
  }

  private async compensate(trx: Transaction, saga: ConfirmSaga, nowMs: number, reason: string): Promise<void> {
    saga.status = 'COMPENSATING';
    saga.step = 'REFUND';
    saga.attempts = 1;
    saga.retryAtMs = saga.deadlineAtMs = nowMs + refundResendDelayMs(1);
    record(saga, 'REFUND', 'STARTED', nowMs, reason);
    await this.requestRefund(trx, saga, reason);
  }

  private async requestPayment(trx: Transaction, saga: ConfirmSaga): Promise<void> {
    await this.outbox.publish(trx, 'payment.requested', saga.reservationId, {
      sagaId: saga.id,
      reservationId: saga.reservationId,
      userId: saga.userId,
      amount: saga.amount,
      expiresAt: iso(saga.deadlineAtMs ?? this.clock.now()),
    });
  }

  private async requestRefund(trx: Transaction, saga: ConfirmSaga, reason: string): Promise<void> {
    if (saga.paymentId === null) throw new Error(`Saga ${saga.id} has no payment to refund`);
    await this.outbox.publish(trx, 'payment.refund-requested', saga.reservationId, { sagaId: saga.id, paymentId: saga.paymentId, reservationId: saga.reservationId, userId: saga.userId, reason });
  }
}
