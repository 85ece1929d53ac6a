import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../../platform/bus/outbox';
import type { Clock } from '../../../../platform/clock/clock';
import type { AppConfig } from '../../../../platform/config/config';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { AppError } from '../../../../platform/http/app-error';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import type { ReservationLifecycle } from '../../application/reservation-lifecycle';
import type { CatalogueRepository } from '../../catalogue/catalogue.repository';
import { iso } from '../../domain/reservation.aggregate';
import { withConcurrencyRetry } from '../../infrastructure/optimistic-concurrency';
import type { ReservationRepository } from '../../infrastructure/reservation.repository';
import { seatUnavailable, type SeatClaimRepository } from '../../infrastructure/seat-claims.repository';
import { RESERVATION } from '../../reservation.di-tokens';
import { reservationEtag, viewFromAggregate, type ReservationView } from '../../reservation.view';
import type { HoldSeatRequest } from './hold-seat.request.dto';

/**
 * Takes a seat for a user, atomically, in one transaction of this module's database: the seat
 * must exist in the catalogue copy, have no live claim (a HELD claim whose time is up is expired
 * on the spot and taken over), and the user must be under the hold limit. The price comes from
 * the catalogue copy, never from the client.
 */
@injectable()
export class HoldSeatService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Config) private readonly config: AppConfig,
    @inject(RESERVATION.Catalogue) private readonly catalogue: CatalogueRepository,
    @inject(RESERVATION.Repository) private readonly repository: ReservationRepository,
    @inject(RESERVATION.SeatClaims) private readonly claims: SeatClaimRepository,
    @inject(RESERVATION.Lifecycle) private readonly lifecycle: ReservationLifecycle,
  ) {}

  async hold(userId: number, request: HoldSeatRequest): Promise<{ view: ReservationView; etag: string }> {
    const { scheduleId, seatId } = request;
    return withConcurrencyRetry(() =>
      this.db.transaction(async (trx) => {
        const now = this.clock.now();
        const found = await this.catalogue.findSeatForHold(trx, scheduleId, seatId, userId, now);
        if (!found) {
          if (!(await this.catalogue.scheduleExists(trx, scheduleId))) throw new AppError(404, 'SCHEDULE_NOT_FOUND', 'Schedule not found', `There is no schedule ${scheduleId}.`);
          throw new AppError(404, 'SEAT_NOT_FOUND', 'Seat not found', `Schedule ${scheduleId} has no seat ${seatId}.`);
        }
        const { seat, claim, liveHoldsOfUser: live } = found;
        const stale = claim !== null && claim.status === 'HELD' && claim.expiresAtMs !== null && claim.expiresAtMs <= now;
        if (claim && !stale) throw seatUnavailable();
        if (live >= this.config.maxHoldsPerUser) {
          throw new AppError(409, 'HOLD_LIMIT_REACHED', 'Hold limit reached', `You already hold ${live} seat(s), the most allowed at once (${this.config.maxHoldsPerUser}).`, {
            limit: this.config.maxHoldsPerUser,
          });
        }
        if (claim && stale) {
          // The previous hold's time is up: record its expiry now rather than wait for the sweeper.
          const previous = await this.repository.load(trx, claim.reservationId);
          if (previous && previous.state.status === 'HELD') await this.lifecycle.expire(trx, [previous], now);
          else await this.claims.release(trx, [claim.reservationId]);
        }
        const reservation = await this.repository.create(
          trx,
          { userId, concertId: seat.concertId, scheduleId, seatId, seatLabel: seat.label, price: seat.price },
          now,
          this.config.holdTtlSeconds * 1000,
        );
        const s = reservation.state;
        await this.claims.claim(trx, scheduleId, seatId, reservation.id, s.expiresAtMs);
        await this.outbox.publish(trx, 'reservation.held', reservation.id, {
          reservationId: reservation.id,
          userId,
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
