import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { ManualClock } from '../../src/platform/clock/clock';
import { IdempotencyStore, type IdempotentCall } from '../../src/platform/idempotency/idempotency-store';
import { INCARNATION_LEASE_MS } from '../../src/platform/idempotency/process-incarnations';
import { PLATFORM } from '../../src/platform/platform.di-tokens';
import { chargeOk, holdFor } from '../payment/payment-kit';
import { hold, publishSchedule } from '../reservation/reservation-kit';
import { createTestApp, queuePassFor, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';

/**
 * Keys in flight and what a crash leaves of them, and the rule that makes a repeat after any
 * crash safe: a keyed route's answer (or what it started) commits in the transaction of its effect.
 */
describe('Idempotency-Key: keys left in flight', () => {
  let app: TestApp;
  let user: TestUser;
  before(async () => {
    app = await createTestApp({ env: { MODULES: 'auth,payment' } });
    user = await signupAndLogin(app.http);
  });
  after(async () => app.stop());

  const keys = () => app.platform.database('payment').knex('idempotency_keys');
  const incarnations = () => app.platform.database('payment').knex('process_incarnations');
  /** A key row as a process would leave it, cut off while charging `amount`. */
  const leftInFlight = async (key: string, amount: number, owner: string) =>
    keys().insert({
      user_id: user.id,
      idempotency_key: key,
      route: 'POST /payments/charge',
      fingerprint: IdempotencyStore.fingerprint('post', '/payments/charge', { amount }),
      state: 'IN_FLIGHT',
      owner,
      created_at_ms: app.clock.now(),
    });
  const charge = (key: string, amount: number) => app.http.post('/payments/charge').set(user.auth).set('Idempotency-Key', key).send({ amount });

  it('records the incarnation serving a key, and this process as alive', async () => {
    const live = await incarnations().where({ id: app.platform.incarnationId }).first();
    expect(live).to.include({ slot: 'auth,payment', stopped_at_ms: null });
  });

  it('lets a repeat proceed at once when the key was left by a process that is gone', async () => {
    // A process that never registered here, or one replaced by a newer incarnation of its slot (a restart).
    const replaced = randomUUID();
    await incarnations().insert({
      id: replaced,
      slot: 'auth,payment',
      started_at_ms: app.clock.now() - 1000,
      heartbeat_at_ms: app.clock.now(),
      stopped_at_ms: app.clock.now(),
    });
    for (const [key, owner] of [
      ['left-by-unknown', randomUUID()],
      ['left-by-replaced', replaced],
    ]) {
      await leftInFlight(key, 1_000, owner);
      const res = await charge(key, 1_000);
      expect(res.status, key).to.equal(200);
      expect((await keys().where({ user_id: user.id, idempotency_key: key }).first()).state).to.equal('DONE');
    }
  });

  it('answers 409 while another live process holds the key, and lets the repeat proceed once its lease has run out', async () => {
    const other = randomUUID();
    await incarnations().insert({
      id: other,
      slot: 'payment-replica-2',
      started_at_ms: app.clock.now(),
      heartbeat_at_ms: app.clock.now(),
      stopped_at_ms: null,
    });
    await leftInFlight('held-by-live', 2_000, other);
    const blocked = await charge('held-by-live', 2_000);
    expect(blocked.status).to.equal(409);
    expect(blocked.body.code).to.equal('IDEMPOTENCY_IN_FLIGHT');
    (app.clock as ManualClock).advance(INCARNATION_LEASE_MS + 1);
    await app.platform.runJob('payment', 'incarnation-heartbeat');
    expect((await charge('held-by-live', 2_000)).status).to.equal(200);
  });

  it('rolls back the effect of a request whose key was taken over while it worked', async () => {
    const store = app.platform.container('payment').get<IdempotencyStore>(PLATFORM.Idempotency);
    const db = app.platform.database('payment');
    let attempt: Promise<unknown> | null = null;
    await store
      .run(user.id, 'fenced', 'POST /test', 'f', async (call: IdempotentCall) => {
        attempt = db.transaction(async (trx) => {
          await trx('process_incarnations').insert({ id: 'effect-marker', slot: 'marker', started_at_ms: 0, heartbeat_at_ms: 0 });
          // Another process takes the key over (this one looked dead to it).
          await trx('idempotency_keys').where({ user_id: user.id, idempotency_key: 'fenced' }).update({ owner: randomUUID() });
          await call.complete(trx, { status: 200, body: { ok: true } });
        });
        await attempt;
        return { status: 200 };
      })
      .catch(() => undefined);
    await attempt!.then(
      () => expect.fail('the transaction should have failed'),
      (err: Error) => expect(err.name).to.equal('KeyTakenOverError'),
    );
    expect(await incarnations().where({ id: 'effect-marker' }).first(), 'the effect was rolled back').to.equal(undefined);
  });

  it('refuses a key that is not 1 to 255 printable ASCII characters', async () => {
    for (const key of ['', 'x'.repeat(256), 'clé', 'tab\there']) {
      const res = await app.http.post('/payments/charge').set(user.auth).set('Idempotency-Key', key).send({ amount: 1 });
      expect(res.status, JSON.stringify(key)).to.equal(400);
      expect(res.body.errors[0].field).to.equal('headers.idempotency-key');
    }
  });
});

describe('Idempotency-Key: the answer commits with the effect', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
  });
  after(async () => app.stop());

  /** Makes the database refuse writing what the key records, as a crash between the two would leave it. */
  async function refusing<T>(module: 'payment' | 'reservation', condition: string, work: () => Promise<T>): Promise<T> {
    const db = app.platform.database(module);
    if (db.dialect === 'postgres') {
      await db.knex.raw("create or replace function refuse_key() returns trigger language plpgsql as $$ begin raise exception 'injected failure'; end $$");
      await db.knex.raw(`create trigger refuse_key before update on idempotency_keys for each row when (${condition}) execute function refuse_key()`);
    } else {
      await db.knex.raw(`CREATE TRIGGER refuse_key BEFORE UPDATE ON idempotency_keys WHEN ${condition} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    }
    try {
      return await work();
    } finally {
      await db.knex.raw(db.dialect === 'postgres' ? 'drop trigger refuse_key on idempotency_keys' : 'DROP TRIGGER refuse_key');
    }
  }

  it('charge (built-in gateway): no stored answer, no points; the repeat charges once', async () => {
    const user = await signupAndLogin(app.http);
    const send = () => app.http.post('/payments/charge').set(user.auth).set('Idempotency-Key', 'c-1').send({ amount: 5_000 });
    const failed = await refusing('payment', "NEW.state = 'DONE'", send);
    expect(failed.status).to.equal(500);
    expect((await app.http.get('/balance').set(user.auth)).body.balance, 'nothing credited without the answer').to.equal(0);
    const repeat = await send();
    expect(repeat.status).to.equal(200);
    expect(repeat.body.balance).to.equal(5_000);
    expect(await app.platform.database('payment').knex('ledger_entries').where({ user_id: user.id })).to.have.length(1);
  });

  it('pay: no stored answer, no payment; the repeat pays once', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 50_000);
    const reservationId = await holdFor(app, user.id, 20_000);
    const send = () =>
      app.http.post('/payments/process').set(user.auth).set(queuePassFor(app.platform, user.id)).set('Idempotency-Key', 'p-1').send({ reservationId });
    const failed = await refusing('payment', "NEW.state = 'DONE'", send);
    expect(failed.status).to.equal(500);
    expect(await app.platform.database('payment').knex('payments').where({ reservation_id: reservationId })).to.have.length(0);
    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(50_000);
    const repeat = await send();
    expect(repeat.status, JSON.stringify(repeat.body)).to.equal(200);
    expect(repeat.body).to.include({ status: 'PAID', balance: 30_000 });
  });

  it('pay: a refusal is stored in the same transaction that decided it', async () => {
    const user = await signupAndLogin(app.http);
    const reservationId = await holdFor(app, user.id, 20_000);
    const send = () =>
      app.http.post('/payments/process').set(user.auth).set(queuePassFor(app.platform, user.id)).set('Idempotency-Key', 'p-2').send({ reservationId });
    expect((await send()).status).to.equal(402);
    await chargeOk(app, user, 50_000);
    const replayed = await send();
    expect(replayed.status).to.equal(402);
    expect(replayed.headers['idempotent-replayed']).to.equal('true');
  });

  it('confirm: no saga is started unless its id is recorded for the key; the repeat starts one and waits for it', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const schedule = await publishSchedule(app, 2, 30_000);
    const held = await hold(app, user, { scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId });
    expect(held.status).to.equal(201);
    const send = () =>
      app.http
        .post('/ticketing/reservations/confirm')
        .set(user.auth)
        .set(queuePassFor(app.platform, user.id))
        .set('Idempotency-Key', 'cf-1')
        .send({ reservationId: held.body.id });
    const failed = await refusing('reservation', 'NEW.resume_ref IS NOT NULL', send);
    expect(failed.status).to.equal(500);
    expect(await app.platform.database('reservation').knex('confirm_sagas').where({ reservation_id: held.body.id })).to.have.length(0);
    const repeat = await send();
    expect(repeat.status, JSON.stringify(repeat.body)).to.equal(200);
    expect(repeat.body.saga.status).to.equal('COMPLETED');
    expect(await app.platform.database('reservation').knex('confirm_sagas').where({ reservation_id: held.body.id })).to.have.length(1);
  });

  it('confirm: a repeat of a request cut off after the saga started waits for that saga instead of refusing a confirmed reservation', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const schedule = await publishSchedule(app, 2, 30_000);
    const held = await hold(app, user, { scheduleId: schedule.scheduleId, seatId: schedule.seats[1].seatId });
    const send = () =>
      app.http
        .post('/ticketing/reservations/confirm')
        .set(user.auth)
        .set(queuePassFor(app.platform, user.id))
        .set('Idempotency-Key', 'cf-2')
        .send({ reservationId: held.body.id });
    // The first request's answer could not be stored after the saga completed (as if its process died then).
    const first = await refusing('reservation', "NEW.state = 'DONE'", send);
    expect(first.status).to.equal(500);
    const key = await app.platform.database('reservation').knex('idempotency_keys').where({ user_id: user.id, idempotency_key: 'cf-2' }).first();
    expect(key).to.include({ state: 'IN_FLIGHT' });
    expect(key.resume_ref).to.be.a('string');
    const repeat = await send();
    expect(repeat.status, JSON.stringify(repeat.body)).to.equal(200);
    expect(repeat.body.saga.id).to.equal(key.resume_ref);
    expect(repeat.body.reservation.status).to.equal('CONFIRMED');
  });
});
