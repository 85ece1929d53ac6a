import { expect } from 'chai';
import { keyedChargeAttemptId } from '../../src/modules/payment/commands/charge/charge-attempt-id';
import { FakeGateway } from '../payment/payment-kit';
import { tempDataDir } from '../support/test-app';
import { freePort, ServerProcess } from './server-process';

/**
 * `kill -9` while a keyed request is being served, then a restart: the client's repeat with the
 * same Idempotency-Key must go through at once (not 409 for a key nobody serves any more), and
 * must never do the work twice.
 */
describe('a keyed request cut off by kill -9', function () {
  this.timeout(90_000);
  let server: ServerProcess;
  let gateway: FakeGateway | null = null;
  afterEach(async () => {
    await server?.stop();
    await gateway?.close();
    gateway = null;
  });

  const env = (extra: Record<string, string>) => ({
    DATA_DIR: tempDataDir(),
    JWT_SECRET: 'keyed-crash-secret-keyed-crash-secret-01',
    QUEUE_PASS_SECRET: 'keyed-crash-pass-secret-keyed-crash-01',
    QUEUE_MAX_ACTIVE: '1000',
    QUEUE_ADMIT_PER_SECOND: '1000',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    ...extra,
  });

  async function newUser(): Promise<{ id: number; auth: Record<string, string>; pass: string }> {
    const email = `keyed-${Date.now()}-${Math.random().toString(36).slice(2)}@test.local`;
    const signup = await server.call('POST', '/auth/signup', {}, { email, password: 'password-123', name: 'K' });
    const login = await server.call('POST', '/auth/login', {}, { email, password: 'password-123' });
    const auth = { authorization: `Bearer ${login.body.accessToken}` };
    const queue = await server.call('POST', '/queue/token', auth);
    expect(queue.body.status).to.equal('ACTIVE');
    return { id: signup.body.id, auth, pass: queue.body.pass.token };
  }

  it('lets the repeat of a payment that was under way proceed at once after the restart', async () => {
    server = new ServerProcess(env({ PAYMENT_HOLD_WAIT_MS: '1500' }), await freePort());
    await server.start();
    const user = await newUser();
    const headers = { ...user.auth, 'x-queue-pass': user.pass, 'idempotency-key': 'pay-cut-off' };
    // A payment for a hold the payment module has not heard of waits for it: in flight for 1.5 s.
    const cutOff = server.call('POST', '/payments/process', headers, { reservationId: 424242 }).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 300));
    await server.kill9();
    expect(await cutOff).to.be.instanceOf(Error);

    await server.start();
    const repeat = await server.call('POST', '/payments/process', headers, { reservationId: 424242 });
    // Before, the dead process's key kept answering 409 IDEMPOTENCY_IN_FLIGHT for a minute.
    expect(repeat.body.code).to.not.equal('IDEMPOTENCY_IN_FLIGHT');
    expect(repeat.status).to.equal(409);
    expect(repeat.body.code).to.equal('RESERVATION_NOT_PAYABLE');
    const again = await server.call('POST', '/payments/process', headers, { reservationId: 424242 });
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
  });

  it('continues a keyed charge the gateway took while the server died: one charge, one credit', async () => {
    gateway = await FakeGateway.start();
    server = new ServerProcess(env({ PAYMENT_GATEWAY_URL: gateway.url, PAYMENT_GATEWAY_TIMEOUT_MS: '5000' }), await freePort());
    await server.start();
    const user = await newUser();
    const headers = { ...user.auth, 'idempotency-key': 'top-up-cut-off' };
    gateway.hold();
    const arrived = gateway.nextArrival();
    const cutOff = server.call('POST', '/payments/charge', headers, { amount: 30_000 }).catch((err: Error) => err);
    await arrived;
    // The gateway has charged the card; the server dies before hearing so.
    await server.kill9();
    expect(await cutOff).to.be.instanceOf(Error);
    gateway.release();
    expect(gateway.charged(user.id)).to.deep.equal([30_000]);

    await server.start();
    const repeat = await server.call('POST', '/payments/charge', headers, { amount: 30_000 });
    expect(repeat.status, JSON.stringify(repeat.body)).to.equal(200);
    expect(repeat.body.balance).to.equal(30_000);
    expect(new Set(gateway.chargeRequests.map((r) => r.attemptId))).to.deep.equal(new Set([keyedChargeAttemptId(user.id, 'top-up-cut-off')]));
    expect(gateway.charged(user.id)).to.deep.equal([30_000]);
    const replay = await server.call('POST', '/payments/charge', headers, { amount: 30_000 });
    expect(replay.body).to.deep.equal(repeat.body);
    const history = await server.call('GET', '/payments/history', user.auth);
    expect(history.body.items.map((i: { type: string; amount: number }) => [i.type, i.amount])).to.deep.equal([['CHARGE', 30_000]]);
  });
});
