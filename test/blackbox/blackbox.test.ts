import { expect } from 'chai';
import { freePort, type Reply, ServerProcess } from '../e2e/server-process';
import { decodedBody, TestSmtp } from '../notification/notification-kit';
import { ADMIN, tempDataDir } from '../support/test-app';
import { onPostgres } from '../support/test-backend';
import { freshNamespace, natsUrl, requireBroker } from '../support/test-broker';
import { freshRedisNamespace, redisUrl, requireRedis, trackRedisNamespace } from '../support/test-redis';

/**
 * The product over HTTP only, with real time, against a base URL: the same tests for the
 * monolith (`npm start`) and, with a broker, the split topology (`TOPOLOGY=split npm start`: a
 * gateway and one process per module). Nothing here knows which one it talks to.
 */
const SETTINGS: Record<string, string> = {
  JWT_SECRET: 'blackbox-secret-blackbox-secret-0123456',
  TICKET_SECRET: 'blackbox-ticket-secret-blackbox-ticket-01',
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  QUEUE_ADMIT_PER_SECOND: '10000',
  QUEUE_POLL_THROTTLE: 'false',
};

const targets: Array<{ name: string; env: () => Record<string, string>; needsBroker: boolean; needsRedis?: boolean; needsPostgres?: boolean }> = [
  { name: 'the monolith (npm start)', env: () => ({}), needsBroker: false },
  {
    name: 'the split topology (TOPOLOGY=split: a gateway, one process per module, NATS JetStream)',
    env: () => ({ TOPOLOGY: 'split', NATS_URL: natsUrl!, BUS_NAMESPACE: freshNamespace() }),
    needsBroker: true,
  },
  {
    name: 'the monolith with the waiting room on Redis (QUEUE_STORE=redis)',
    env: () => ({ QUEUE_STORE: 'redis', REDIS_URL: redisUrl!, BUS_NAMESPACE: freshRedisNamespace() }),
    needsBroker: false,
    needsRedis: true,
  },
  {
    name: 'the split topology with two queue replicas on Redis (QUEUE_REPLICAS=2, PostgreSQL)',
    env: () => ({
      TOPOLOGY: 'split',
      NATS_URL: natsUrl!,
      BUS_NAMESPACE: trackRedisNamespace(freshNamespace()),
      QUEUE_STORE: 'redis',
      REDIS_URL: redisUrl!,
      QUEUE_REPLICAS: '2',
    }),
    needsBroker: true,
    needsRedis: true,
    needsPostgres: true,
  },
];

