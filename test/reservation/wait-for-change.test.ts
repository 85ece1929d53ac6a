import { expect } from 'chai';
import { GetReservationQuery } from '../../src/modules/reservation/queries/get-reservation/get-reservation.query';
import { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';
import { hold, paymentSucceeded, publishSchedule, type TestSchedule } from './reservation-kit';

const TTL_MS = 60_000;

/**
 * GET /ticketing/reservations/:id as a long-poll: `If-None-Match` with the tag of the state the
 * client has, and `Prefer: wait`, answer as soon as the reservation changes. Every waiting test
 * asks to wait 30 s, longer than the test may run: only the change itself can end it in time.
 */
describe('reservation: waiting for a change (ETag, If-None-Match, Prefer: wait)', function () {
  this.timeout(8000);
  let app: TestApp;
  let clock: ManualClock;
  let schedule: TestSchedule;
  let alice: TestUser;
  let held: { id: number; userId: number; price: number; etag: string };

  const get = (id: number, headers: Record<string, string> = {}, user = alice) => app.http.get(`/ticketing/reservations/${id}`).set(user.auth).set(headers);
  const watching = () => app.platform.container('reservation').get(GetReservationQuery).waiting;

  beforeEach(async () => {
    clock = new ManualClock();
    app = await createTestApp({ clock, env: { HOLD_TTL_SECONDS: String(TTL_MS / 1000) } });
    schedule = await publishSchedule(app, 2);
    alice = await signupAndLogin(app.http, 'alice');
    const res = await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId });
    expect(res.status).to.equal(201);
    held = { ...res.body, etag: res.headers.etag };
  });
  afterEach(() => app.stop());

  it('tags each state: the hold answers with the ETag a GET shows, and a matching If-None-Match alone is a 304 at once', async () => {
    expect(held.etag).to.match(/^"\d+\.HELD"$/);
    const plain = await get(held.id);
    expect(plain.status).to.equal(200);
    expect(plain.headers.etag).to.equal(held.etag);
    expect(plain.headers['cache-control']).to.equal('private, no-cache');

    const unchanged = await get(held.id, { 'If-None-Match': held.etag });
    expect(unchanged.status).to.equal(304);
    expect(unchanged.headers.etag).to.equal(held.etag);
    expect(unchanged.headers['preference-applied']).to.equal(undefined);
    // Weak comparison, lists, and a tag the reservation no longer has.
    expect((await get(held.id, { 'If-None-Match': `"0.CANCELLED", W/${held.etag}` })).status).to.equal(304);
    const stale = await get(held.id, { 'If-None-Match': '"0.HELD"' });
    expect(stale.status).to.equal(200);
    expect(stale.body).to.include({ id: held.id, status: 'HELD' });
  });

  it('answers a waiting GET as soon as the payment confirms the reservation, with the new state and tag', async () => {
    const waiting = get(held.id, { 'If-None-Match': held.etag, Prefer: 'wait=30' }).then((r) => r);
    await new Promise((r) => setTimeout(r, 50));
    expect(watching()).to.equal(1);
    expect((await app.http.get('/metrics')).text).to.match(/^reservation_change_waits 1$/m);
    const { paymentId } = await paymentSucceeded(app, held);
    const res = await waiting;
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ id: held.id, status: 'CONFIRMED', paymentId });
    expect(res.headers.etag).to.match(/^"\d+\.CONFIRMED"$/);
    expect(res.headers['preference-applied']).to.equal('wait=30');
    expect(watching()).to.equal(0);
    expect((await app.http.get('/metrics')).text).to.match(/^reservation_change_waits 0$/m);
  });

  it('answers 304 with the same tag when the wait runs out with no change', async () => {
    const res = await get(held.id, { 'If-None-Match': held.etag, Prefer: 'wait=1' });
    expect(res.status).to.equal(304);
    expect(res.headers.etag).to.equal(held.etag);
    expect(res.headers['preference-applied']).to.equal('wait=1');
    expect(watching()).to.equal(0);
  });

  it('sees a hold whose time is up as EXPIRED, with a new tag, before the sweeper records it', async () => {
    clock.advance(TTL_MS + 1);
    const res = await get(held.id, { 'If-None-Match': held.etag, Prefer: 'wait=30' });
    expect(res.status).to.equal(200);
    expect(res.body.status).to.equal('EXPIRED');
    expect(res.headers.etag).to.not.equal(held.etag);
  });

  it('keeps another user’s reservation hidden (404) however the request is conditioned, and leaves no watch behind', async () => {
    const bob = await signupAndLogin(app.http, 'bob');
    const res = await get(held.id, { 'If-None-Match': held.etag, Prefer: 'wait=30' }, bob);
    expect(res.status).to.equal(404);
    expect(res.body.code).to.equal('RESERVATION_NOT_FOUND');
    expect(watching()).to.equal(0);
  });

  it('ignores a Prefer it cannot read: no wait, an ordinary conditional GET', async () => {
    const res = await get(held.id, { 'If-None-Match': held.etag, Prefer: 'wait=soon' });
    expect(res.status).to.equal(304);
    expect(res.headers['preference-applied']).to.equal(undefined);
  });

  it('ends every wait when the server stops, so shutdown is not held up by long-polls', async () => {
    const waiting = get(held.id, { 'If-None-Match': held.etag, Prefer: 'wait=30' }).then((r) => r);
    await new Promise((r) => setTimeout(r, 50));
    expect(watching()).to.equal(1);
    const stopped = app.stop();
    const res = await waiting;
    await stopped;
    expect(res.status).to.equal(304);
    expect(res.headers.etag).to.equal(held.etag);
  });
});
