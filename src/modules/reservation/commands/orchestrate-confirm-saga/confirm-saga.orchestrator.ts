import { randomUUID } from 'node:crypto';
import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../../platform/bus/outbox';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../../platform/db/module-database';
import type { Logger } from '../../../../platform/logging/logger';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import {
  type ConfirmReservationCommand,
  type ConfirmSaga,
  type ConfirmSagaEvent,
  decide,
  evolve,
  type SagaMessage,
  type SagaOutput,
} from '../../domain/confirm-saga';
import { confirmedAnnouncement } from '../../domain/reservation.aggregate';
import { ConfirmSagaRepository, type StoredSaga } from '../../infrastructure/confirm-saga.repository';
import { ConcurrencyError, rerunOnConcurrentAppend, withConcurrencyRetry } from '../../infrastructure/optimistic-concurrency';
import { ReservationRepository } from '../../infrastructure/reservation.repository';
import { ReservationLifecycle } from '../../infrastructure/reservation-lifecycle';
import { ReservationErrors } from '../../reservation.errors';

/**
 * Drives the confirm saga (domain/confirm-saga.ts decides): for each message it loads the saga,
 * decides, evolves, stores the new state and publishes what the decision sends, all in one
 * transaction, so a restart resumes from the stored state and its timers (`retry_at_ms`, the
 * `saga-deadlines` job) stay durable. The CONFIRM step runs on the reservation's stream in that
 * same transaction; its outcome is decided on at once.
 */
@injectable()
export class ConfirmSagaOrchestrator {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(ConfirmSagaRepository) private readonly sagas: ConfirmSagaRepository,
    @inject(ReservationRepository) private readonly reservations: ReservationRepository,
    @inject(ReservationLifecycle) private readonly lifecycle: ReservationLifecycle,
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
        if (!reservation || reservation.state.userId !== userId) throw ReservationErrors.notPayable(`You have no reservation ${reservationId}.`);
        const active = await this.sagas.findActive(trx, reservationId);
        if (active) {
          await onStarted?.(trx, active);
          return active;
        }
        reservation.checkPayable(now);
        const s = reservation.state;
        const saga = await this.advance(
          trx,
          null,
          { type: 'ConfirmRequested', sagaId: randomUUID(), reservationId, userId, amount: s.price, holdExpiresAtMs: s.expiresAtMs },
          now,
        );
        if (!saga) throw new Error(`The saga for reservation ${reservationId} did not start`);
        await onStarted?.(trx, saga);
        return saga;
      }),
    );
  }

  /**
   * A reply of the payment module for saga `sagaId`, in the transaction of its inbox; a concurrent
   * change of the saga or of its reservation runs the delivery again on the new state.
   */
  async handle(trx: Transaction, sagaId: string, message: SagaMessage): Promise<void> {
    await rerunOnConcurrentAppend(async () => this.advance(trx, await this.sagas.load(trx, sagaId), message, this.clock.now()));
  }

  /**
   * Wakes, in one transaction, up to `limit` sagas whose timer has come: an unanswered PAY or
   * REFUND is asked again (the payment module answers a repeated command once), a PAY past its
   * deadline times out. Returns how many it woke.
   */
  wakeDue(limit: number): Promise<number> {
    return withConcurrencyRetry(() =>
      this.db.transaction(async (trx) => {
        const now = this.clock.now();
        const due = await this.sagas.due(trx, now, limit);
        for (const stored of due) await this.advance(trx, stored, { type: 'TimerDue' }, now);
        return due.length;
      }),
    );
  }

  /** Load (done by the caller), decide, evolve; then store the new state and publish, in `trx`. */
  private async advance(trx: Transaction, stored: StoredSaga | null, message: SagaMessage, nowMs: number): Promise<ConfirmSaga | null> {
    let saga = stored?.saga ?? null;
    const recorded: ConfirmSagaEvent[] = [];
    const sends: SagaOutput[] = [];
    let next: SagaMessage | null = message;
    while (next) {
      const decision = decide(saga, next, nowMs);
      for (const event of decision.events) saga = evolve(saga, event);
      recorded.push(...decision.events);
      sends.push(...decision.send);
      if (decision.warning) this.logger.warn({ sagaId: decision.warning.sagaId, paymentId: decision.warning.paymentId }, decision.warning.message);
      next = decision.confirm ? await this.confirmReservation(trx, decision.confirm, nowMs) : null;
    }
    if (saga && recorded.length > 0) {
      if (stored) await this.sagas.update(trx, saga, stored.version);
      // Another process started one for this reservation at the same instant: retrying joins it.
      else if (!(await this.sagas.insert(trx, saga))) throw new ConcurrencyError(saga.reservationId, 0);
    }
    // The decider built each payload for its type; the union only loses that pairing here.
    for (const m of sends) await this.outbox.publish(trx, m.type, m.aggregateId, m.payload as never);
    return saga;
  }

  /** The CONFIRM step: apply the payment to the reservation, and tell the saga how it went. */
  private async confirmReservation(trx: Transaction, command: ConfirmReservationCommand, nowMs: number): Promise<SagaMessage> {
    const reservation = await this.reservations.load(trx, command.reservationId);
    if (!reservation) return { type: 'ReservationNotConfirmed', reason: 'UNKNOWN_RESERVATION' };
    const { paymentId, userId, amount, sagaId, paidAtMs } = command;
    const outcome = await this.lifecycle.applyPayment(trx, reservation, { paymentId, userId, amount, sagaId, paidAtMs }, nowMs);
    switch (outcome.kind) {
      case 'confirmed':
        return { type: 'ReservationConfirmed', announcement: confirmedAnnouncement(reservation) };
      case 'duplicate':
        return { type: 'ReservationConfirmed', announcement: null };
      case 'failed':
        return { type: 'ReservationNotConfirmed', reason: outcome.reason };
      case 'already-failed':
        return { type: 'ReservationNotConfirmed', reason: 'CONFIRMATION_REFUSED' };
    }
  }
}
