import { expect } from 'chai';
import fc from 'fast-check';
import { type ClaimState, type ClaimTransition, nextClaimState, seatStatusAfterClaim, seatStatusFrom } from '../../src/modules/concert/domain/seat-map';
import { SeatMapProjection } from '../../src/modules/concert/infrastructure/seat-map.projection';
import { createTestApp, loginAdmin, type TestApp } from '../support/test-app';
import { assertCountersMatchSeats, type CreatedConcert, concertBody, createConcert, seats } from './concert-fixtures';

/**
 * What really happened to one seat: reservations one after another (the reservation module
 * allows one live hold per seat), each a valid history; only the last may still be live.
 */
type Outcome = 'expired' | 'cancelled-hold' | 'sold-then-cancelled';
type LastOutcome = Outcome | 'live-hold' | 'sold';

const historyOf = (outcome: LastOutcome): ClaimTransition[] => {
  switch (outcome) {
    case 'expired':
      return ['held', 'expired'];
    case 'cancelled-hold':
      return ['held', 'cancelled'];
    case 'sold-then-cancelled':
      return ['held', 'sold', 'cancelled'];
    case 'live-hold':
      return ['held'];
    case 'sold':
      return ['held', 'sold'];
  }
};
const truth = (last: LastOutcome | undefined) => (last === 'live-hold' ? 'HELD' : last === 'sold' ? 'SOLD' : 'AVAILABLE');

const seatStory = fc.record({
  ended: fc.array(fc.constantFrom<Outcome>('expired', 'cancelled-hold', 'sold-then-cancelled'), { maxLength: 3 }),
  last: fc.option(fc.constantFrom<LastOutcome>('expired', 'cancelled-hold', 'sold-then-cancelled', 'live-hold', 'sold'), { nil: undefined }),
});

/** The seat's events in publishing order, each tagged with its reservation (index). */
const eventsOf = (story: { ended: Outcome[]; last?: LastOutcome }) =>
  [...story.ended, ...(story.last ? [story.last] : [])].flatMap((outcome, r) => historyOf(outcome).map((transition) => ({ r, transition })));

/** Any delivery order, with some events delivered twice (under fresh event ids). */
const delivery = (events: Array<{ r: number; transition: ClaimTransition }>) =>
  fc
    .tuple(fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), fc.subarray(events))
    .chain(([order, dupes]) => fc.shuffledSubarray([...order, ...dupes], { minLength: order.length + dupes.length, maxLength: order.length + dupes.length }));

describe('seat map ordering (claims converge whatever the delivery order)', () => {
  it('pure rules: every delivery order of a seat’s events ends in the true status', () => {
    fc.assert(
      fc.property(
        seatStory.chain((story) => fc.tuple(fc.constant(story), delivery(eventsOf(story)))),
        ([story, order]) => {
          const claims = new Map<number, ReturnType<typeof nextClaimState>>();
          for (const { r, transition } of order) claims.set(r, nextClaimState(claims.get(r) ?? null, transition));
          const live = [...claims].filter(([, s]) => s !== 'RELEASED').map(([r, state]) => ({ reservationId: r, state }));
          expect(seatStatusFrom(live).status).to.equal(truth(story.last));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('pure rules: once a never-cancelled sale is seen the seat stays SOLD', () => {
    fc.assert(
      fc.property(
        seatStory.filter((s) => s.last === 'sold').chain((story) => fc.tuple(fc.constant(story), delivery(eventsOf(story)))),
        ([story, order]) => {
          const lastReservation = story.ended.length;
          const claims = new Map<number, ReturnType<typeof nextClaimState>>();
          let soldSeen = false;
          for (const { r, transition } of order) {
            claims.set(r, nextClaimState(claims.get(r) ?? null, transition));
            if (r === lastReservation && transition === 'sold') soldSeen = true;
            const live = [...claims].filter(([, s]) => s !== 'RELEASED').map(([id, state]) => ({ reservationId: id, state }));
            if (soldSeen) expect(seatStatusFrom(live).status).to.equal('SOLD');
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('pure rules: a claim taken or upgraded gives, from the seat alone, what reading every claim would', () => {
    const claimSet = fc.uniqueArray(
      fc.record({ reservationId: fc.integer({ min: 1, max: 50 }), state: fc.constantFrom<ClaimState>('HELD', 'SOLD', 'RELEASED') }),
      { selector: (c) => c.reservationId, maxLength: 6 },
    );
    fc.assert(
      fc.property(claimSet, fc.integer({ min: 1, max: 60 }), fc.constantFrom<'HELD' | 'SOLD'>('HELD', 'SOLD'), (claims, candidate, wanted) => {
        const mine = claims.find((c) => c.reservationId === candidate);
        // Only moves the rules allow: a new claim (HELD, or SOLD when the hold event comes late), or HELD → SOLD.
        const next = nextClaimState(mine?.state ?? null, wanted === 'HELD' ? 'held' : 'sold');
        if (next === 'RELEASED' || next === mine?.state) return;
        const live = (list: typeof claims) => list.filter((c) => c.state !== 'RELEASED');
        const seat = seatStatusFrom(live(claims));
        const after = [...claims.filter((c) => c.reservationId !== candidate), { reservationId: candidate, state: next }];
        expect(seatStatusAfterClaim(seat, candidate, next)).to.deep.equal(seatStatusFrom(live(after)));
      }),
      { numRuns: 2000 },
    );
  });

  describe('against the real projection and SQLite', () => {
    let app: TestApp;
    let schedule: CreatedConcert['schedules'][number];
    before(async () => {
      app = await createTestApp({ start: false });
      const admin = await loginAdmin(app.http);
      schedule = (await createConcert(app, admin, concertBody({ schedules: [{ startsAt: '2030-05-01T19:00:00Z', seats: seats(200) }] }))).schedules[0];
    });
    after(async () => app.stop());

    it('ends every seat in its true status, with the counters equal to the seat statuses', async () => {
      const projection = app.platform.container('concert').get(SeatMapProjection);
      const db = app.platform.database('concert');
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          seatStory.chain((story) => fc.tuple(fc.constant(story), delivery(eventsOf(story)))),
          async ([story, order]) => {
            const seat = schedule.seats[run % schedule.seats.length];
            const reservationBase = 1_000_000 + run * 10;
            run += 1;
            // A seat is reused only once its previous story is over: start from a free seat.
            await db.transaction(async (trx) => {
              const current = await trx('seats').where({ id: seat.id }).first('status');
              const live = await trx('seat_map_claims').where({ seat_id: seat.id }).whereIn('state', ['HELD', 'SOLD']).select('reservation_id');
              for (const c of live) await projection.apply(trx, 'cancelled', { reservationId: c.reservation_id, scheduleId: schedule.id, seatId: seat.id });
              expect((await trx('seats').where({ id: seat.id }).first('status')).status, `seat was ${current.status}`).to.equal('AVAILABLE');
            });
            for (const { r, transition } of order) {
              await db.transaction((trx) =>
                projection.apply(trx, transition, { reservationId: reservationBase + r, scheduleId: schedule.id, seatId: seat.id }),
              );
            }
            const stored = await db.knex('seats').where({ id: seat.id }).first('status');
            expect(stored.status).to.equal(truth(story.last));
          },
        ),
        { numRuns: 150 },
      );
      await assertCountersMatchSeats(app);
    });
  });
});
