import { expect } from 'chai';
import type { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, eventually, queuePassFor, signupAndLogin, type TestApp } from '../support/test-app';
import { createConcert, notificationsOf, purchase } from './notification-kit';

describe('notifications: one per event, in the buyer’s language', function () {
  this.timeout(20_000);
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(async () => app.stop());

  it('a purchase ends with a confirmation naming concert, schedule, seat and amount, with the e-ticket', async () => {
    const { buyer, reservationId, seatLabel } = await purchase(app, { locale: 'en', title: 'Moonlight Sonata' });
    await eventually(async () => (await notificationsOf(app, buyer)).items.length === 1, app.platform);
    const [n] = (await notificationsOf(app, buyer)).items;
    expect(n).to.include({ type: 'CONFIRMED', reservationId });
    expect(n.title).to.equal('Your booking is confirmed: Moonlight Sonata (The Notifiers)');
    expect(n.body).to.include(`Seat: ${seatLabel}`).and.include('KRW 30,000').and.include('1 March 2031');
    const reservation = await app.http.get(`/ticketing/reservations/${reservationId}`).set(buyer.auth);
    expect(reservation.body.ticket.code).to.match(/^TKT1\./);
    expect(reservation.body.ticket.qrSvg).to.match(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(n.ticketCode).to.equal(reservation.body.ticket.code);
    expect(n.body).to.include(reservation.body.ticket.code);
    expect(n).to.not.have.property('readAt');
    // Without SMTP_URL nothing is e-mailed, then or later.
    expect((await app.http.get('/metrics')).text).to.match(/^notification_emails\{state="DISABLED"\} 1$/m);
  });

  it('writes Korean by default', async () => {
    const { buyer } = await purchase(app);
    await eventually(async () => (await notificationsOf(app, buyer)).items.length === 1, app.platform);
    const [n] = (await notificationsOf(app, buyer)).items;
    expect(n.title).to.match(/^예매가 확정되었습니다/);
    expect(n.body).to.include('30,000원');
  });

  it('refuses an unknown locale at signup', async () => {
    const res = await app.http.post('/auth/signup').send({ email: 'x@test.local', password: 'password-123', name: 'X', locale: 'fr' });
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal('VALIDATION_FAILED');
  });

  it('cancelling the confirmed reservation adds a cancellation and a refund, newest first; the GET loses its ticket', async () => {
    const { buyer, reservationId } = await purchase(app, { locale: 'en' });
    expect((await app.http.post(`/ticketing/reservations/${reservationId}/cancel`).set(buyer.auth)).status).to.equal(200);
    await eventually(async () => (await notificationsOf(app, buyer)).items.length === 3, app.platform);
    const types = (await notificationsOf(app, buyer)).items.map((n) => n.type);
    expect(types.slice(0, 2).sort()).to.deep.equal(['CANCELLED', 'REFUNDED']);
    expect(types[2]).to.equal('CONFIRMED');
    const refund = (await notificationsOf(app, buyer)).items.find((n) => n.type === 'REFUNDED')!;
    expect(refund.body).to.include('Refunded: KRW 30,000');
    const reservation = await app.http.get(`/ticketing/reservations/${reservationId}`).set(buyer.auth);
    expect(reservation.body.status).to.equal('CANCELLED');
    expect(reservation.body).to.not.have.property('ticket');
  });

  it('a hold that runs out is told as expired', async () => {
    const concert = await createConcert(app);
    const buyer = await signupAndLogin(app.http);
    let hold = { status: 404 } as { status: number; body?: any };
    for (let i = 0; i < 100 && hold.status === 404; i += 1) {
      await app.platform.bus.sweep();
      hold = await app.http
        .post('/ticketing/reservations/new')
        .set(buyer.auth)
        .set(queuePassFor(app.platform, buyer.id))
        .send({ scheduleId: concert.scheduleId, seatId: concert.seats[0].id });
    }
    expect(hold.status).to.equal(201);
    (app.clock as ManualClock).advance(1_800_000);
    await app.platform.runJob('reservation', 'expire-holds');
    await eventually(async () => (await notificationsOf(app, buyer)).items.length === 1, app.platform);
    const [n] = (await notificationsOf(app, buyer)).items;
    expect(n).to.include({ type: 'EXPIRED', reservationId: hold.body.id });
    expect(n.body).to.include(concert.seats[0].label);
  });

  it('pages newest first with a cursor, and marks read only the caller’s own (another’s is 404)', async () => {
    const { buyer, reservationId } = await purchase(app);
    await app.http.post(`/ticketing/reservations/${reservationId}/cancel`).set(buyer.auth).expect(200);
    await eventually(async () => (await notificationsOf(app, buyer)).items.length === 3, app.platform);
    const all = (await notificationsOf(app, buyer)).items.map((n) => n.id);
    expect(all).to.deep.equal([...all].sort((a, b) => b - a));
    const first = await notificationsOf(app, buyer, { limit: 2 });
    expect(first.items.map((n) => n.id)).to.deep.equal(all.slice(0, 2));
    expect(first.nextCursor).to.be.a('string');
    const second = await notificationsOf(app, buyer, { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((n) => n.id)).to.deep.equal(all.slice(2));
    expect(second).to.not.have.property('nextCursor');

    const other = await signupAndLogin(app.http);
    const stranger = await app.http.post(`/notifications/${all[0]}/read`).set(other.auth);
    expect(stranger.status).to.equal(404);
    expect(stranger.body.code).to.equal('NOTIFICATION_NOT_FOUND');
    const read = await app.http.post(`/notifications/${all[0]}/read`).set(buyer.auth);
    expect(read.status).to.equal(200);
    expect(read.body.readAt).to.be.a('string');
    (app.clock as ManualClock).advance(5000);
    const again = await app.http.post(`/notifications/${all[0]}/read`).set(buyer.auth);
    expect(again.body.readAt).to.equal(read.body.readAt);
    expect((await notificationsOf(app, other)).items).to.deep.equal([]);
    expect((await app.http.get('/notifications')).status).to.equal(401);
    expect((await app.http.get('/notifications').query({ limit: 0 }).set(buyer.auth)).status).to.equal(400);
    expect((await app.http.post('/notifications/abc/read').set(buyer.auth)).status).to.equal(400);
  });

  it('a redelivered event (the same outbox row again) makes no second notification', async () => {
    const { buyer, reservationId } = await purchase(app);
    await eventually(async () => (await notificationsOf(app, buyer)).items.length === 1, app.platform);
    const row = await app.platform
      .database('reservation')
      .knex('outbox')
      .where({ type: 'reservation.success', aggregate_id: String(reservationId) })
      .first();
    const reset = await app.platform.database('reservation').knex('outbox').where({ event_id: row.event_id }).update({ dispatched_at_ms: null });
    expect(reset).to.equal(1);
    (app.clock as ManualClock).advance(1000);
    await app.platform.bus.sweep();
    await app.platform.bus.drain();
    const inbox = await app.platform.database('notification').knex('inbox').where({ event_id: row.event_id, subscriber: 'notification.notify-confirmed' });
    expect(inbox).to.have.length(1);
    expect((await notificationsOf(app, buyer)).items).to.have.length(1);
  });
});
