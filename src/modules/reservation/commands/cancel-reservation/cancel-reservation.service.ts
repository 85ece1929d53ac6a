import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../../platform/bus/outbox';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { errors } from '../../../../platform/http/app-error';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { ReservationRuleError } from '../../domain/reservation.aggregate';
import { withConcurrencyRetry } from '../../infrastructure/optimistic-concurrency';
import type { ReservationRepository } from '../../infrastructure/reservation.repository';
import type { SeatClaimRepository } from '../../infrastructure/seat-claims.repository';
import { RESERVATION } from '../../reservation.di-tokens';
import { reservationNotFound } from '../../queries/reservation.queries';
import { viewFromAggregate, type ReservationView } from '../../reservation.view';

/**
 * Cancels a live hold (the seat is free at once) or a confirmed reservation (the seat is freed
 * and the payment module refunds on `reservation.cancelled` with the payment id).
 */
@injectable()
export class CancelReservationService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(RESERVATION.Repository) private readonly repository: ReservationRepository,
    @inject(RESERVATION.SeatClaims) private readonly claims: SeatClaimRepository,
  ) {}

  async cancel(userId: number, reservationId: number): Promise<ReservationView> {
    return withConcurrencyRetry(() =>
      this.db.transaction(async (trx) => {
        const now = this.clock.now();
        const reservation = await this.repository.load(trx, reservationId);
        if (!reservation || reservation.state.userId !== userId) throw reservationNotFound(reservationId);
        let result: ReturnType<typeof reservation.cancel>;
        try {
          result = reservation.cancel(now);
        } catch (err) {
          if (err instanceof ReservationRuleError) {
            throw errors.conflict('RESERVATION_NOT_CANCELLABLE', 'Reservation not cancellable', err.message, { reservationStatus: reservation.effectiveStatus(now) });
          }
          throw err;
        }
        await this.repository.save(trx, reservation, now);
        await this.claims.release(trx, [reservation.id]);
        const s = reservation.state;
        await this.outbox.publish(trx, 'reservation.cancelled', reservation.id, {
          reservationId: reservation.id,
          userId: s.userId,
          scheduleId: s.scheduleId,
          seatId: s.seatId,
          previousStatus: result.previousStatus,
          paymentId: result.paymentId,
        });
        return viewFromAggregate(reservation, now);
      }),
    );
  }
}
