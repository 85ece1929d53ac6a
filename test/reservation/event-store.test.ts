import { expect } from 'chai';
import { ConcurrencyError, withConcurrencyRetry } from '../../src/modules/reservation/infrastructure/optimistic-concurrency';
import { ReservationRepository } from '../../src/modules/reservation/infrastructure/reservation.repository';
import { ManualClock } from '../../src/platform/clock/clock';
import { openModuleDatabase } from '../../src/platform/db/open-database';
import { DomainError } from '../../src/platform/domain/domain-error';
import { problemFor } from '../../src/platform/http/domain-problem';
import { createTestApp, signupAndLogin, type TestApp, tempDataDir } from '../support/test-app';
import { hold, publishSchedule, tableCount } from './reservation-kit';

describe('reservation: event store and optimistic concurrency', () => {
  let app: TestApp;
  let repo: ReservationRepository;
  let reservationId: number;
  let userId: number;
  let clock: ManualClock;
  let dataDir: string;

  beforeEach(async () => {
    clock = new ManualClock();
    dataDir = tempDataDir();
    app = await createTestApp({ clock, env: { DATA_DIR: dataDir } });
    repo = app.platform.container('reservation').get(ReservationRepository);
    const schedule = await publishSchedule(app, 1);
    const user = await signupAndLogin(app.http);
    const res = await hold(app, user, { scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId });
    expect(res.status).to.equal(201);
    reservationId = res.body.id;
    userId = user.id;
  });
  afterEach(() => app.stop());

  const db = () => app.platform.database('reservation');

  it('two appends at the same version: the first wins, the second fails with ConcurrencyError and writes nothing', async () => {
    const now = clock.now();
    const [a, b] = await db().transaction(async (trx) => [await repo.load(trx, reservationId), await repo.load(trx, reservationId)]);
    expect(a!.version).to.equal(1);
    a!.cancel(now);
    b!.confirm({ paymentId: 5, userId, amount: b!.state.price, sagaId: null, paidAtMs: now }, now, 60_000);

    await db().transaction((trx) => repo.save(trx, a!, now));
    let failure: unknown;
    try {
      await db().transaction((trx) => repo.save(trx, b!, now));
    } catch (err) {
      failure = err;
    }
    expect(failure).to.be.instanceOf(ConcurrencyError);
    expect((failure as ConcurrencyError).expectedVersion).to.equal(1);

    const events = await repo.history(db().direct, reservationId);
    expect(events.map((e) => [e.version, e.type])).to.deep.equal([
      [1, 'HoldPlaced'],
      [2, 'HoldCancelled'],
    ]);
    const row = await repo.findRow(db().direct, reservationId);
    expect(row).to.include({ status: 'CANCELLED', version: 2, payment_id: null });
  });

  it('a multi-event append that collides on its first version leaves no partial stream', async () => {
    const now = clock.now() + 3_600_000;
    const stale = await db().transaction((trx) => repo.load(trx, reservationId));
    // The hold is out of time (paid after it): confirming raises HoldExpired (v2) and ConfirmationFailed (v3) together.
    stale!.confirm({ paymentId: 9, userId, amount: stale!.state.price, sagaId: null, paidAtMs: now }, now, 60_000);
    expect(stale!.pendingEvents.map((e) => e.version)).to.deep.equal([2, 3]);
    const winner = await db().transaction((trx) => repo.load(trx, reservationId));
    winner!.expire(now);
    await db().transaction((trx) => repo.save(trx, winner!, now));

    let failure: unknown;
    await db()
      .transaction((trx) => repo.save(trx, stale!, now))
      .catch((err) => (failure = err));
    expect(failure).to.be.instanceOf(ConcurrencyError);
    expect((await repo.history(db().direct, reservationId)).map((e) => e.type)).to.deep.equal(['HoldPlaced', 'HoldExpired']);
    expect(await tableCount(app, 'reservation_events')).to.equal(2);
  });

  it('a conflicting append from another connection is retried on the reloaded stream, and reported when it keeps conflicting', async () => {
    // A second handle on the same database (file or server) plays another process writing to the same stream.
    const other = openModuleDatabase('reservation', app.platform.config.database);
    try {
      let attempts = 0;
      const outcome = await withConcurrencyRetry(() =>
        db().transaction(async (trx) => {
          attempts += 1;
          const mine = await repo.load(trx, reservationId);
          if (attempts === 1) {
            // Meanwhile, the other process cancels the hold (commits version 2).
            await other.transaction(async (otrx) => {
              const theirs = await repo.load(otrx, reservationId);
              theirs!.cancel(clock.now());
              await repo.save(otrx, theirs!, clock.now());
            });
          }
          const result = mine!.confirm({ paymentId: 77, userId, amount: mine!.state.price, sagaId: null, paidAtMs: clock.now() }, clock.now(), 60_000);
          await repo.save(trx, mine!, clock.now());
          return result;
        }),
      );
      expect(attempts).to.equal(2);
      // The retry decided on the latest state: the hold was cancelled, so this payment cannot confirm it.
      expect(outcome).to.deep.equal({ kind: 'failed', reason: 'RESERVATION_CANCELLED', expiredNow: false });
      expect((await repo.history(db().direct, reservationId)).map((e) => `${e.version}:${e.type}`)).to.deep.equal([
        '1:HoldPlaced',
        '2:HoldCancelled',
        '3:ConfirmationFailed',
      ]);
      expect(await repo.findRow(db().direct, reservationId)).to.include({ status: 'CANCELLED', version: 3 });

      // A conflict on every attempt is reported, never swallowed.
      let calls = 0;
      const reported = await withConcurrencyRetry(async () => {
        calls += 1;
        throw new ConcurrencyError(reservationId, 1);
      }, 3).catch((err) => err);
      expect(calls).to.equal(3);
      expect(reported).to.be.instanceOf(DomainError);
      expect(reported).to.include({ code: 'CONCURRENT_MODIFICATION' });
      // Every route that retries a load–decide–append answers it as a 409.
      const writes = app.platform.routeGroups.find((g) => g.moduleName === 'reservation')!.routes.filter((r) => r.method === 'post');
      expect(writes).to.have.length(3);
      for (const route of writes)
        expect(problemFor(reported, route.errors, route.path), route.path).to.include({ status: 409, code: 'CONCURRENT_MODIFICATION' });
    } finally {
      await other.close();
    }
  });

  it('rebuilds the same state from the events as the read model holds', async () => {
    const events = await repo.history(db().direct, reservationId);
    expect(events.map((e) => e.version)).to.deep.equal([1]);
    const rebuilt = await db().transaction((trx) => repo.load(trx, reservationId));
    const row = await repo.findRow(db().direct, reservationId);
    expect(rebuilt!.state).to.include({
      userId: row!.user_id,
      seatId: row!.seat_id,
      price: row!.price,
      status: row!.status,
      expiresAtMs: Number(row!.expires_at_ms),
    });
  });
});
