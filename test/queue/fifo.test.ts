import { expect } from 'chai';
import { eventually, loginAdmin, signupAndLogin, type TestUser } from '../support/test-app';
import {
  describeOnEachStore,
  join,
  leave,
  overview,
  poll,
  publishReservationSuccess,
  type QueueTestApp,
  queueApp,
  T0,
  type Ticket,
  tick,
} from './queue-test-kit';

const ENV = { QUEUE_MAX_ACTIVE: '2', QUEUE_ADMIT_PER_SECOND: '100', QUEUE_ACTIVE_TTL_SECONDS: '100', QUEUE_WAITING_IDLE_SECONDS: '60' };

describeOnEachStore('queue: FIFO admission and exact positions', () => {
  let app: QueueTestApp;
  let admin: TestUser;
  let users: TestUser[];
  let tickets: Ticket[];
  /** The last answer each user got from a poll. */
  let latest: Ticket[];

  /** Polls every listed user and returns `[status or position]` per user, for compact assertions. */
  async function positions(indexes: number[]): Promise<Array<string | number>> {
    const out: Array<string | number> = [];
    for (const i of indexes) {
      const t = await poll(app.http, users[i], tickets[i].token);
      out.push(t.status === 'WAITING' ? t.position : t.status);
      latest[i] = t;
    }
    return out;
  }

  beforeEach(async () => {
    app = await queueApp(ENV);
    admin = await loginAdmin(app.http);
    users = [];
    tickets = [];
    latest = [];
    for (let i = 0; i < 7; i++) users.push(await signupAndLogin(app.http, `fifo${i}`));
    // One at a time, so the arrival order is known.
    for (const u of users) tickets.push(await join(app.http, u));
  });

  afterEach(() => app.stop());

  it('admits the first arrivals up to the cap and queues the rest with exact 1-based positions', async () => {
    expect(tickets.map((t) => t.status)).to.deep.equal(['ACTIVE', 'ACTIVE', 'WAITING', 'WAITING', 'WAITING', 'WAITING', 'WAITING']);
    expect(tickets.map((t) => t.position)).to.deep.equal([0, 0, 1, 2, 3, 4, 5]);
    expect(tickets[0].pass?.token).to.be.a('string');
    expect(tickets[2].pass).to.equal(undefined);
    expect(new Set(tickets.map((t) => t.token)).size).to.equal(7);
    for (const t of tickets) expect(t.token).to.match(/^[A-Za-z0-9_-]{43}$/);

    // Asking again returns the same token and place (200), and does not move anyone.
    const again = await join(app.http, users[4], 200);
    expect(again.token).to.equal(tickets[4].token);
    expect(again.position).to.equal(3);

    // Nothing frees up, so nothing moves, however often the admission cycle runs.
    await tick(app, 10_000);
    await tick(app);
    expect(await positions([0, 1, 2, 3, 4, 5, 6])).to.deep.equal(['ACTIVE', 'ACTIVE', 1, 2, 3, 4, 5]);
    const o = await overview(app.http, admin);
    expect(o.waiting).to.equal(5);
    expect(o.active).to.equal(2);
  });

  it('moves everyone behind a leaver up by one, and a newcomer joins at the back', async () => {
    await leave(app.http, users[3], tickets[3].token);
    app.clock.advance(1000);
    expect(await positions([2, 4, 5, 6])).to.deep.equal([1, 2, 3, 4]);
    expect((await poll(app.http, users[3], tickets[3].token)).status).to.equal('EXPIRED');

    const late = await signupAndLogin(app.http, 'late');
    const lateTicket = await join(app.http, late);
    expect(lateTicket.status).to.equal('WAITING');
    expect(lateTicket.position).to.equal(5);

    // Leaving twice is harmless; the token stays ended.
    await leave(app.http, users[3], tickets[3].token);
    // A leaver asking again gets a new token at the back.
    const rejoined = await join(app.http, users[3]);
    expect(rejoined.token).to.not.equal(tickets[3].token);
    expect(rejoined.position).to.equal(6);
  });

  it('frees the slot of a user whose reservation is confirmed (reservation.success): COMPLETED, and the head is admitted', async () => {
    await publishReservationSuccess(app.platform, users[0].id, 9001);
    // The slot is given to the head of the queue without any clock movement (the cycle is kicked).
    await eventually(async () => {
      const o = await overview(app.http, admin);
      return o.active === 2 && o.waiting === 4;
    }, app.platform);
    app.clock.advance(10_000);
    expect(await positions([0, 1, 2, 3, 4, 5, 6])).to.deep.equal(['COMPLETED', 'ACTIVE', 'ACTIVE', 1, 2, 3, 4]);
    expect(latest[2].pass?.token).to.be.a('string');

    // Redelivery or a second confirmation of the same user changes nothing further.
    await publishReservationSuccess(app.platform, users[0].id, 9002);
    await app.platform.bus.sweep();
    await tick(app);
    const o = await overview(app.http, admin);
    expect([o.active, o.waiting]).to.deep.equal([2, 4]);
  });

  it('frees the slot when a pass expires (QUEUE_ACTIVE_TTL_SECONDS) and admits the next in line', async () => {
    expect(tickets[0].pass?.expiresAt).to.equal(new Date(T0 + 100_000).toISOString());
    await tick(app, 50_000);
    expect(await positions([0, 1, 2, 3, 4, 5, 6])).to.deep.equal(['ACTIVE', 'ACTIVE', 1, 2, 3, 4, 5]);
    await tick(app, 49_999);
    expect(await positions([0, 1])).to.deep.equal(['ACTIVE', 'ACTIVE']);
    await tick(app, 1);
    expect(await positions([0, 1, 2, 3, 4, 5, 6])).to.deep.equal(['EXPIRED', 'EXPIRED', 'ACTIVE', 'ACTIVE', 1, 2, 3]);
    const row = await app.platform.database('queue').knex('queue_tokens').where({ token: tickets[0].token }).first();
    expect(row.end_reason).to.equal('PASS_EXPIRED');
  });

  it('drops a waiting token not polled within QUEUE_WAITING_IDLE_SECONDS; those behind move up; active tokens need no polling', async () => {
    await tick(app, 40_000);
    // Everybody but users[3] shows up.
    expect(await positions([2, 4, 5, 6])).to.deep.equal([1, 3, 4, 5]);
    await tick(app, 19_999);
    expect((await app.platform.database('queue').knex('queue_tokens').where({ token: tickets[3].token }).first()).status).to.equal('WAITING');
    await tick(app, 1);
    // users[3] was last seen 60 s ago: dropped. The active users[0] and users[1] never polled and keep their slots.
    expect(await positions([0, 1, 2, 3, 4, 5, 6])).to.deep.equal(['ACTIVE', 'ACTIVE', 1, 'EXPIRED', 2, 3, 4]);
    const row = await app.platform.database('queue').knex('queue_tokens').where({ token: tickets[3].token }).first();
    expect(row.end_reason).to.equal('IDLE');
  });

  it('gives a freed slot to the next user promptly, without waiting for a clock tick (DELETE of an active token)', async () => {
    await leave(app.http, users[1], tickets[1].token);
    await eventually(async () => (await overview(app.http, admin)).active === 2);
    app.clock.advance(1000);
    expect(await positions([1, 2, 3])).to.deep.equal(['EXPIRED', 'ACTIVE', 1]);
  });
});

