import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../../platform/bus/outbox';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { type ReservationView, viewFromAggregate } from '../../domain/reservation.view';
import { withConcurrencyRetry } from '../../infrastructure/optimistic-concurrency';
import { ReservationRepository } from '../../infrastructure/reservation.repository';
import { SeatClaimRepository } from '../../infrastructure/seat-claims.repository';
import { ReservationErrors } from '../../reservation.errors';

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
    @inject(ReservationRepository) private readonly repository: ReservationRepository,
    @inject(SeatClaimRepository) private readonly claims: SeatClaimRepository,
  ) {}

  async cancel(userId: number, reservationId: number): Promise<ReservationView> {
    return withConcurrencyRetry(() =>
      this.db.transaction(async (trx) => {
        const now = this.clock.now();
        const reservation = await this.repository.load(trx, reservationId);
        if (!reservation || reservation.state.userId !== userId) throw ReservationErrors.reservationNotFound(reservationId);
        const result = reservation.cancel(now);
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
