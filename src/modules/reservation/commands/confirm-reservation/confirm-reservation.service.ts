import { inject, injectable } from 'inversify';
import type { Clock } from '../../../../platform/clock/clock';
import { AppError } from '../../../../platform/http/app-error';
import type { HttpResult } from '../../../../platform/http/route';
import type { IdempotentCall } from '../../../../platform/idempotency/idempotency-store';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import type { ReservationRepository } from '../../infrastructure/reservation.repository';
import { RESERVATION } from '../../reservation.di-tokens';
import { viewFromRow } from '../../reservation.view';
import { sagaView } from '../../saga/confirm-saga';
import { notPayable, type ConfirmSagaOrchestrator } from '../../saga/confirm-saga.orchestrator';

/** `POST /ticketing/reservations/confirm`: runs the orchestrated saga and waits a few seconds for its outcome. */
@injectable()
export class ConfirmReservationService {
  constructor(
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(RESERVATION.ConfirmSaga) private readonly orchestrator: ConfirmSagaOrchestrator,
    @inject(RESERVATION.Repository) private readonly reservations: ReservationRepository,
  ) {}

  /**
   * With an Idempotency-Key, the saga's id is recorded for the key in the transaction that starts
   * it: a repeat (even after a crash) waits for that saga instead of starting anything.
   */
  async confirm(userId: number, reservationId: number, waitMs: number, idempotency?: IdempotentCall): Promise<HttpResult> {
    const earlier = idempotency?.resumeRef ? await this.orchestrator.find(idempotency.resumeRef) : null;
    const started = earlier ?? (await this.orchestrator.start(userId, reservationId, idempotency && ((trx, saga) => idempotency.attach(trx, saga.id))));
    const saga = (await this.orchestrator.awaitOutcome(started.id, waitMs)) ?? started;
    const view = sagaView(saga);
    const brief = { id: saga.id, status: saga.status };
    switch (saga.status) {
      case 'COMPLETED': {
        const row = await this.reservations.findRow(reservationId);
        return { status: 200, body: { reservation: row ? viewFromRow(row, this.clock.now()) : null, saga: view } };
      }
      case 'RUNNING':
        return { status: 202, body: { saga: view }, headers: { Location: `/ticketing/sagas/${saga.id}` } };
      case 'FAILED':
        if (saga.failureCode === 'INSUFFICIENT_BALANCE') {
          throw new AppError(402, 'INSUFFICIENT_BALANCE', 'Insufficient balance', saga.failureDetail ?? 'Not enough points for this reservation.', { saga: brief });
        }
        throw notPayable(saga.failureDetail ?? `Reservation ${reservationId} cannot be paid.`, { saga: brief });
      default:
        // Paid, but the confirmation failed (e.g. the hold ran out meanwhile): the payment is refunded.
        throw notPayable(`Reservation ${reservationId} could not be confirmed (${saga.failureDetail ?? 'unknown reason'}); the payment is refunded.`, { saga: brief });
    }
  }
}