for (const target of targets) {
  describe(`black box: ${target.name}`, function () {
    this.timeout(120_000);
    let server: ServerProcess;
    let admin: Record<string, string>;
    let smtp: TestSmtp | undefined;

    before(async function () {
      if (target.needsBroker) requireBroker(this);
      // Queue replicas need PostgreSQL (the SQLite pass leaves them to the PostgreSQL pass).
      if (target.needsPostgres && !onPostgres) return this.skip();
      if (target.needsRedis) await requireRedis(this);
      // A real SMTP server in this process catches what the system e-mails.
      smtp = await TestSmtp.start();
      const mail = { SMTP_URL: smtp.url, MAIL_FROM: 'Black Box Tickets <tickets@blackbox.test>' };
      server = new ServerProcess({ ...SETTINGS, ...mail, DATA_DIR: tempDataDir(), ...target.env() }, await freePort(), { quiet: true });
      await server.start();
      admin = await loginAs(ADMIN.email, ADMIN.password);
    });
    afterEach(function () {
      // What the server logged says why, where the client saw only a 500 or a timeout.
      if (this.currentTest?.state === 'failed' && server) console.error(server.logTail());
    });
    after(async () => {
      await server?.stop();
      await smtp?.stop();
    });

    const call = (method: string, url: string, headers: Record<string, string> = {}, body?: unknown): Promise<Reply> => server.call(method, url, headers, body);

    async function loginAs(email: string, password: string): Promise<Record<string, string>> {
      const res = await call('POST', '/auth/login', {}, { email, password });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return { Authorization: `Bearer ${res.body.accessToken}` };
    }

    let users = 0;
    /** A new user, admitted through the waiting room: its token and its queue pass. */
    async function buyer(): Promise<{ auth: Record<string, string>; withPass: Record<string, string>; email: string }> {
      const { auth, email } = await signedUp();
      return { ...(await admitted(auth)), email };
    }

    async function newUser(): Promise<Record<string, string>> {
      return (await signedUp()).auth;
    }

    async function signedUp(): Promise<{ auth: Record<string, string>; email: string }> {
      users += 1;
      const email = `bb-${process.pid}-${users}-${Date.now()}@test.local`;
      expect((await call('POST', '/auth/signup', {}, { email, password: 'password-123', name: 'buyer' })).status).to.equal(201);
      return { auth: await loginAs(email, 'password-123'), email };
    }

    /** Through the default waiting room. */
    async function admitted(auth: Record<string, string>): Promise<{ auth: Record<string, string>; withPass: Record<string, string> }> {
      let status = (await call('POST', '/queue/token', auth)).body;
      for (let i = 0; i < 100 && status.status !== 'ACTIVE'; i += 1) {
        await pause(50);
        status = (await call('GET', '/queue/status', { ...auth, 'X-Queue-Token': status.token })).body;
      }
      expect(status.status).to.equal('ACTIVE');
      return { auth, withPass: { ...auth, 'X-Queue-Pass': status.pass.token } };
    }

    /** A concert of `seats` seats at `price`, once its catalogue has reached the reservations (one seat held to find out). */
    async function concert(seats: number, price = 30_000): Promise<{ concertId: number; scheduleId: number; seatIds: number[] }> {
      const res = await call('POST', '/admin/concerts', admin, {
        title: 'Black Box Live',
        artist: 'The Testers',
        venue: 'Hall',
        schedules: [{ startsAt: '2031-01-01T19:00:00.000Z', seats: Array.from({ length: seats + 1 }, (_, i) => ({ label: `A-${i + 1}`, price })) }],
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      const scheduleId = res.body.schedules[0].id as number;
      const [probe, ...seatIds] = res.body.schedules[0].seats.map((s: { id: number }) => s.id) as number[];
      const scout = await buyer();
      await until(async () => (await call('POST', '/ticketing/reservations/new', scout.withPass, { scheduleId, seatId: probe })).status === 201);
      return { concertId: res.body.id as number, scheduleId, seatIds };
    }

    async function charge(auth: Record<string, string>, amount: number, key = `charge-${Math.random()}`): Promise<Reply> {
      return call('POST', '/payments/charge', { ...auth, 'Idempotency-Key': key }, { amount });
    }

    /** The payment module learns of a hold through an event: pay once it has. */
    async function pay(withPass: Record<string, string>, reservationId: number): Promise<Reply> {
      let res = await call('POST', '/payments/process', withPass, { reservationId });
      for (let i = 0; i < 50 && res.status === 404; i += 1) {
        await pause(100);
        res = await call('POST', '/payments/process', withPass, { reservationId });
      }
      return res;
    }

    async function seatStatus(withPass: Record<string, string>, scheduleId: number, seatId: number): Promise<string | undefined> {
      const seats = await call('GET', `/ticketing/search/schedules/${scheduleId}/seats`, withPass);
      expect(seats.status, JSON.stringify(seats.body)).to.equal(200);
      return seats.body.items.find((s: { id: number }) => s.id === seatId)?.status;
    }

    async function balance(auth: Record<string, string>): Promise<number> {
      return (await call('GET', '/balance', auth)).body.balance;
    }

    it('a whole purchase: hold, charge, pay, then CONFIRMED by events (one waiting GET), the seat SOLD', async () => {
      const { scheduleId, seatIds } = await concert(2);
      const { auth, withPass } = await buyer();
      const hold = await call('POST', '/ticketing/reservations/new', withPass, { scheduleId, seatId: seatIds[0] });
      expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
      await until(async () => (await charge(auth, 30_000)).status === 200);
      const paid = await pay(withPass, hold.body.id);
      expect(paid.status, JSON.stringify(paid.body)).to.equal(200);
      const confirmed = await call('GET', `/ticketing/reservations/${hold.body.id}`, {
        ...auth,
        'If-None-Match': hold.headers.get('etag') ?? '',
        Prefer: 'wait=10',
      });
      expect(confirmed.body.status).to.equal('CONFIRMED');
      // The buyer's pass ended with the purchase (a visit that bought cannot browse on): another visitor looks.
      const viewer = await buyer();
      await until(async () => (await seatStatus(viewer.withPass, scheduleId, seatIds[0])) === 'SOLD');
      expect((await call('GET', `/ticketing/search/schedules/${scheduleId}/seats`, withPass)).body.code).to.equal('QUEUE_PASS_INVALID');
      expect(await balance(auth)).to.equal(0);
    });

    it('the orchestrated confirm: COMPLETED with PAY, CONFIRM, NOTIFY; without the points, 402 and the saga FAILED', async () => {
      const { scheduleId, seatIds } = await concert(2);
      const { auth, withPass } = await buyer();
      const [first, second] = await Promise.all(seatIds.map((seatId) => call('POST', '/ticketing/reservations/new', withPass, { scheduleId, seatId })));
      expect([first.status, second.status]).to.deep.equal([201, 201]);
      await until(async () => (await charge(auth, 30_000)).status === 200);
      let done = await call('POST', '/ticketing/reservations/confirm', withPass, { reservationId: first.body.id });
      for (let i = 0; i < 50 && done.status === 404; i += 1) {
        await pause(100);
        done = await call('POST', '/ticketing/reservations/confirm', withPass, { reservationId: first.body.id });
      }
      if (done.status === 202) {
        await until(async () => (await call('GET', `/ticketing/sagas/${done.body.saga.id}`, auth)).body.status === 'COMPLETED');
      } else expect(done.status, JSON.stringify(done.body)).to.equal(200);
      const saga = await call('GET', `/ticketing/sagas/${done.body.saga.id}`, auth);
      expect(saga.body.status).to.equal('COMPLETED');
      expect((await call('GET', `/ticketing/reservations/${first.body.id}`, auth)).body.status).to.equal('CONFIRMED');

      const broke = await call('POST', '/ticketing/reservations/confirm', withPass, { reservationId: second.body.id });
      expect(broke.status, JSON.stringify(broke.body)).to.equal(402);
      expect((await call('GET', `/ticketing/reservations/${second.body.id}`, auth)).body.status).to.equal('HELD');
      expect(await balance(auth)).to.equal(0);
    });

    it('cancelling a CONFIRMED reservation frees the seat and refunds the points', async () => {
      const { scheduleId, seatIds } = await concert(1);
      const { auth, withPass } = await buyer();
      const hold = await call('POST', '/ticketing/reservations/new', withPass, { scheduleId, seatId: seatIds[0] });
      await until(async () => (await charge(auth, 30_000)).status === 200);
      expect((await pay(withPass, hold.body.id)).status).to.equal(200);
      await until(async () => (await call('GET', `/ticketing/reservations/${hold.body.id}`, auth)).body.status === 'CONFIRMED');
      const cancel = await call('POST', `/ticketing/reservations/${hold.body.id}/cancel`, auth);
      expect(cancel.status, JSON.stringify(cancel.body)).to.equal(200);
      await until(async () => (await balance(auth)) === 30_000);
      const viewer = await buyer();
      await until(async () => (await seatStatus(viewer.withPass, scheduleId, seatIds[0])) === 'AVAILABLE');
    });

    it('one Idempotency-Key: the repeat gets the first answer and the card is charged once', async () => {
      const { auth } = await buyer();
      let first = await charge(auth, 12_345, 'same-key');
      for (let i = 0; i < 50 && first.status === 404; i += 1) {
        await pause(100);
        first = await charge(auth, 12_345, 'same-key');
      }
      expect(first.status, JSON.stringify(first.body)).to.equal(200);
      const again = await charge(auth, 12_345, 'same-key');
      expect(again.status).to.equal(200);
      expect(again.body).to.deep.equal(first.body);
      expect(await balance(auth)).to.equal(12_345);
    });

    it('50 buyers race for one seat: one 201, 49 × 409 SEAT_UNAVAILABLE, one live hold', async () => {
      const { scheduleId, seatIds } = await concert(1);
      const buyers = await Promise.all(Array.from({ length: 50 }, () => buyer()));
      const answers = await Promise.all(buyers.map((b) => call('POST', '/ticketing/reservations/new', b.withPass, { scheduleId, seatId: seatIds[0] })));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses.filter((s) => s === 201)).to.have.length(1);
      expect(statuses.filter((s) => s === 409)).to.have.length(49);
      expect(answers.filter((a) => a.status === 409).every((a) => a.body.code === 'SEAT_UNAVAILABLE')).to.equal(true);
    });

    it('a purchase ends with a notification and an e-mail carrying the e-ticket, which admits once at the door and is then not refunded', async () => {
      const { scheduleId, seatIds } = await concert(1);
      const { auth, withPass, email } = await buyer();
      const hold = await call('POST', '/ticketing/reservations/new', withPass, { scheduleId, seatId: seatIds[0] });
      expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
      await until(async () => (await charge(auth, 30_000)).status === 200);
      expect((await pay(withPass, hold.body.id)).status).to.equal(200);
      let reservation = await call('GET', `/ticketing/reservations/${hold.body.id}`, auth);
      await until(async () => {
        reservation = await call('GET', `/ticketing/reservations/${hold.body.id}`, auth);
        return reservation.body.status === 'CONFIRMED';
      });
      const code = reservation.body.ticket.code as string;
      expect(reservation.body.ticket.qrSvg).to.match(/^<svg/);

      // In-app: the buyer's notification, in Korean (the default), with the ticket.
      let notifications = await call('GET', '/notifications', auth);
      await until(async () => {
        notifications = await call('GET', '/notifications', auth);
        return notifications.body.items?.length === 1;
      });
      expect(notifications.body.items[0]).to.include({ type: 'CONFIRMED', reservationId: hold.body.id, ticketCode: code });
      expect(notifications.body.items[0].title).to.include('Black Box Live');

      // By e-mail, caught by the test's SMTP server.
      await until(async () => smtp!.to(email).length === 1);
      const mail = smtp!.to(email)[0];
      expect(mail.from).to.equal('tickets@blackbox.test');
      expect(decodedBody(mail.raw)).to.include(code).and.include('Black Box Live');

      // At the door: a STAFF account (granted by the admin, effective at its next login) scans it once.
      const door = `door-${process.pid}-${Date.now()}@test.local`;
      const signup = await call('POST', '/auth/signup', {}, { email: door, password: 'password-123', name: 'door' });
      expect((await call('POST', `/admin/users/${signup.body.id}/roles`, admin, { role: 'STAFF' })).status).to.equal(200);
      const staff = await loginAs(door, 'password-123');
      const [first, second] = [await call('POST', '/tickets/scan', staff, { code }), await call('POST', '/tickets/scan', staff, { code })];
      expect(first.status, JSON.stringify(first.body)).to.equal(200);
      expect(first.body).to.include({ reservationId: hold.body.id });
      expect(second.status).to.equal(409);
      expect(second.body).to.include({ code: 'TICKET_ALREADY_USED', firstUsedAt: first.body.admittedAt });
      expect((await call('POST', '/tickets/scan', auth, { code })).status).to.equal(403);
      // The door's admission reaches the reservation (its history says so): a used ticket is not refunded.
      await until(async () => {
        const history = await call('GET', `/ticketing/reservations/${hold.body.id}/history`, auth);
        return history.body.items?.some((e: { type: string }) => e.type === 'TicketUsed');
      });
      const cancel = await call('POST', `/ticketing/reservations/${hold.body.id}/cancel`, auth);
      expect(cancel.status, JSON.stringify(cancel.body)).to.equal(409);
      expect(cancel.body).to.include({ code: 'TICKET_ALREADY_USED', admittedAt: first.body.admittedAt });
    });

    it('an on-sale: a room opening soon, a pre-queue, the opening gives each a place, an admitted fan holds a seat of that concert only', async () => {
      const onSale = await concert(3);
      const other = await concert(1);
      const opensAtMs = Date.now() + 3000;
      const createRoom = () =>
        call('POST', '/admin/queue/rooms', admin, {
          concertId: onSale.concertId,
          opensAt: new Date(opensAtMs).toISOString(),
          maxActive: 100,
          admitPerSecond: 100,
        });
      let room = await createRoom();
      // A concert reaches the waiting room by its event: until then the room is refused, 404 CONCERT_NOT_FOUND.
      await until(async () => {
        if (room.status === 404 && room.body.code === 'CONCERT_NOT_FOUND') room = await createRoom();
        return room.status !== 404;
      });
      expect(room.status, JSON.stringify(room.body)).to.equal(201);
      expect(room.body.state).to.equal('SCHEDULED');
      const fans = await Promise.all(Array.from({ length: 8 }, () => newUser()));
      const joined = await Promise.all(fans.map((auth) => call('POST', '/queue/token', auth, { concertId: onSale.concertId })));
      for (const j of joined) {
        expect(j.status, JSON.stringify(j.body)).to.equal(201);
        expect(j.body).to.include({ status: 'PRE_QUEUE', position: 0, opensAt: new Date(opensAtMs).toISOString() });
      }
      // The opening: every fan gets a place (all are let in: 100 slots).
      const passes: string[] = [];
      for (const [i, auth] of fans.entries()) {
        let t = joined[i].body;
        for (let k = 0; k < 200 && t.status !== 'ACTIVE'; k += 1) {
          await pause(50);
          t = (await call('GET', '/queue/status', { ...auth, 'X-Queue-Token': t.token })).body;
        }
        expect(t.status, JSON.stringify(t)).to.equal('ACTIVE');
        expect(t.token).to.equal(joined[i].body.token);
        passes.push(t.pass.token);
      }
      expect(Date.now()).to.be.at.least(opensAtMs);
      const fan = { ...fans[0], 'X-Queue-Pass': passes[0] };
      const hold = await call('POST', '/ticketing/reservations/new', fan, { scheduleId: onSale.scheduleId, seatId: onSale.seatIds[0] });
      expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
      // The same pass opens nothing of another concert.
      const elsewhere = await call('GET', `/ticketing/search/schedules/${other.scheduleId}/seats`, fan);
      expect(elsewhere.status).to.equal(403);
      expect(elsewhere.body.code).to.equal('QUEUE_PASS_INVALID');
      const otherHold = await call('POST', '/ticketing/reservations/new', fan, { scheduleId: other.scheduleId, seatId: other.seatIds[0] });
      expect(otherHold.body.code).to.equal('QUEUE_PASS_INVALID');
      const rooms = await call('GET', '/admin/queue/rooms', admin);
      expect(rooms.body.items.find((r: { id: number }) => r.id === room.body.id)).to.include({ state: 'OPEN', preQueue: 0 });
    });

    it('lists dead letters across the system for an admin, and refuses anyone else', async () => {
      const list = await call('GET', '/admin/events/dead', admin);
      expect(list.status).to.equal(200);
      expect(list.body.items).to.be.an('array');
      expect((await call('GET', '/admin/events/dead')).status).to.equal(401);
      expect((await call('POST', '/admin/events/dead/payment:999999/retry', admin)).status).to.equal(404);
    });
  });
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await pause(100);
  }
}
