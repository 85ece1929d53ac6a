import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { EventEnvelope } from '../../src/contracts/events';
import { QueuePasses } from '../../src/platform/auth/queue-pass';
import { ManualClock } from '../../src/platform/clock/clock';
import { eventually, loginAdmin, signupAndLogin, TEST_ENV, type TestUser, tempDataDir } from '../support/test-app';
import { describeOnEachStore, join, leave, poll, type QueueTestApp, queueApp, T0, tick } from './queue-test-kit';

/**
 * QUEUE_MAX_ACTIVE must mean what it says: a pass whose slot was given back stops working within
 * a second, still without a database lookup per request.
 */
describeOnEachStore('queue: a pass whose slot was given back stops working', () => {
  let app: QueueTestApp;
  let scheduleId: number;
  let seatIds: number[];
  beforeEach(async () => {
    app = await queueApp({ QUEUE_MAX_ACTIVE: '1', QUEUE_ADMIT_PER_SECOND: '100', QUEUE_ACTIVE_TTL_SECONDS: '600', QUEUE_POLL_THROTTLE: 'false' });
    const admin = await loginAdmin(app.http);
    const concert = await app.http
      .post('/admin/concerts')
      .set(admin.auth)
      .send({
        title: 'Cap',
        artist: 'A',
        venue: 'V',
        schedules: [{ startsAt: '2031-01-01T19:00:00Z', seats: Array.from({ length: 8 }, (_, i) => ({ label: `S${i + 1}`, price: 10_000 })) }],
      });
    expect(concert.status).to.equal(201);
    scheduleId = concert.body.schedules[0].id;
    seatIds = concert.body.schedules[0].seats.map((s: { id: number }) => s.id);
    await app.platform.bus.drain();
  });
  afterEach(() => app.stop());

  const holdWith = (user: TestUser, pass: string, seatId: number) =>
    app.http.post('/ticketing/reservations/new').set(user.auth).set('X-Queue-Pass', pass).send({ scheduleId, seatId });

  async function admitted(user: TestUser): Promise<{ token: string; pass: string }> {
    const ticket = await join(app.http, user);
    let status = ticket;
    for (let i = 0; i < 5 && status.status !== 'ACTIVE'; i += 1) {
      await tick(app, 100);
      status = await poll(app.http, user, ticket.token);
    }
    expect(status.status).to.equal('ACTIVE');
    return { token: ticket.token, pass: status.pass!.token };
  }

  it('with the cap at 1, users taking turns cannot all shop at once: each pass dies when its holder leaves', async () => {
    const users = [await signupAndLogin(app.http), await signupAndLogin(app.http), await signupAndLogin(app.http), await signupAndLogin(app.http)];
    const passes: string[] = [];
    for (const [i, user] of users.entries()) {
      const { token, pass } = await admitted(user);
      passes.push(pass);
      expect((await holdWith(user, pass, seatIds[i])).status, `user ${i} holds while admitted`).to.equal(201);
      if (i < users.length - 1) {
        await leave(app.http, user, token);
        // Within a second, with no lookup: the notice travels the bus to the pass checker.
        await eventually(async () => (await holdWith(user, pass, seatIds[4 + i])).status === 403, undefined, 1000);
      }
    }
    const answers = await Promise.all(users.map((u, i) => holdWith(u, passes[i], seatIds[4 + i])));
    expect(answers.map((a) => a.status)).to.deep.equal([403, 403, 403, 201]);
    for (const refused of answers.slice(0, 3)) {
      expect(refused.body.code).to.equal('QUEUE_PASS_INVALID');
      expect(refused.body.detail).to.match(/left the waiting room/);
    }
    // Nor can a pass that was given up pay.
    await app.http.post('/payments/charge').set(users[0].auth).send({ amount: 50_000 });
    const mine = (await app.http.get('/ticketing/reservations').set(users[0].auth)).body.items[0];
    const pay = await app.http.post('/payments/process').set(users[0].auth).set('X-Queue-Pass', passes[0]).send({ reservationId: mine.id });
    expect(pay.status).to.equal(403);
  });

  it('after a purchase, the pass can still pay for the other seats held on the visit, but not browse or hold more', async () => {
    const buyer = await signupAndLogin(app.http);
    const { token, pass } = await admitted(buyer);
    const first = await holdWith(buyer, pass, seatIds[0]);
    const second = await holdWith(buyer, pass, seatIds[1]);
    expect([first.status, second.status]).to.deep.equal([201, 201]);
    await app.http.post('/payments/charge').set(buyer.auth).send({ amount: 50_000 });
    const paid = await app.http.post('/payments/process').set(buyer.auth).set('X-Queue-Pass', pass).send({ reservationId: first.body.id });
    expect(paid.status).to.equal(200);
    // The confirmation completes the visit and frees the slot.
    await eventually(async () => (await poll(app.http, buyer, token)).status === 'COMPLETED', app.platform);
    await eventually(async () => (await holdWith(buyer, pass, seatIds[2])).status === 403, app.platform, 1000);
    const refused = await holdWith(buyer, pass, seatIds[3]);
    expect(refused.body.detail).to.match(/ended with a purchase/);
    expect((await app.http.get(`/ticketing/search/schedules/${scheduleId}/seats`).set(buyer.auth).set('X-Queue-Pass', pass)).status).to.equal(403);
    const paySecond = await app.http.post('/payments/process').set(buyer.auth).set('X-Queue-Pass', pass).send({ reservationId: second.body.id });
    expect(paySecond.status, JSON.stringify(paySecond.body)).to.equal(200);
    // The next user got the freed slot.
    const next = await signupAndLogin(app.http);
    expect((await admitted(next)).pass).to.be.a('string');
  });
});

