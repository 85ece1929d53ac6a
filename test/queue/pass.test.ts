import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { signupAndLogin, type TestUser } from '../support/test-app';
import { describeOnEachStore, join, poll, protectedSite, type QueueTestApp, queueApp, T0 } from './queue-test-kit';

describeOnEachStore('queue: the queue pass on a route behind the waiting room', () => {
  let app: QueueTestApp;
  let site: ReturnType<typeof protectedSite>;
  let alice: TestUser;
  let bob: TestUser;
  let alicePass: string;
  let aliceToken: string;

  beforeEach(async () => {
    app = await queueApp({ QUEUE_MAX_ACTIVE: '1', QUEUE_ADMIT_PER_SECOND: '10', QUEUE_ACTIVE_TTL_SECONDS: '60' });
    site = protectedSite(app.platform);
    alice = await signupAndLogin(app.http, 'alice');
    bob = await signupAndLogin(app.http, 'bob');
    const ticket = await join(app.http, alice);
    expect(ticket.status).to.equal('ACTIVE');
    alicePass = ticket.pass!.token;
    aliceToken = ticket.token;
    expect(ticket.pass!.expiresAt).to.equal(new Date(T0 + 60_000).toISOString());
  });

  afterEach(() => app.stop());

  const call = (user: TestUser, pass?: string) => {
    const req = site.get('/behind-the-waiting-room').set(user.auth);
    return pass === undefined ? req : req.set('X-Queue-Pass', pass);
  };

  it('a valid pass from an ACTIVE token opens the route (verified without asking the queue)', async () => {
    const res = await call(alice, alicePass);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ userId: alice.id });
    // The status poll hands out a pass too, bound to the same user and expiry.
    app.clock.advance(30_000);
    const polled = await poll(app.http, alice, aliceToken);
    expect(polled.pass?.expiresAt).to.equal(new Date(T0 + 60_000).toISOString());
    expect((await call(alice, polled.pass!.token)).status).to.equal(200);
  });

  it('no pass → 403 QUEUE_PASS_REQUIRED; a WAITING token has no pass to give', async () => {
    const res = await call(alice);
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('QUEUE_PASS_REQUIRED');
    expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    const waiting = await join(app.http, bob);
    expect(waiting.status).to.equal('WAITING');
    expect(waiting.pass).to.equal(undefined);
  });

  it('a forged pass → 403 QUEUE_PASS_INVALID (tampered payload, wrong key, login token, garbage)', async () => {
    const [header, payload, signature] = alicePass.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 3600 })).toString('base64url')}.${signature}`;
    const wrongKey = jwt.sign({ qt: claims.qt }, 'another-secret-another-secret-another-secret', {
      algorithm: 'HS256',
      subject: String(alice.id),
      issuer: claims.iss,
      audience: claims.aud,
      expiresIn: 600,
    });
    for (const forged of [tampered, wrongKey, alice.token, 'not-a-pass', `${alicePass}x`]) {
      const res = await call(alice, forged);
      expect(res.status, forged).to.equal(403);
      expect(res.body.code, forged).to.equal('QUEUE_PASS_INVALID');
    }
  });

  it('an expired pass → 403 QUEUE_PASS_INVALID', async () => {
    app.clock.advance(59_999);
    expect((await call(alice, alicePass)).status).to.equal(200);
    app.clock.advance(1);
    const res = await call(alice, alicePass);
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('QUEUE_PASS_INVALID');
  });

  it("another user's pass → 403 QUEUE_PASS_INVALID", async () => {
    const res = await call(bob, alicePass);
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('QUEUE_PASS_INVALID');
  });

  it('checks authentication before the pass', async () => {
    const res = await site.get('/behind-the-waiting-room').set('X-Queue-Pass', alicePass);
    expect(res.status).to.equal(401);
  });
});
