import { expect } from 'chai';
import { ManualClock } from '../../src/platform/clock/clock';
import { login, loginAdmin, signupAndLogin, type TestUser, tempDataDir } from '../support/test-app';
import { describeOnEachStore, join, overview, poll, protectedSite, type QueueTestApp, queueApp, T0, type Ticket, tick } from './queue-test-kit';

const ENV = { QUEUE_MAX_ACTIVE: '2', QUEUE_ADMIT_PER_SECOND: '100', QUEUE_ACTIVE_TTL_SECONDS: '120', QUEUE_WAITING_IDLE_SECONDS: '60' };

describeOnEachStore('queue: restart on the same data', () => {
  let first: QueueTestApp | null = null;
  let second: QueueTestApp | null = null;

  afterEach(async () => {
    await first?.stop();
    await second?.stop();
    first = second = null;
  });

  it('keeps everyone’s place, the active passes and the operator settings', async () => {
    const dataDir = tempDataDir();
    const clock = new ManualClock(T0);
    first = await queueApp(ENV, { dataDir, clock });
    const admin = await loginAdmin(first.http);
    const users: TestUser[] = [];
    for (let i = 0; i < 6; i++) users.push(await signupAndLogin(first.http, `restart${i}`));
    const tickets: Ticket[] = [];
    for (const u of users) tickets.push(await join(first.http, u));
    // users[2] leaves, so the stored queue has a hole in it.
    await first.http.delete('/queue/token').set(users[2].auth).set('X-Queue-Token', tickets[2].token).expect(204);
    // The operator slows the flow during the sale.
    await first.http.patch('/admin/queue').set(admin.auth).send({ admitPerSecond: 7 }).expect(200);
    const passBefore = tickets[0].pass!;
    await first.stop();
    first = null;

    clock.advance(30_000);
    second = await queueApp(ENV, { dataDir, clock });
    // Login tokens are signed with the same secret, so the users' sessions still hold.
    const adminAgain = { ...admin, token: await login(second.http, admin.email, 'admin-password-1') };
    adminAgain.auth = { Authorization: `Bearer ${adminAgain.token}` };

    const after = [] as Array<string | number>;
    const polled: Ticket[] = [];
    for (let i = 0; i < 6; i++) {
      const t = await poll(second.http, users[i], tickets[i].token);
      polled.push(t);
      after.push(t.status === 'WAITING' ? t.position : t.status);
    }
    expect(after).to.deep.equal(['ACTIVE', 'ACTIVE', 'EXPIRED', 1, 2, 3]);
    // The active pass keeps its expiry, and the pass issued before the restart still opens the site.
    expect(polled[0].pass?.expiresAt).to.equal(passBefore.expiresAt);
    expect((await protectedSite(second.platform).get('/behind-the-waiting-room').set(users[0].auth).set('X-Queue-Pass', passBefore.token)).status).to.equal(
      200,
    );
    // Asking again returns the stored token; a newcomer joins behind everyone.
    expect((await join(second.http, users[4], 200)).token).to.equal(tickets[4].token);
    const newcomer = await signupAndLogin(second.http, 'newcomer');
    expect((await join(second.http, newcomer)).position).to.equal(4);

    const o = await overview(second.http, adminAgain);
    expect(o).to.include({ waiting: 4, active: 2, maxActive: 2, admitPerSecond: 7 });

    // Admission resumes from the stored order when a slot frees.
    second.clock.advance(40_000);
    for (const i of [3, 4, 5]) await poll(second.http, users[i], tickets[i].token);
    await tick(second, 50_000);
    const next = await poll(second.http, users[3], tickets[3].token);
    expect(next.status).to.equal('ACTIVE');
    expect((await poll(second.http, users[5], tickets[5].token)).position).to.equal(1);
  });
});
