import { expect } from 'chai';
import type { Newable } from 'inversify';
import type { EventEnvelope } from '../../src/contracts/events';
import { ConfirmSagaOrchestrator } from '../../src/modules/reservation/commands/orchestrate-confirm-saga/confirm-saga.orchestrator';
import { CopyCatalogueWhenSchedulePublished } from '../../src/modules/reservation/event-handlers/copy-catalogue-when-schedule-published.handler';
import { CatalogueRepository } from '../../src/modules/reservation/infrastructure/catalogue.repository';
import { ConfirmSagaRepository } from '../../src/modules/reservation/infrastructure/confirm-saga.repository';
import { ReservationRepository } from '../../src/modules/reservation/infrastructure/reservation.repository';
import { ExpireHoldsJob } from '../../src/modules/reservation/jobs/expire-holds.job';
import { ManualClock } from '../../src/platform/clock/clock';
import type { RetryReason } from '../../src/platform/db/module-database';
import { createTestApp, queuePassFor, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';
import { onPostgres } from '../support/test-backend';
import { hold, newPaymentId, paymentSucceeded, published, publishSchedule } from './reservation-kit';

/**
 * Makes concurrent transactions overlap for sure: the first `parties` calls of the wrapped
 * methods each wait, once their read is done, until all of them have read (or `timeoutMs` has
 * passed), so every one decides on a snapshot taken before any of them wrote. Only on
 * PostgreSQL: on SQLite a transaction never overlaps another, and one waiting inside its
 * transaction would only hold up the others.
 */
class Overlap {
  private arrived = 0;
  private release!: () => void;
  private readonly all = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  private readonly restores: Array<() => void> = [];

  constructor(
    private readonly parties: number,
    private readonly timeoutMs = 1_000,
  ) {}

  after<T extends object>(target: T, method: keyof T & string): this {
    if (!onPostgres) return this;
    const original = target[method] as (...args: unknown[]) => Promise<unknown>;
    const gate = this;
    (target as Record<string, unknown>)[method] = async function (this: unknown, ...args: unknown[]) {
      const result = await original.apply(this, args);
      await gate.arrive();
      return result;
    };
    this.restores.push(() => {
      (target as Record<string, unknown>)[method] = original;
    });
    return this;
  }

  restore(): void {
    for (const r of this.restores.splice(0)) r();
  }

  private async arrive(): Promise<void> {
    // A transaction run again after a conflict does not wait: the point was the first snapshot.
    if (this.arrived >= this.parties) return;
    this.arrived += 1;
    if (this.arrived === this.parties) this.release();
    await Promise.race([this.all, new Promise((r) => setTimeout(r, this.timeoutMs))]);
  }
}

/**
 * The reservation module's read-then-write spots, raced with real concurrent requests, jobs and
 * handlers (ADR 0009). On PostgreSQL each transaction reads one snapshot (REPEATABLE READ), so a
 * rule is safe only if the transactions that could break it write a common row or key: the
 * stream's (reservation_id, version), the seat claim's (schedule_id, seat_id), the saga row and
 * its one-in-flight index, the catalogue schedule row (the per-user hold limit, which no row
 * carries, takes a `db.lock`: concurrent-invariants.test.ts). Each test makes the transactions
 * read before any of them writes, then checks that the state is what one-at-a-time leaves.
 */
describe(`reservation under concurrent writers (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, function () {
  this.timeout(60_000);

  let app: TestApp;
  let clock: ManualClock;
  let overlap: Overlap | null = null;
  const retries: RetryReason[] = [];
  const db = () => app.platform.database('reservation').knex;
  const get = <T>(cls: Newable<T>): T => app.platform.container('reservation').get<T>(cls);
  const users = (n: number, prefix: string) => Promise.all(Array.from({ length: n }, (_, i) => signupAndLogin(app.http, `${prefix}${i}`)));
  const eventTypes = async (reservationId: number): Promise<string[]> =>
    (await db()('reservation_events').where({ reservation_id: reservationId }).orderBy('version')).map((e: { type: string }) => e.type);
  const confirm = (user: TestUser, reservationId: number) =>
    app.http.post('/ticketing/reservations/confirm').set(user.auth).set(queuePassFor(app.platform, user.id)).set('Prefer', 'wait=0').send({ reservationId });

  before(async () => {
    clock = new ManualClock();
    // No payment module: the tests play its replies. Connections enough for every racer to hold one.
    app = await createTestApp({
      clock,
      env: {
        MODULES: 'auth,concert,reservation',
        HOLD_TTL_SECONDS: '60',
        HOLD_PAYMENT_GRACE_SECONDS: '30',
        MAX_HOLDS_PER_USER: '100',
        DATABASE_POOL_MAX: '30',
      },
    });
    app.platform.database('reservation').onRetry((reason) => retries.push(reason));
  });
  beforeEach(() => {
    retries.length = 0;
  });
  afterEach(() => {
    overlap?.restore();
    overlap = null;
  });
  after(() => app.stop());

  it('a seat whose hold and payment grace ran out, taken over by 20 users at once while two sweepers run: one new hold, the old one expired once', async () => {
    const schedule = await publishSchedule(app, 1);
    const seat = { scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId };
    const [alice] = await users(1, 'first');
    const old = (await hold(app, alice, seat)).body;
    const takers = await users(20, 'taker');
    clock.advance(60_000 + 30_000); // the hold's time, then its payment grace
    const sweeper = get(ExpireHoldsJob);
    // Every taker sees the stale claim, every sweeper sees the hold due, before anyone writes.
    overlap = new Overlap(22).after(get(CatalogueRepository), 'findSeatForHold').after(get(ReservationRepository), 'dueForExpiry');
    const [results] = await Promise.all([Promise.all(takers.map((u) => hold(app, u, seat))), sweeper.run(), sweeper.run()]);

    const statuses = results.map((r) => r.status).sort();
    expect(statuses, JSON.stringify(results.filter((r) => r.status !== 201 && r.status !== 409).map((r) => r.body))).to.deep.equal([
      201,
      ...Array(19).fill(409),
    ]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).to.equal('SEAT_UNAVAILABLE');
    const winner = results.find((r) => r.status === 201)!.body;
    expect(await eventTypes(old.id)).to.deep.equal(['HoldPlaced', 'HoldExpired']);
    expect(await published(app, 'reservation.expired', old.id)).to.have.length(1);
    expect(await db()('seat_claims').where({ schedule_id: seat.scheduleId, seat_id: seat.seatId })).to.deep.equal([
      { schedule_id: seat.scheduleId, seat_id: seat.seatId, reservation_id: winner.id, status: 'HELD', expires_at_ms: clock.now() + 60_000 },
    ]);
    expect(await db()('reservations').where({ schedule_id: seat.scheduleId, status: 'HELD' })).to.have.length(1);
  });

  it('a payment and a cancel at once on a hold, 10 times: the payment is confirmed then refunded by the cancel, or refused, in one delivery', async () => {
    const schedule = await publishSchedule(app, 10);
    const [alice] = await users(1, 'payer');
    for (const s of schedule.seats) {
      const held = (await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: s.seatId })).body;
      // The cancel and the payment handler both load the hold while it is HELD.
      overlap = new Overlap(2).after(get(ReservationRepository), 'load');
      const [{ paymentId, envelope }, cancel] = await Promise.all([
        paymentSucceeded(app, held),
        app.http.post(`/ticketing/reservations/${held.id}/cancel`).set(alice.auth).send(),
      ]);
      await app.platform.bus.drain();
      overlap.restore();

      expect(cancel.status, JSON.stringify(cancel.body)).to.equal(200);
      // The handler that lost the race ran again at once on the new state, not as a failed delivery retried later.
      expect(await db()('inbox').where({ subscriber: 'reservation.confirm-on-payment', event_id: envelope.id }).first()).to.include({
        status: 'DONE',
        attempts: 1,
      });
      expect(await db()('reservations').where({ id: held.id }).first()).to.include({ status: 'CANCELLED' });
      expect(await db()('seat_claims').where({ reservation_id: held.id })).to.have.length(0);
      const refundedByCancel = (await published(app, 'reservation.cancelled', held.id)).filter((c) => c.paymentId === paymentId);
      const refused = (await published(app, 'reservation.failed', held.id)).filter((f) => f.paymentId === paymentId);
      // Cancelled first: the payment is refused (→ refund); paid first: the cancel refunds it. Never both, never neither.
      if ((await eventTypes(held.id))[1] === 'HoldCancelled') {
        expect(await eventTypes(held.id)).to.deep.equal(['HoldPlaced', 'HoldCancelled', 'ConfirmationFailed']);
        expect([refundedByCancel.length, refused.length]).to.deep.equal([0, 1]);
      } else {
        expect(await eventTypes(held.id)).to.deep.equal(['HoldPlaced', 'ReservationConfirmed', 'ReservationCancelled']);
        expect([refundedByCancel.length, refused.length]).to.deep.equal([1, 0]);
      }
    }
  });

  it('a saga’s payment and a cancel at once, 6 times: confirmed then refunded by the cancel, or not confirmed and refunded by the saga, in one delivery', async () => {
    const schedule = await publishSchedule(app, 6);
    const [alice] = await users(1, 'saga-payer');
    for (const s of schedule.seats) {
      const held = (await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: s.seatId })).body;
      const sagaId: string = (await confirm(alice, held.id)).body.saga.id;
      // The cancel and the saga's CONFIRM step both load the hold while it is HELD.
      overlap = new Overlap(2).after(get(ReservationRepository), 'load');
      const [{ paymentId, envelope }, cancel] = await Promise.all([
        paymentSucceeded(app, held, newPaymentId(), sagaId),
        app.http.post(`/ticketing/reservations/${held.id}/cancel`).set(alice.auth).send(),
      ]);
      await app.platform.bus.drain();
      overlap.restore();

      expect(cancel.status, JSON.stringify(cancel.body)).to.equal(200);
      expect(await db()('inbox').where({ subscriber: 'reservation.saga-on-payment-success', event_id: envelope.id }).first()).to.include({
        status: 'DONE',
        attempts: 1,
      });
      expect(await db()('reservations').where({ id: held.id }).first()).to.include({ status: 'CANCELLED' });
      expect(await db()('seat_claims').where({ reservation_id: held.id })).to.have.length(0);
      const saga = await db()('confirm_sagas').where({ id: sagaId }).first();
      const refundedByCancel = (await published(app, 'reservation.cancelled', held.id)).filter((c) => c.paymentId === paymentId);
      const refundedBySaga = (await published(app, 'payment.refund-requested', held.id)).filter((r) => r.paymentId === paymentId);
      if (saga.status === 'COMPLETED') {
        expect(await eventTypes(held.id)).to.deep.equal(['HoldPlaced', 'ReservationConfirmed', 'ReservationCancelled']);
        expect([refundedByCancel.length, refundedBySaga.length]).to.deep.equal([1, 0]);
      } else {
        expect(saga).to.include({ status: 'COMPENSATING', failure_detail: 'RESERVATION_CANCELLED' });
        expect(await eventTypes(held.id)).to.deep.equal(['HoldPlaced', 'HoldCancelled', 'ConfirmationFailed']);
        expect([refundedByCancel.length, refundedBySaga.length]).to.deep.equal([0, 1]);
      }
    }
  });

  it('10 confirms of one hold at once: one saga, joined by all, one payment asked for', async () => {
    const schedule = await publishSchedule(app, 1);
    const [alice] = await users(1, 'confirmer');
    const held = (await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId })).body;
    // Every request finds no saga in flight before any of them starts one.
    overlap = new Overlap(10).after(get(ConfirmSagaRepository), 'findActive');
    const results = await Promise.all(Array.from({ length: 10 }, () => confirm(alice, held.id)));
    for (const r of results) expect(r.status, JSON.stringify(r.body)).to.equal(202);
    expect(new Set(results.map((r) => r.body.saga.id)).size).to.equal(1);
    expect(await db()('confirm_sagas').where({ reservation_id: held.id })).to.have.length(1);
    expect(await published(app, 'payment.requested', held.id)).to.have.length(1);
  });

  it('three saga-deadline sweeps at once: each unanswered payment is asked again once', async () => {
    const schedule = await publishSchedule(app, 5);
    const [alice] = await users(1, 'waiter');
    const sagas: Array<{ reservationId: number; sagaId: string }> = [];
    for (const s of schedule.seats) {
      const held = (await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: s.seatId })).body;
      sagas.push({ reservationId: held.id, sagaId: (await confirm(alice, held.id)).body.saga.id });
    }
    clock.advance(5_000);
    const orchestrator = get(ConfirmSagaOrchestrator);
    overlap = new Overlap(3).after(get(ConfirmSagaRepository), 'due');
    await Promise.all([orchestrator.wakeDue(100), orchestrator.wakeDue(100), orchestrator.wakeDue(100)]);
    for (const { reservationId, sagaId } of sagas) {
      expect(await published(app, 'payment.requested', reservationId)).to.have.length(2);
      expect(await db()('confirm_sagas').where({ id: sagaId }).first()).to.include({ attempts: 2, version: 2 });
    }
  });

  it('payments arriving as their PAY steps time out: each saga completes, or times out and refunds the payment; never both', async () => {
    const schedule = await publishSchedule(app, 6);
    const [alice] = await users(1, 'late');
    const runs: Array<{ reservationId: number; sagaId: string; price: number; paymentId: number }> = [];
    for (const s of schedule.seats) {
      const held = (await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: s.seatId })).body;
      runs.push({ reservationId: held.id, sagaId: (await confirm(alice, held.id)).body.saga.id, price: held.price, paymentId: newPaymentId() });
    }
    clock.advance(30_000);
    const orchestrator = get(ConfirmSagaOrchestrator);
    const reservationDb = app.platform.database('reservation');
    // The deadline sweep and each payment's handler (in a transaction, as the inbox runs it) read the sagas at PAY.
    overlap = new Overlap(1 + runs.length).after(get(ConfirmSagaRepository), 'due').after(get(ConfirmSagaRepository), 'load');
    await Promise.all([
      orchestrator.wakeDue(100),
      ...runs.map(({ reservationId, sagaId, price, paymentId }) =>
        reservationDb.transaction((trx) =>
          orchestrator.handle(trx, sagaId, {
            type: 'PaymentSucceeded',
            sagaId,
            paymentId,
            reservationId,
            userId: alice.id,
            amount: price,
            paidAtMs: clock.now(),
          }),
        ),
      ),
    ]);
    for (const { reservationId, sagaId, paymentId } of runs) {
      const saga = await db()('confirm_sagas').where({ id: sagaId }).first();
      const refunds = await published(app, 'payment.refund-requested', reservationId);
      const { status } = await db()('reservations').where({ id: reservationId }).first();
      if (saga.status === 'COMPLETED') {
        expect([status, refunds.length]).to.deep.equal(['CONFIRMED', 0]);
      } else {
        expect(saga).to.include({ status: 'COMPENSATING', failure_code: 'TIMEOUT' });
        expect([status, refunds.map((r) => r.paymentId)]).to.deep.equal(['HELD', [paymentId]]);
      }
    }
  });

  it('two versions of one schedule copied at once: the copy is one of them, whole', async () => {
    const copy = get(CopyCatalogueWhenSchedulePublished);
    const reservationDb = app.platform.database('reservation');
    const envelope = (scheduleId: number, seatIds: number[], price: number) =>
      ({
        payload: {
          concertId: 1,
          scheduleId,
          title: 't',
          artist: 'a',
          venue: 'v',
          startsAt: '2031-05-01T19:00:00.000Z',
          seats: seatIds.map((seatId) => ({ seatId, label: `S${seatId}`, price })),
        },
      }) as EventEnvelope<'concert.schedule.published'>;
    for (let round = 0; round < 6; round += 1) {
      const scheduleId = 60_000 + round;
      // Half the rounds replace an existing copy, half race to make the first one.
      if (round % 2 === 1) await reservationDb.transaction((trx) => copy.handle(envelope(scheduleId, [1, 2, 3, 4, 6], 10), trx));
      await Promise.all([
        reservationDb.transaction((trx) => copy.handle(envelope(scheduleId, [1, 2, 3], 100), trx)),
        reservationDb.transaction((trx) => copy.handle(envelope(scheduleId, [3, 4, 5], 200), trx)),
      ]);
      const seats: Array<{ seat_id: number; price: number }> = await db()('catalogue_seats').where({ schedule_id: scheduleId }).orderBy('seat_id');
      expect([
        ['1:100', '2:100', '3:100'],
        ['3:200', '4:200', '5:200'],
      ]).to.deep.include(seats.map((s) => `${s.seat_id}:${s.price}`));
    }
    // On PostgreSQL the two did overlap: the later writer of the schedule row ran again on a fresh snapshot.
    if (onPostgres) expect(retries).to.include('serialization_failure');
  });
});
