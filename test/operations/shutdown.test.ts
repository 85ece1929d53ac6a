import { expect } from 'chai';
import { freePort, ServerProcess } from '../e2e/server-process';
import { FakeGateway, paymentApp } from '../payment/payment-kit';
import { signupAndLogin, tempDataDir } from '../support/test-app';

/**
 * SIGTERM: readiness turns 503 at once while in-flight work drains, then the process exits; a
 * second signal, or SHUTDOWN_GRACE_MS running out, ends it without waiting. A slow payment
 * gateway keeps a charge in flight for as long as a test needs.
 */
describe('shutdown', function () {
  this.timeout(60_000);
  let gateway: FakeGateway;
  beforeEach(async () => {
    gateway = await FakeGateway.start();
  });
  afterEach(async () => gateway.close());

  it('answers readiness 503 the moment stopping begins, while the request in flight still completes', async () => {
    gateway.delayMs = 700;
    const app = await paymentApp({ env: { PAYMENT_GATEWAY_URL: gateway.url, PAYMENT_GATEWAY_TIMEOUT_MS: '5000' } });
    const { port } = await app.platform.listen(0, '127.0.0.1');
    const user = await signupAndLogin(app.http);
    const arrived = gateway.nextArrival();
    const inFlight = fetch(`http://127.0.0.1:${port}/payments/charge`, {
      method: 'POST',
      headers: { ...user.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 1_000 }),
    });
    await arrived;
    const stopped = app.stop();
    const ready = await app.http.get('/health/ready');
    expect(ready.status).to.equal(503);
    expect(ready.body.checks.process).to.equal('shutting down');
    const charged = await inFlight;
    expect(charged.status).to.equal(200);
    // The client keeps its connection alive; the drain closes it once answered instead of waiting out SHUTDOWN_GRACE_MS (10 s).
    const answeredAt = Date.now();
    await stopped;
    expect(Date.now() - answeredAt).to.be.below(5_000);
  });

  describe('of the real process', () => {
    let server: ServerProcess;
    afterEach(async () => server?.kill9());

    const start = async (extra: Record<string, string> = {}) => {
      server = new ServerProcess(
        {
          DATA_DIR: tempDataDir(),
          JWT_SECRET: 'shutdown-secret-shutdown-secret-000',
          PAYMENT_GATEWAY_URL: gateway.url,
          PAYMENT_GATEWAY_TIMEOUT_MS: '10000',
          ...extra,
        },
        await freePort(),
      );
      await server.start();
      const email = `s-${Date.now()}@test.local`;
      await server.call('POST', '/auth/signup', {}, { email, password: 'password-123', name: 'S' });
      const token = (await server.call('POST', '/auth/login', {}, { email, password: 'password-123' })).body.accessToken;
      return { authorization: `Bearer ${token}` };
    };
    /** A charge the gateway is sitting on, once it has arrived there. */
    const slowCharge = async (auth: Record<string, string>) => {
      const arrived = gateway.nextArrival();
      const reply = server.call('POST', '/payments/charge', auth, { amount: 1_000 }).catch((err: Error) => err);
      await arrived;
      return { reply };
    };

    it('on SIGTERM finishes the request in flight, then exits 0', async () => {
      gateway.delayMs = 1_000;
      const auth = await start();
      const { reply } = await slowCharge(auth);
      server.signal('SIGTERM');
      const answered = await reply;
      expect(answered).to.not.be.instanceOf(Error);
      expect((answered as { status: number }).status).to.equal(200);
      expect(await server.exit).to.deep.equal({ code: 0, signal: null });
    });

    it('exits at once on a second signal, without waiting for the drain', async () => {
      gateway.delayMs = 8_000;
      const auth = await start();
      const { reply } = await slowCharge(auth);
      server.signal('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      const signalled = Date.now();
      server.signal('SIGTERM');
      expect((await server.exit)?.code).to.equal(1);
      expect(Date.now() - signalled, 'exited without waiting for the 8 s request').to.be.below(4_000);
      expect(await reply).to.be.instanceOf(Error);
    });

    it('exits once SHUTDOWN_GRACE_MS has passed, even with a request still in flight', async () => {
      gateway.delayMs = 8_000;
      const auth = await start({ SHUTDOWN_GRACE_MS: '500' });
      const { reply } = await slowCharge(auth);
      const signalled = Date.now();
      server.signal('SIGTERM');
      await server.exit;
      expect(Date.now() - signalled, 'exited after the grace, not after the 8 s request').to.be.below(4_000);
      expect(await reply).to.be.instanceOf(Error);
    });
  });
});

describe('a partial module set on the in-process bus', function () {
  this.timeout(30_000);
  it('refuses to start, with a message naming MODULES', async () => {
    const server = new ServerProcess({ DATA_DIR: tempDataDir(), MODULES: 'payment' }, await freePort(), { quiet: true });
    const started = await server.start().then(
      () => null,
      (err: Error) => err,
    );
    expect(started?.message).to.match(/exited with 78/);
    expect(server.stderr).to.match(/MODULES/);
    expect(server.stderr).to.match(/lost/);
  });
});
