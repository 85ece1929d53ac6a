import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../../platform/bus/outbox';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { CatalogueRepository } from '../../infrastructure/catalogue.repository';
import type { CreateConcertRequest } from './create-concert.request.dto';

export interface CreatedConcert {
  id: number;
  title: string;
  artist: string;
  venue: string;
  schedules: Array<{
    id: number;
    concertId: number;
    startsAt: string;
    totalSeats: number;
    availableSeats: number;
    seats: Array<{ id: number; label: string; price: number }>;
  }>;
}

/**
 * Writes a concert, its schedules and seats, and one `concert.schedule.published` event per
 * schedule (with every seat and price), all in one transaction: the reservation, payment and
 * data-platform modules build their own copies from those events.
 */
@injectable()
export class CreateConcertService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(CatalogueRepository) private readonly catalogue: CatalogueRepository,
  ) {}

  create(request: CreateConcertRequest): Promise<CreatedConcert> {
    return this.db.transaction((trx) => this.write(trx, request));
  }

  /**
   * Creates the concert only if the catalogue is empty (checked in the same transaction); null
   * otherwise. Processes that start at once take turns (`catalogue-seed`), so only one of them
   * finds the catalogue empty: on PostgreSQL's snapshots each would otherwise see no concert.
   */
  createIfCatalogueEmpty(request: CreateConcertRequest): Promise<CreatedConcert | null> {
    return this.db.transaction(async (trx) => {
      await this.db.lock(trx, 'catalogue-seed', 'empty-catalogue');
      return (await this.catalogue.countConcerts(trx)) > 0 ? null : this.write(trx, request);
    });
  }

  private async write(trx: Transaction, request: CreateConcertRequest): Promise<CreatedConcert> {
    const now = this.clock.now();
    const { title, artist, venue } = request;
    const concertId = await this.catalogue.insertConcert(trx, { title, artist, venue }, now);
    const schedules: CreatedConcert['schedules'] = [];
    for (const s of request.schedules) {
      const startsAtMs = Date.parse(s.startsAt);
      const startsAt = new Date(startsAtMs).toISOString();
      const scheduleId = await this.catalogue.insertSchedule(trx, concertId, startsAtMs, s.seats.length, now);
      const seatIds = await this.catalogue.insertSeats(trx, scheduleId, s.seats);
      const seats = s.seats.map((seat, i) => ({ id: seatIds[i], label: seat.label, price: seat.price }));
      await this.outbox.publish(trx, 'concert.schedule.published', scheduleId, {
        concertId,
        scheduleId,
        title,
        artist,
        venue,
        startsAt,
        seats: seats.map((seat) => ({ seatId: seat.id, label: seat.label, price: seat.price })),
      });
      schedules.push({ id: scheduleId, concertId, startsAt, totalSeats: seats.length, availableSeats: seats.length, seats });
    }
    return { id: concertId, title, artist, venue, schedules };
  }
}
