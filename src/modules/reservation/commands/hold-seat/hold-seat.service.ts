import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../../platform/bus/outbox';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { iso } from '../../domain/reservation.aggregate';
import { type ReservationView, reservationEtag, viewFromAggregate } from '../../domain/reservation.view';
import { checkSeatCanBeHeld } from '../../domain/seat-claim';
import { CatalogueRepository } from '../../infrastructure/catalogue.repository';
import { withConcurrencyRetry } from '../../infrastructure/optimistic-concurrency';
import { ReservationRepository } from '../../infrastructure/reservation.repository';
import { ReservationLifecycle } from '../../infrastructure/reservation-lifecycle';
import { SeatClaimRepository } from '../../infrastructure/seat-claims.repository';
import { ReservationErrors } from '../../reservation.errors';
import type { ReservationSettings } from '../../reservation.settings';
import type { HoldSeatRequest } from './hold-seat.request.dto';

/**
 * Takes a seat for a user, atomically, in one transaction of this module's database: the seat
 * must exist in the catalogue copy, have no live claim (a HELD claim whose time and payment grace
 * are up is expired on the spot and taken over), and the user must be under the hold limit. The price comes from
 * the catalogue copy, never from the client.
 */
@injectable()
export class HoldSeatService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Settings) private readonly settings: ReservationSettings,
    @inject(CatalogueRepository) private readonly catalogue: CatalogueRepository,
    @inject(ReservationRepository) private readonly repository: ReservationRepository,
    @inject(SeatClaimRepository) private readonly claims: SeatClaimRepository,
    @inject(ReservationLifecycle) private readonly lifecycle: ReservationLifecycle,
  ) {}

  /** The new hold, with the entity tag of its state (for a later conditional GET). */
  /** The concert whose waiting room's pass may hold a seat of this schedule (from the module's copy of the catalogue). */
  concertOf(scheduleId: number): Promise<number | null> {
    return this.catalogue.concertOfSchedule(this.db.direct, scheduleId);
  }

  async hold(userId: number, request: HoldSeatRequest): Promise<{ view: ReservationView; etag: string }> {
    const { scheduleId, seatId } = request;
    return withConcurrencyRetry(() =>
      this.db.transaction(async (trx) => {
        // The hold limit spans the user's reservations (count, then add one): one hold of a user at a time.
        await this.db.lock(trx, 'holds-of-user', userId);
        const now = this.clock.now();
        const found = await this.catalogue.findSeatForHold(trx, scheduleId, seatId, userId, now);
        if (!found) {
          if (!(await this.catalogue.scheduleExists(trx, scheduleId))) throw ReservationErrors.scheduleNotFound(scheduleId);
          throw ReservationErrors.seatNotFound(scheduleId, seatId);
        }
        const { seat, claim, liveHoldsOfUser } = found;
        const { staleHoldId } = checkSeatCanBeHeld(claim, liveHoldsOfUser, this.settings.maxHoldsPerUser, now, this.settings.holdPaymentGraceSeconds * 1000);
        if (staleHoldId !== null) {
          // The previous hold's time and grace are up: record its expiry now rather than wait for the sweeper.
          const previous = await this.repository.load(trx, staleHoldId);
          if (previous && previous.state.status === 'HELD') await this.lifecycle.expire(trx, [previous], now);
          else await this.claims.release(trx, [staleHoldId]);
        }
        const reservation = await this.repository.create(
          trx,
          { userId, concertId: seat.concertId, scheduleId, seatId, seatLabel: seat.label, price: seat.price },
          now,
          this.settings.holdTtlSeconds * 1000,
        );
        const s = reservation.state;
        await this.claims.claim(trx, scheduleId, seatId, reservation.id, s.expiresAtMs);
        await this.outbox.publish(trx, 'reservation.held', reservation.id, {
          reservationId: reservation.id,
          userId,
          concertId: seat.concertId,
          scheduleId,
          seatId,
          price: s.price,
          expiresAt: iso(s.expiresAtMs),
        });
        const view = viewFromAggregate(reservation, now);
        return { view, etag: reservationEtag(reservation.version, view.status) };
      }),
    );
  }
}
