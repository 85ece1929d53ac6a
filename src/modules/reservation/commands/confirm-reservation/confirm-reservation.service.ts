import { inject, injectable } from 'inversify';
import type { Changes } from '../../../../platform/bus/changes';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import type { DomainError } from '../../../../platform/domain/domain-error';
import type { IdempotentCall } from '../../../../platform/idempotency/idempotency-store';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { type ConfirmSaga, type SagaView, sagaView } from '../../domain/confirm-saga';
import type { ReservationView } from '../../domain/reservation.view';
import { ConfirmSagaRepository } from '../../infrastructure/confirm-saga.repository';
import { ReservationRepository, viewFromRow } from '../../infrastructure/reservation.repository';
import { ReservationErrors } from '../../reservation.errors';
import { ConfirmSagaOrchestrator } from '../orchestrate-confirm-saga/confirm-saga.orchestrator';

/** How a confirmation went, as far as the wait saw it. */
export type ConfirmResult =
  /** Paid and confirmed. */
  | { kind: 'completed'; reservation: ReservationView | null; saga: SagaView }
  /** Still waiting for the payment: the saga goes on. */
  | { kind: 'running'; saga: SagaView }
  /** Refused (nothing debited), or paid but not confirmable (the payment is refunded). */
  | { kind: 'failed'; error: DomainError };

/** `POST /ticketing/reservations/confirm`: runs the orchestrated saga and waits a few seconds for its outcome. */
@injectable()
export class ConfirmReservationService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Changes) private readonly changes: Changes,
    @inject(ConfirmSagaOrchestrator) private readonly orchestrator: ConfirmSagaOrchestrator,
    @inject(ConfirmSagaRepository) private readonly sagas: ConfirmSagaRepository,
    @inject(ReservationRepository) private readonly reservations: ReservationRepository,
  ) {}

  /**
   * With an Idempotency-Key, the saga's id is recorded for the key in the transaction that starts
   * it: a repeat (even after a crash) waits for that saga instead of starting anything.
   */
  /** The concert of the caller's reservation (null: not theirs, or none), whose waiting room's pass may pay for it. */
  async concertOf(userId: number, reservationId: number): Promise<number | null> {
    const row = await this.reservations.findRow(this.db.direct, reservationId);
    return row && row.user_id === userId ? row.concert_id : null;
  }

  async confirm(userId: number, reservationId: number, waitMs: number, idempotency?: Pick<IdempotentCall, 'resumeRef' | 'attach'>): Promise<ConfirmResult> {
    const earlier = idempotency?.resumeRef ? await this.sagas.find(this.db.direct, idempotency.resumeRef) : null;
    const started = earlier ?? (await this.orchestrator.start(userId, reservationId, idempotency && ((trx, saga) => idempotency.attach(trx, saga.id))));
    const saga = (await this.awaitOutcome(started.id, waitMs)) ?? started;
    const brief = { id: saga.id, status: saga.status };
    switch (saga.status) {
      case 'COMPLETED': {
        const row = await this.reservations.findRow(this.db.direct, reservationId);
        return { kind: 'completed', reservation: row ? viewFromRow(row, this.clock.now()) : null, saga: sagaView(saga) };
      }
      case 'RUNNING':
        return { kind: 'running', saga: sagaView(saga) };
      case 'FAILED':
        if (saga.failureCode === 'INSUFFICIENT_BALANCE') {
          return {
            kind: 'failed',
            error: ReservationErrors.insufficientBalance(saga.failureDetail ?? 'Not enough points for this reservation.', { saga: brief }),
          };
        }
        return { kind: 'failed', error: ReservationErrors.notPayable(saga.failureDetail ?? `Reservation ${reservationId} cannot be paid.`, { saga: brief }) };
      default:
        // Paid, but the confirmation failed (e.g. the hold ran out meanwhile): the payment is refunded.
        return {
          kind: 'failed',
          error: ReservationErrors.notPayable(
            `Reservation ${reservationId} could not be confirmed (${saga.failureDetail ?? 'unknown reason'}); the payment is refunded.`,
            { saga: brief },
          ),
        };
    }
  }

  /** The saga once it has left RUNNING, or as it is after `waitMs` of real time. */
  private async awaitOutcome(sagaId: string, waitMs: number): Promise<ConfirmSaga | null> {
    const saga = await this.sagas.find(this.db.direct, sagaId);
    if (saga?.status !== 'RUNNING') return saga;
    // Its replies and steps are events of its reservation: each wakes the wait (the poll catches a deadline passing).
    const ended = await this.changes.waitUntil(
      'reservation',
      saga.reservationId,
      async () => {
        const now = await this.sagas.find(this.db.direct, sagaId);
        return now && now.status !== 'RUNNING' ? now : null;
      },
      { timeoutMs: waitMs, pollMs: 100 },
    );
    return ended ?? (await this.sagas.find(this.db.direct, sagaId));
  }
}
