import { expect } from 'chai';
import { tempDataDir } from '../support/test-app';
import { freePort, ServerProcess } from './server-process';

/**
 * `kill -9` at an arbitrary instant during a rush of purchases, then a restart on the same files:
 * every acknowledged write is still there, every paid reservation ends confirmed, the money adds
 * up, and every confirmation reaches the seat map and the data platform exactly once.
 */
const ADMIN = { email: 'crash-admin@test.local', password: 'crash-admin-password' };
const PRICE = 10_000;

const crashEnv = (dataDir: string): Record<string, string> => ({
  DATA_DIR: dataDir,
  JWT_SECRET: 'crash-secret-crash-secret-crash-secret-01',
  QUEUE_PASS_SECRET: 'crash-pass-secret-crash-pass-secret-01',
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  QUEUE_MAX_ACTIVE: '100000',
  QUEUE_ADMIT_PER_SECOND: '100000',
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  BUS_RETRY_BASE_MS: '20',
  BUS_SWEEP_INTERVAL_MS: '100',
});

interface Buyer {
  id: number;
  auth: Record<string, string>;
  pass: string;
  seatId: number;
  heldId?: number;
  paid?: boolean;
  /** The payment was sent (or about to be) when the server died: the client does not know how it ended. */
  payCutOff?: boolean;
}

describe('crash recovery (kill -9 during a rush)', function () {
  this.timeout(120_000);
  let server: ServerProcess;
  afterEach(async () => server?.stop());

  for (const killAfterMs of [20, 120, 300]) {
    it(`loses nothing and doubles nothing when killed ${killAfterMs} ms into the rush`, async () => {
      server = new ServerProcess(crashEnv(tempDataDir()), await freePort());
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
            b.payCutOff = true;
            const pay = await server.call('POST', '/payments/process', { ...headers, 'idempotency-key': `pay-${b.id}` }, { reservationId: hold.body.id });
            b.payCutOff = false;
            if (pay.status === 200) b.paid = true;
          } catch {
            // The connection died with the server: the outcome is unknown to the client.
          }
        }),
      );
      await new Promise((r) => setTimeout(r, killAfterMs));
      await server.kill9();
      await rush;
      if (process.env.CRASH_DEBUG)
        console.log(
          `killed after ${killAfterMs} ms: ${buyers.filter((b) => b.heldId).length} holds and ${buyers.filter((b) => b.paid).length} payments acknowledged`,
        );

      await server.start();
      // Every buyer cut off mid-payment repeats it at once with the same key, as a careful client
      // would: the key of a request the dead process was serving must not block them (no 409), and
      // the repeat must not pay twice (checked with the money below).
      const repeats = await Promise.all(
        buyers
          .filter((b) => b.payCutOff)
          .map(async (b) => {
            const pay = await server.call(
              'POST',
              '/payments/process',
              { ...b.auth, 'x-queue-pass': b.pass, 'idempotency-key': `pay-${b.id}` },
              { reservationId: b.heldId },
            );
            if (pay.status === 200) b.paid = true;
            return pay;
          }),
      );
      for (const r of repeats) expect(r.body?.code, JSON.stringify(r.body)).to.not.equal('IDEMPOTENCY_IN_FLIGHT');
      if (process.env.CRASH_DEBUG) console.log(`repeated ${repeats.length} cut-off payments after the restart: ${repeats.map((r) => r.status).join(' ')}`);
      // Wait until every outbox is drained and nothing waits for a retry.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const bus = (await server.call('GET', '/admin/events', admin)).body.items as Array<{
          outboxBacklog: number;
          deliveriesRetrying: number;
          deliveriesQueued: number;
        }>;
        if (bus.every((m) => m.outboxBacklog === 0 && m.deliveriesRetrying === 0 && m.deliveriesQueued === 0)) break;
        if (Date.now() > deadline) throw new Error(`bus did not drain: ${JSON.stringify(bus)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 300));

      // Acknowledged holds survived; acknowledged payments ended confirmed.
      const confirmedBySeat = new Map<number, number>();
      let confirmedCount = 0;
      for (const b of buyers) {
        const mine = (await server.call('GET', '/ticketing/reservations', b.auth)).body.items as Array<{
          id: number;
          status: string;
          seatId: number;
          price: number;
        }>;
        if (b.heldId)
          expect(
            mine.map((r) => r.id),
            `hold ${b.heldId} of user ${b.id} was acknowledged`,
          ).to.include(b.heldId);
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

      // Every confirmation reached the seat map and the data platform exactly once (seen by a shopper
      // with a live visit: the buyers' passes stopped browsing when their purchases completed them).
      const viewer = (await server.call('POST', '/queue/token', admin)).body;
      expect(viewer.status).to.equal('ACTIVE');
      const seatMap = (await server.call('GET', `/ticketing/search/schedules/${scheduleId}/seats`, { ...admin, 'x-queue-pass': viewer.pass.token })).body
        .items as Array<{ id: number; status: string }>;
      for (const seat of confirmedBySeat.keys()) expect(seatMap.find((s) => s.id === seat)?.status).to.equal('SOLD');
      const feed = (await server.call('GET', `/data-platform/reservations?scheduleId=${scheduleId}&pageSize=500`, admin)).body;
      expect(feed.summary.count).to.equal(confirmedCount);
      expect(new Set(feed.items.map((i: { reservationId: number }) => i.reservationId)).size).to.equal(feed.items.length);
      expect((await server.call('GET', '/admin/events/dead', admin)).body.items).to.have.length(0);
    });
  }
});
