import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { tempDataDir } from '../support/test-app';

/**
 * `kill -9` at an arbitrary instant during a rush of purchases, then a restart on the same files:
 * every acknowledged write is still there, every paid reservation ends confirmed, the money adds
 * up, and every confirmation reaches the seat map and the data platform exactly once.
 */
const root = path.resolve(__dirname, '../..');
const ADMIN = { email: 'crash-admin@test.local', password: 'crash-admin-password' };
const PRICE = 10_000;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

class Server {
  child: ChildProcess | null = null;
  constructor(
    private readonly dataDir: string,
    readonly port: number,
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(root, 'src/main.ts')], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        NODE_ENV: 'test',
        PORT: String(this.port),
        DATA_DIR: this.dataDir,
        JWT_SECRET: 'crash-secret-crash-secret-crash-secret-01',
        QUEUE_PASS_SECRET: 'crash-pass-secret-crash-pass-secret-01',
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        SEED_DEMO: 'false',
        BCRYPT_ROUNDS: '4',
        LOG_LEVEL: 'silent',
        QUEUE_MAX_ACTIVE: '100000',
        QUEUE_ADMIT_PER_SECOND: '100000',
        AUTH_RATE_LIMIT_PER_MINUTE: '100000',
        BUS_RETRY_BASE_MS: '20',
        BUS_SWEEP_INTERVAL_MS: '100',
      },
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`${this.base}/health/ready`)).status === 200) return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async kill9(): Promise<void> {
    const child = this.child!;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async call(method: string, url: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
}

interface Buyer {
  id: number;
  auth: Record<string, string>;
  pass: string;
  seatId: number;
  heldId?: number;
  paid?: boolean;
}

describe('crash recovery (kill -9 during a rush)', function () {
  this.timeout(120_000);
  let server: Server;
  afterEach(async () => server?.stop());

  for (const killAfterMs of [20, 120, 300]) {
    it(`loses nothing and doubles nothing when killed ${killAfterMs} ms into the rush`, async () => {
      server = new Server(tempDataDir(), await freePort());
      await server.start();
      const adminToken = (await server.call('POST', '/auth/login', {}, ADMIN)).body.accessToken;
      const admin = { authorization: `Bearer ${adminToken}` };
      const concert = await server.call('POST', '/admin/concerts', admin, {
        title: 'Crash Test',
        artist: 'Kill Nine',
        venue: 'Signal Hall',
        schedules: [{ startsAt: '2031-06-01T19:00:00.000Z', seats: Array.from({ length: 30 }, (_, i) => ({ label: `S-${i + 1}`, price: PRICE })) }],
      });
      expect(concert.status).to.equal(201);
      const scheduleId: number = concert.body.schedules[0].id;
      const seatIds: number[] = concert.body.schedules[0].seats.map((s: { id: number }) => s.id);

      const buyers: Buyer[] = [];
      for (let i = 0; i < 24; i += 1) {
        const email = `crash-${killAfterMs}-${i}@test.local`;
        const signup = await server.call('POST', '/auth/signup', {}, { email, password: 'password-123', name: `B${i}` });
        const login = await server.call('POST', '/auth/login', {}, { email, password: 'password-123' });
        const auth = { authorization: `Bearer ${login.body.accessToken}` };
        const join = await server.call('POST', '/queue/token', auth);
        let status = join.body;
        for (let k = 0; k < 50 && status.status !== 'ACTIVE'; k += 1) {
          await new Promise((r) => setTimeout(r, 100));
          status = (await server.call('GET', '/queue/status', { ...auth, 'x-queue-token': join.body.token })).body;
        }
        expect(status.status).to.equal('ACTIVE');
        expect((await server.call('POST', '/payments/charge', auth, { amount: 100_000 })).status).to.equal(200);
        // Two buyers per seat for the first seats, so holds race as well.
        buyers.push({ id: signup.body.id, auth, pass: status.pass.token, seatId: seatIds[i % 18] });
      }

      const rush = Promise.all(
        buyers.map(async (b) => {
          const headers = { ...b.auth, 'x-queue-pass': b.pass };
          try {
            const hold = await server.call('POST', '/ticketing/reservations/new', headers, { scheduleId, seatId: b.seatId });
            if (hold.status !== 201) return;
            b.heldId = hold.body.id;
            const pay = await server.call('POST', '/payments/process', headers, { reservationId: hold.body.id });
            if (pay.status === 200) b.paid = true;
          } catch {
            // The connection died with the server: the outcome is unknown to the client.
          }
        }),
      );
      await new Promise((r) => setTimeout(r, killAfterMs));
      await server.kill9();
      await rush;
      if (process.env.CRASH_DEBUG) console.log(`killed after ${killAfterMs} ms: ${buyers.filter((b) => b.heldId).length} holds and ${buyers.filter((b) => b.paid).length} payments acknowledged`);

      await server.start();
      // Wait until every outbox is drained and nothing waits for a retry.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const bus = (await server.call('GET', '/admin/events', admin)).body.items as Array<{ outboxBacklog: number; deliveriesRetrying: number; deliveriesQueued: number }>;
        if (bus.every((m) => m.outboxBacklog === 0 && m.deliveriesRetrying === 0 && m.deliveriesQueued === 0)) break;
        if (Date.now() > deadline) throw new Error(`bus did not drain: ${JSON.stringify(bus)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 300));

      // Acknowledged holds survived; acknowledged payments ended confirmed.
      const confirmedBySeat = new Map<number, number>();
      let confirmedCount = 0;
      for (const b of buyers) {
        const mine = (await server.call('GET', '/ticketing/reservations', b.auth)).body.items as Array<{ id: number; status: string; seatId: number; price: number }>;
        if (b.heldId) expect(mine.map((r) => r.id), `hold ${b.heldId} of user ${b.id} was acknowledged`).to.include(b.heldId);
        if (b.paid) expect(mine.find((r) => r.id === b.heldId)?.status, `paid reservation ${b.heldId}`).to.equal('CONFIRMED');
        const confirmed = mine.filter((r) => r.status === 'CONFIRMED');
        for (const r of confirmed) confirmedBySeat.set(r.seatId, (confirmedBySeat.get(r.seatId) ?? 0) + 1);
        confirmedCount += confirmed.length;

        // Money: balance = ledger, and exactly the confirmed purchases were paid for (anything else refunded).
        const balance = (await server.call('GET', '/balance', b.auth)).body.balance as number;
        const history = (await server.call('GET', '/payments/history', b.auth)).body.items as Array<{ type: string; amount: number }>;
        const ledger = history.reduce((n, e) => n + (e.type === 'PAYMENT' ? -e.amount : e.amount), 0);
        expect(balance, `user ${b.id} balance vs ledger`).to.equal(ledger);
        expect(balance, `user ${b.id} paid only for confirmed seats`).to.equal(100_000 - PRICE * confirmed.length);
      }
      for (const [seat, n] of confirmedBySeat) expect(n, `seat ${seat} sold ${n} times`).to.equal(1);

      // Every confirmation reached the seat map and the data platform exactly once.
      const seatMap = (await server.call('GET', `/ticketing/search/schedules/${scheduleId}/seats`, { ...buyers[0].auth, 'x-queue-pass': buyers[0].pass })).body.items as Array<{ id: number; status: string }>;
      for (const seat of confirmedBySeat.keys()) expect(seatMap.find((s) => s.id === seat)?.status).to.equal('SOLD');
      const feed = (await server.call('GET', `/data-platform/reservations?scheduleId=${scheduleId}&pageSize=500`, admin)).body;
      expect(feed.summary.count).to.equal(confirmedCount);
      expect(new Set(feed.items.map((i: { reservationId: number }) => i.reservationId)).size).to.equal(feed.items.length);
      expect((await server.call('GET', '/admin/events/dead', admin)).body.items).to.have.length(0);
    });
  }
});