describeOnEachStore('queue: wait estimate and poll interval', () => {
  let app: QueueTestApp;

  afterEach(() => app.stop());

  it('estimates the wait from the admission rate and advises longer poll intervals further back', async () => {
    app = await queueApp({ QUEUE_MAX_ACTIVE: '1', QUEUE_ADMIT_PER_SECOND: '1', QUEUE_ACTIVE_TTL_SECONDS: '600', QUEUE_WAITING_IDLE_SECONDS: '300' });
    const users: TestUser[] = [];
    for (let i = 0; i < 41; i++) users.push(await signupAndLogin(app.http, `est${i}`));
    const tickets: Ticket[] = [];
    for (const u of users) tickets.push(await join(app.http, u));
    const waiting = tickets.slice(1);
    expect(waiting.map((t) => t.position)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
    for (let i = 1; i < waiting.length; i++) {
      expect(waiting[i].estimatedWaitSeconds).to.be.at.least(waiting[i - 1].estimatedWaitSeconds);
      expect(waiting[i].pollAfterSeconds).to.be.at.least(waiting[i - 1].pollAfterSeconds);
    }
    expect(waiting[0].estimatedWaitSeconds).to.be.greaterThan(0);
    expect(waiting[39].estimatedWaitSeconds).to.be.greaterThan(waiting[0].estimatedWaitSeconds);
    expect(waiting[0].pollAfterSeconds).to.equal(1);
    expect(waiting[39].pollAfterSeconds).to.be.greaterThan(1);
    expect(waiting[39].pollAfterSeconds).to.be.at.most(20);
    // Nothing is admitted for a minute (the one slot stays taken): the observed rate falls and the estimate grows.
    for (let s = 0; s < 60; s++) await tick(app, 1000);
    const later = await poll(app.http, users[40], tickets[40].token);
    expect(later.position).to.equal(40);
    expect(later.estimatedWaitSeconds).to.be.greaterThan(waiting[39].estimatedWaitSeconds);
  });
});