describeOnEachStore('queue: revoked passes across a restart', () => {
  it('stay revoked after the process restarts (the queue re-applies them from its database)', async () => {
    const dataDir = tempDataDir();
    const clock = new ManualClock(T0);
    const before = await queueApp({ QUEUE_MAX_ACTIVE: '5' }, { dataDir, clock });
    const user = await signupAndLogin(before.http);
    const ticket = await join(before.http, user);
    expect(ticket.status).to.equal('ACTIVE');
    await leave(before.http, user, ticket.token);
    await before.stop();

    const after = await queueApp({ QUEUE_MAX_ACTIVE: '5' }, { dataDir, clock });
    try {
      const passes = after.platform.root.get<QueuePasses>(Symbol.for('platform.QueuePasses'));
      expect(passes.verify(ticket.pass!.token, user.id)).to.deep.equal({ ok: false, revoked: 'LEFT' });
    } finally {
      await after.stop();
    }
  });
});

describe('queue: the pass checker of any process', () => {
  const settings = { secret: TEST_ENV.QUEUE_PASS_SECRET, issuer: 'ticketing/queue', audience: 'ticketing/queue-pass' };
  const notice = (payload: unknown): EventEnvelope =>
    ({
      id: randomUUID(),
      type: 'queue.pass.revoked',
      version: 1,
      occurredAt: new Date(T0).toISOString(),
      aggregateId: 'x',
      correlationId: 'c',
      causationId: null,
      payload,
    }) as EventEnvelope;

  it('applies a revocation notice from the bus until the pass would have expired, and ignores a malformed one', async () => {
    const clock = new ManualClock(T0);
    const passes = new QueuePasses(settings, clock);
    const pass = passes.issue(7, 'queue-token-7', T0 + 60_000);
    const passId = QueuePasses.passIdOf('queue-token-7');
    await passes.revocationListener().receive([notice({ passId, userId: 7, reason: 'nonsense', expiresAt: 'x' })]);
    expect(passes.verify(pass, 7).ok).to.equal(true);
    await passes.revocationListener().receive([notice({ passId, userId: 7, reason: 'COMPLETED', expiresAt: new Date(T0 + 60_000).toISOString() })]);
    expect(passes.verify(pass, 7, 'shop')).to.deep.equal({ ok: false, revoked: 'COMPLETED' });
    expect(passes.verify(pass, 7, 'checkout').ok).to.equal(true);
    await passes.revocationListener().receive([notice({ passId, userId: 7, reason: 'LEFT', expiresAt: new Date(T0 + 60_000).toISOString() })]);
    expect(passes.verify(pass, 7, 'checkout')).to.deep.equal({ ok: false, revoked: 'LEFT' });
    // Kept no longer than the pass lives.
    clock.advance(61_000);
    passes.revoke('another', 'LEFT', T0 + 120_000);
    expect(passes.revokedCount).to.equal(1);
  });
});
