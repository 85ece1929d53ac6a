import { expect } from 'chai';
import { systemClock } from '../../src/platform/clock/clock';
import { createTestApp, eventually, loginAdmin, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';

/** The whole product, end to end over HTTP: the flow of a purchase in the spec's section 1. */
describe('purchase journey', () => {
  let app: TestApp;
  let admin: TestUser;
  before(async () => {
    app = await createTestApp({ clock: systemClock });
    admin = await loginAdmin(app.http);
  });
  after(async () => app.stop());

  async function createConcert(seatCount: number, price = 120_000) {
    const res = await app.http
      .post('/admin/concerts')
      .set(admin.auth)
      .send({
        title: 'Journey Live',
        artist: 'The Testers',
        venue: 'Hall 1',
        schedules: [{ startsAt: '2031-01-01T19:00:00.000Z', seats: Array.from({ length: seatCount }, (_, i) => ({ label: `A-${i + 1}`, price })) }],
      });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    await app.platform.bus.drain();
    return {
      concertId: res.body.id as number,
      scheduleId: res.body.schedules[0].id as number,
      seatIds: res.body.schedules[0].seats.map((s: { id: number }) => s.id) as number[],
    };
  }

  async function admitted(user: TestUser): Promise<{ queueToken: string; pass: string }> {
    const join = await app.http.post('/queue/token').set(user.auth);
    expect([200, 201]).to.include(join.status);
    let status = join.body;
    for (let i = 0; i < 100 && status.status !== 'ACTIVE'; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await app.http.get('/queue/status').set(user.auth).set('X-Queue-Token', join.body.token)).body;
    }
    expect(status.status).to.equal('ACTIVE');
    return { queueToken: join.body.token, pass: status.pass.token };
  }

  it('takes a new user from the queue to a confirmed seat, with the seat SOLD, the token COMPLETED and the sale in the feed', async () => {
    const { concertId, scheduleId, seatIds } = await createConcert(3);
    const user = await signupAndLogin(app.http, 'buyer');
    const { queueToken, pass } = await admitted(user);
    const withPass = { ...user.auth, 'X-Queue-Pass': pass };

    const seatsBefore = await app.http.get(`/ticketing/search/schedules/${scheduleId}/seats`).set(withPass);
    expect(seatsBefore.status).to.equal(200);
    expect(seatsBefore.body.items.map((s: { status: string }) => s.status)).to.deep.equal(['AVAILABLE', 'AVAILABLE', 'AVAILABLE']);

    const hold = await app.http.post('/ticketing/reservations/new').set(withPass).send({ scheduleId, seatId: seatIds[1] });
    expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
    expect(hold.body).to.include({ status: 'HELD', userId: user.id, scheduleId, seatId: seatIds[1], price: 120_000 });

    const charge = await app.http.post('/payments/charge').set(user.auth).send({ amount: 200_000 });
    expect(charge.status).to.equal(200);
    expect(charge.body.balance).to.equal(200_000);

    // Right after the hold: the payment module may not have seen reservation.held yet, and must cope.
    const pay = await app.http.post('/payments/process').set(withPass).send({ reservationId: hold.body.id });
    expect(pay.status, JSON.stringify(pay.body)).to.equal(200);
    expect(pay.body).to.include({ reservationId: hold.body.id, amount: 120_000, status: 'PAID', balance: 80_000 });

    // The client waits for the confirmation with one long-poll instead of polling.
    const confirmed = await app.http
      .get(`/ticketing/reservations/${hold.body.id}`)
      .set(user.auth)
      .set({ 'If-None-Match': hold.headers.etag, Prefer: 'wait=30' });
    expect(confirmed.status).to.equal(200);
    const reservation = confirmed.body;
    expect(reservation).to.include({ status: 'CONFIRMED', paymentId: pay.body.paymentId });
    expect(reservation.confirmedAt).to.be.a('string');

    await eventually(
      async () => (await app.http.get('/queue/status').set(user.auth).set('X-Queue-Token', queueToken)).body.status === 'COMPLETED',
      app.platform,
    );
    // The visit is over: its pass no longer browses (the slot went to the next in line).
    await eventually(async () => (await app.http.get(`/ticketing/search/schedules/${scheduleId}/seats`).set(withPass)).status === 403, app.platform);

    // The next shopper sees the seat sold.
    const next = await signupAndLogin(app.http, 'next');
    const nextPass = { ...next.auth, 'X-Queue-Pass': (await admitted(next)).pass };
    await eventually(async () => {
      const seats = (await app.http.get(`/ticketing/search/schedules/${scheduleId}/seats`).set(nextPass)).body.items;
      return seats.find((s: { id: number }) => s.id === seatIds[1]).status === 'SOLD';
    }, app.platform);
    const schedules = (await app.http.get(`/ticketing/search/concerts/${concertId}/schedules`).set(nextPass)).body.items;
    expect(schedules[0]).to.include({ totalSeats: 3, availableSeats: 2 });

    await eventually(async () => {
      const feed = (await app.http.get(`/data-platform/reservations?concertId=${concertId}`).set(admin.auth)).body;
      return feed.items?.some((i: { reservationId: number }) => i.reservationId === hold.body.id);
    }, app.platform);
    const feed = (await app.http.get(`/data-platform/reservations?concertId=${concertId}`).set(admin.auth)).body;
    expect(feed.items.filter((i: { reservationId: number }) => i.reservationId === hold.body.id)).to.have.length(1);
    expect(feed.items[0]).to.include({ userId: user.id, scheduleId, seatId: seatIds[1], amount: 120_000 });
    expect(feed.summary).to.deep.equal({ count: 1, revenue: 120_000 });

    const history = (await app.http.get('/payments/history').set(user.auth)).body.items;
    expect(history.map((e: { type: string; amount: number; balanceAfter: number }) => [e.type, e.amount, e.balanceAfter])).to.deep.equal([
      ['PAYMENT', 120_000, 80_000],
      ['CHARGE', 200_000, 200_000],
    ]);
    const events = (await app.http.get(`/ticketing/reservations/${hold.body.id}/history`).set(user.auth)).body.items;
    expect(events.map((e: { version: number }) => e.version)).to.deep.equal(events.map((_: unknown, i: number) => i + 1));
    expect((await app.platform.bus.deadLetters()).length).to.equal(0);
  });

  it('sells a seat once when two users race to buy it', async () => {
    const { scheduleId, seatIds } = await createConcert(1, 50_000);
    const buyers = await Promise.all([signupAndLogin(app.http, 'racer'), signupAndLogin(app.http, 'racer')]);
    const passes = await Promise.all(buyers.map(admitted));
    await Promise.all(buyers.map((b) => app.http.post('/payments/charge').set(b.auth).send({ amount: 100_000 })));
    const holds = await Promise.all(
      buyers.map((b, i) =>
        app.http
          .post('/ticketing/reservations/new')
          .set({ ...b.auth, 'X-Queue-Pass': passes[i].pass })
          .send({ scheduleId, seatId: seatIds[0] }),
      ),
    );
    expect(holds.map((h) => h.status).sort()).to.deep.equal([201, 409]);
    const winner = holds.findIndex((h) => h.status === 201);
    const loser = 1 - winner;
    expect(holds[loser].body.code).to.equal('SEAT_UNAVAILABLE');
    const pays = await Promise.all(
      buyers.map((b, i) =>
        app.http
          .post('/payments/process')
          .set({ ...b.auth, 'X-Queue-Pass': passes[i].pass })
          .send({ reservationId: holds[winner].body.id }),
      ),
    );
    // Only the owner can pay for the hold, and only once.
    expect(pays[winner].status).to.equal(200);
    expect(pays[loser].status).to.equal(409);
    expect(pays[loser].body.code).to.equal('RESERVATION_NOT_PAYABLE');
    const loserBalance = (await app.http.get('/balance').set(buyers[loser].auth)).body.balance;
    expect(loserBalance).to.equal(100_000);
  });
});
