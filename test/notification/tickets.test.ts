import { expect } from 'chai';
import type { ManualClock } from '../../src/platform/clock/clock';
import { TicketCodes } from '../../src/platform/tickets/ticket-codes';
import { createTestApp, eventually, loginAdmin, signupAndLogin, type TestApp } from '../support/test-app';
import { notificationsOf, purchase, staffUser } from './notification-kit';

describe('e-tickets at the door: POST /tickets/scan', function () {
  this.timeout(20_000);
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(async () => app.stop());

  async function ticketOf(p: Awaited<ReturnType<typeof purchase>>): Promise<string> {
    const res = await app.http.get(`/ticketing/reservations/${p.reservationId}`).set(p.buyer.auth);
    return res.body.ticket.code;
  }

  it('admits the holder once, naming concert, schedule, seat and holder; the second scan is 409 TICKET_ALREADY_USED with the first time', async () => {
    const p = await purchase(app, { title: 'Door Night', name: 'Holder Kim' });
    await eventually(async () => (await notificationsOf(app, p.buyer)).items.length === 1, app.platform);
    const code = await ticketOf(p);
    const staff = await staffUser(app);
    const first = await app.http.post('/tickets/scan').set(staff.auth).send({ code });
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect(first.body).to.deep.include({
      reservationId: p.reservationId,
      concert: { id: first.body.concert.id, title: 'Door Night', artist: 'The Notifiers', venue: 'Hall' },
      schedule: { id: p.scheduleId, startsAt: '2031-03-01T10:00:00.000Z' },
      seat: { id: p.seatId, label: p.seatLabel },
      holder: { id: p.buyer.id, name: 'Holder Kim' },
    });
    (app.clock as ManualClock).advance(60_000);
    const second = await app.http.post('/tickets/scan').set(staff.auth).send({ code });
    expect(second.status).to.equal(409);
    expect(second.body).to.include({ code: 'TICKET_ALREADY_USED', firstUsedAt: first.body.admittedAt });
  });

  it('an ADMIN may scan; a USER may not (403), nor anyone without a token (401), and the body is not read before that', async () => {
    const p = await purchase(app);
    const code = await ticketOf(p);
    expect((await app.http.post('/tickets/scan').set(p.buyer.auth).send({ code })).status).to.equal(403);
    expect((await app.http.post('/tickets/scan').send({ code })).status).to.equal(401);
    expect((await app.http.post('/tickets/scan').set(p.buyer.auth).set('content-type', 'application/json').send('{not json')).status).to.equal(403);
    const admin = await loginAdmin(app.http);
    expect((await app.http.post('/tickets/scan').set(admin.auth).send({ code })).status).to.equal(200);
  });

  it('a forged or altered code is 400 TICKET_INVALID, malformed input 400 VALIDATION_FAILED', async () => {
    const p = await purchase(app);
    const code = await ticketOf(p);
    const staff = await staffUser(app);
    const [prefix, body, signature] = code.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const otherSeat = Buffer.from(JSON.stringify({ ...claims, t: claims.t + 1 })).toString('base64url');
    const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);
    for (const forged of [`${prefix}.${otherSeat}.${signature}`, `${prefix}.${body}.${flipped}`, `TKT1.e30.${'A'.repeat(43)}`, 'hello']) {
      const res = await app.http.post('/tickets/scan').set(staff.auth).send({ code: forged });
      expect(res.status, forged).to.equal(400);
      expect(res.body.code).to.equal('TICKET_INVALID');
    }
    for (const bad of [{}, { code: 12 }, { code: 'x'.repeat(300) }, { code, extra: 1 }]) {
      const res = await app.http.post('/tickets/scan').set(staff.auth).send(bad);
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('VALIDATION_FAILED');
    }
    // None of these used the ticket up.
    expect((await app.http.post('/tickets/scan').set(staff.auth).send({ code })).status).to.equal(200);
  });

  it('a cancelled (refunded) reservation’s ticket is 409 TICKET_REVOKED', async () => {
    const p = await purchase(app);
    const code = await ticketOf(p);
    await app.http.post(`/ticketing/reservations/${p.reservationId}/cancel`).set(p.buyer.auth).expect(200);
    await eventually(async () => (await notificationsOf(app, p.buyer)).items.length === 3, app.platform);
    const staff = await staffUser(app);
    const res = await app.http.post('/tickets/scan').set(staff.auth).send({ code });
    expect(res.status).to.equal(409);
    expect(res.body.code).to.equal('TICKET_REVOKED');
    expect(res.body.revokedAt).to.be.a('string');
  });

  it('a ticket that admitted its holder is not cancelled afterwards: 409 TICKET_ALREADY_USED, no refund, the seat stays sold', async () => {
    const p = await purchase(app);
    const code = await ticketOf(p);
    const staff = await staffUser(app);
    const admitted = await app.http.post('/tickets/scan').set(staff.auth).send({ code });
    expect(admitted.status).to.equal(200);
    const balance = (await app.http.get('/balance').set(p.buyer.auth)).body.balance;
    // The door's news reaches the reservation module by the bus.
    await app.platform.bus.drain();
    const cancel = await app.http.post(`/ticketing/reservations/${p.reservationId}/cancel`).set(p.buyer.auth);
    expect(cancel.status, JSON.stringify(cancel.body)).to.equal(409);
    expect(cancel.body).to.include({ code: 'TICKET_ALREADY_USED', admittedAt: admitted.body.admittedAt });
    await app.platform.bus.drain();
    const reservation = await app.http.get(`/ticketing/reservations/${p.reservationId}`).set(p.buyer.auth);
    expect(reservation.body.status).to.equal('CONFIRMED');
    expect((await app.http.get('/balance').set(p.buyer.auth)).body.balance).to.equal(balance);
    const history = (await app.http.get(`/ticketing/reservations/${p.reservationId}/history`).set(p.buyer.auth)).body.items;
    expect(history.map((e: { type: string }) => e.type)).to.deep.equal(['HoldPlaced', 'ReservationConfirmed', 'TicketUsed']);
  });

  it('a ticket for the very same seat signed with another TICKET_SECRET does not scan', async () => {
    const p = await purchase(app);
    const other = new TicketCodes({ secret: 'another-ticket-secret-another-ticket-0123' });
    const code = other.issue({ reservationId: p.reservationId, scheduleId: p.scheduleId, seatId: p.seatId, holderId: p.buyer.id });
    expect(code).to.not.equal(await ticketOf(p));
    const staff = await staffUser(app);
    const res = await app.http.post('/tickets/scan').set(staff.auth).send({ code });
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal('TICKET_INVALID');
  });

  it('two doors scanning one ticket at the same time: exactly one is admitted', async () => {
    const p = await purchase(app);
    const code = await ticketOf(p);
    const staff = await Promise.all([staffUser(app), staffUser(app)]);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        app.http
          .post('/tickets/scan')
          .set(staff[i % 2].auth)
          .send({ code }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).to.deep.equal([200, ...Array(9).fill(409)]);
    const admitted = answers.find((a) => a.status === 200)!;
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body).to.include({ code: 'TICKET_ALREADY_USED', firstUsedAt: admitted.body.admittedAt });
    expect(await app.platform.database('notification').knex('nt_admissions').where({ reservation_id: p.reservationId })).to.have.length(1);
  });
});

