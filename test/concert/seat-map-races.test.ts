import { expect } from 'chai';
import type { EventPayload, EventType } from '../../src/contracts/events';
import { createConcertRequest } from '../../src/modules/concert/commands/create-concert/create-concert.request.dto';
import { CreateConcertService } from '../../src/modules/concert/commands/create-concert/create-concert.service';
import { MarkSeatHeldWhenReservationHeld } from '../../src/modules/concert/event-handlers/mark-seat-held-when-reservation-held.handler';
import { MarkSeatSoldWhenReservationSucceeded } from '../../src/modules/concert/event-handlers/mark-seat-sold-when-reservation-succeeded.handler';
import { ReleaseSeatWhenReservationCancelled } from '../../src/modules/concert/event-handlers/release-seat-when-reservation-cancelled.handler';
import { ReleaseSeatWhenReservationExpired } from '../../src/modules/concert/event-handlers/release-seat-when-reservation-expired.handler';
import { createTestApp, handleEventWith, loginAdmin, type TestApp } from '../support/test-app';
import { onPostgres } from '../support/test-backend';
import { assertCountersMatchSeats, type CreatedConcert, concertBody, createConcert, seats } from './concert-fixtures';

const SEATS = 40;

/**
 * The seat map under events of one seat handled at the same time, each in its own transaction, as
 * the inboxes of two processes (or a retry beside a fresh delivery) run them. A seat's status is
 * derived from every live claim on it, so an event of one reservation that decides from a snapshot
 * lacking a concurrent event's claim of another reservation writes a wrong seat: on PostgreSQL's
 * snapshots (REPEATABLE READ) that was write skew, unless every claim change writes the seat row,
 * which makes the later of two such transactions run again. SQLite runs them one at a time.
 */
describe(`seat map under concurrent events of one seat (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, function () {
  this.timeout(60_000);

  let app: TestApp;
  let schedule: CreatedConcert['schedules'][number];
  beforeEach(async () => {
    app = await createTestApp();
    const admin = await loginAdmin(app.http);
    const concert = await createConcert(app, admin, concertBody({ schedules: [{ startsAt: '2030-05-01T19:00:00Z', seats: seats(SEATS) }] }));
    schedule = concert.schedules[0];
  });
  afterEach(async () => {
    await assertCountersMatchSeats(app);
    await app.stop();
  });

  let nextReservationId = 10_000;
  const reservationOn = (seatIndex: number) => {
    nextReservationId += 1;
    return { reservationId: nextReservationId, userId: 7, scheduleId: schedule.id, seatId: schedule.seats[seatIndex].id };
  };
  type Facts = ReturnType<typeof reservationOn>;

  const handle = <T extends EventType>(handler: Parameters<typeof handleEventWith<T>>[2], type: T, payload: EventPayload<T>) =>
    handleEventWith(app, 'concert', handler, type, payload);
  const held = (r: Facts) =>
    handle(MarkSeatHeldWhenReservationHeld, 'reservation.held', { ...r, price: 88_000, expiresAt: new Date(app.clock.now() + 300_000).toISOString() });
  const sold = (r: Facts) =>
    handle(MarkSeatSoldWhenReservationSucceeded, 'reservation.success', {
      ...r,
      concertId: schedule.concertId,
      seatLabel: 'A-1',
      price: 88_000,
      paymentId: 77,
      confirmedAt: new Date(app.clock.now()).toISOString(),
    });
  const expired = (r: Facts) => handle(ReleaseSeatWhenReservationExpired, 'reservation.expired', r);
  const cancelled = (r: Facts, previousStatus: 'HELD' | 'CONFIRMED') =>
    handle(ReleaseSeatWhenReservationCancelled, 'reservation.cancelled', { ...r, previousStatus, paymentId: previousStatus === 'CONFIRMED' ? 77 : null });

  const seatRows = async (): Promise<Array<{ id: number; status: string; claimed_by: number | null }>> =>
    app.platform.database('concert').knex('seats').where({ schedule_id: schedule.id }).orderBy('id').select('id', 'status', 'claimed_by');

  it(`two holds of one seat end together (${SEATS} seats): every seat AVAILABLE again, none left HELD by an ended reservation`, async () => {
    // A hold that expired while its `held` event lagged, and the next buyer's hold of the same seat.
    const pairs = schedule.seats.map((_, i) => [reservationOn(i), reservationOn(i)] as const);
    for (const [older, newer] of pairs) {
      await held(older);
      await held(newer);
    }
    expect((await seatRows()).every((s) => s.status === 'HELD')).to.equal(true);

    // The older one's expiry and the newer one's cancellation (two subscribers) at the same time.
    await Promise.all(pairs.flatMap(([older, newer]) => [expired(older), cancelled(newer, 'HELD')]));

    const wrong = (await seatRows()).filter((s) => s.status !== 'AVAILABLE' || s.claimed_by !== null);
    expect(wrong, 'seats still shown taken').to.deep.equal([]);
    const counters = await app.platform.database('concert').knex('schedules').where({ id: schedule.id }).first('available_seats', 'held_seats', 'sold_seats');
    expect(counters).to.deep.equal({ available_seats: SEATS, held_seats: 0, sold_seats: 0 });
  });

  it(`a new hold beside the cancellation of the sale before it (${SEATS} seats): every seat HELD by the new hold, none shown AVAILABLE`, async () => {
    const pairs = schedule.seats.map((_, i) => [reservationOn(i), reservationOn(i)] as const);
    for (const [buyer] of pairs) {
      await held(buyer);
      await sold(buyer);
    }
    // The sale is refunded and the seat is held at once by someone else; both events are handled together.
    await Promise.all(pairs.flatMap(([buyer, next]) => [cancelled(buyer, 'CONFIRMED'), held(next)]));

    const holderOf = new Map(pairs.map(([, next]) => [next.seatId, next.reservationId]));
    const wrong = (await seatRows()).filter((s) => s.status !== 'HELD' || s.claimed_by !== holderOf.get(s.id));
    expect(wrong, 'seats not shown HELD by the new hold').to.deep.equal([]);
    const counters = await app.platform.database('concert').knex('schedules').where({ id: schedule.id }).first('available_seats', 'held_seats', 'sold_seats');
    expect(counters).to.deep.equal({ available_seats: 0, held_seats: SEATS, sold_seats: 0 });
  });
});

describe(`the demo seed into an empty catalogue, started by several processes at once (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, function () {
  this.timeout(60_000);

  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(() => app.stop());

  it('8 concurrent seeds of an empty catalogue: exactly one concert is created (one set of schedule events)', async () => {
    const service = app.platform.container('concert').get(CreateConcertService);
    const request = createConcertRequest.parse(concertBody());
    const created = await Promise.all(Array.from({ length: 8 }, () => service.createIfCatalogueEmpty(request)));
    expect(created.filter((c) => c !== null)).to.have.length(1);
    const knex = app.platform.database('concert').knex;
    expect(Number((await knex('concerts').count({ n: '*' }).first())?.n)).to.equal(1);
    expect(Number((await knex('outbox').where({ type: 'concert.schedule.published' }).count({ n: '*' }).first())?.n)).to.equal(2);
  });
});