describe('roles: POST /admin/users/{id}/roles', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(async () => app.stop());

  it('an admin grants STAFF (effective at the next login) and takes it back; nobody else may; an ADMIN keeps its role', async () => {
    const user = await signupAndLogin(app.http, 'door');
    const admin = await loginAdmin(app.http);
    expect((await app.http.post(`/admin/users/${user.id}/roles`).set(user.auth).send({ role: 'STAFF' })).status).to.equal(403);
    const granted = await app.http.post(`/admin/users/${user.id}/roles`).set(admin.auth).send({ role: 'STAFF' });
    expect(granted.status).to.equal(200);
    expect(granted.body).to.include({ id: user.id, role: 'STAFF' });
    const login = await app.http.post('/auth/login').send({ email: user.email, password: 'password-123' });
    const me = await app.http.get('/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`);
    expect(me.body.role).to.equal('STAFF');
    // A STAFF token is not an admin's.
    expect((await app.http.get('/admin/events/dead').set('Authorization', `Bearer ${login.body.accessToken}`)).status).to.equal(403);
    expect((await app.http.post(`/admin/users/${user.id}/roles`).set(admin.auth).send({ role: 'USER' })).body.role).to.equal('USER');
    const missing = await app.http.post('/admin/users/999999/roles').set(admin.auth).send({ role: 'STAFF' });
    expect(missing.status).to.equal(404);
    expect(missing.body.code).to.equal('USER_NOT_FOUND');
    const demote = await app.http.post(`/admin/users/${admin.id}/roles`).set(admin.auth).send({ role: 'STAFF' });
    expect(demote.status).to.equal(409);
    expect(demote.body.code).to.equal('ROLE_NOT_CHANGEABLE');
    for (const bad of [{ role: 'ADMIN' }, { role: 'STAFF', x: 1 }, {}]) {
      expect((await app.http.post(`/admin/users/${user.id}/roles`).set(admin.auth).send(bad)).status).to.equal(400);
    }
  });
});
