import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { EventEnvelope, EventPayload, EventType } from '../../src/contracts/events';
import type { Outbox } from '../../src/platform/bus/outbox';
import type { Platform } from '../../src/platform/platform';
import { PLATFORM } from '../../src/platform/platform.di-tokens';
import { createTestApp, type TestApp, type TestAppOptions, type TestUser } from '../support/test-app';

/**
 * The payment module on its own (with auth for accounts). Reservation events are injected by the
 * tests, so no other module reacts to the payment events (e.g. confirming a reservation that only
 * exists in the test) and every assertion is about the payment module alone.
 */
export function paymentApp(options: TestAppOptions = {}): Promise<TestApp> {
  return createTestApp({ ...options, env: { MODULES: 'auth,payment', ...options.env } });
}

/**
 * Publishes an integration event as another module would: committed to an outbox, relayed, and
 * taken in by the payment module's inbox. The auth module's outbox carries it, because the
 * publishing module (reservation) is not loaded in these tests.
 */
export async function publishAs<T extends EventType>(
  platform: Platform,
  type: T,
  aggregateId: number | string,
  payload: EventPayload<T>,
): Promise<EventEnvelope<T>> {
  const outbox = platform.container('auth').get<Outbox>(PLATFORM.Outbox);
  return platform.database('auth').transaction((trx) => outbox.publish(trx, type, aggregateId, payload));
}

let reservationSeq = 0;
export function newReservationId(): number {
  reservationSeq += 1;
  return 100_000 + reservationSeq;
}

/** A hold as the reservation module announces it; returns the reservation id once the payment module has its copy. */
export async function holdFor(app: TestApp, userId: number, price: number, options: { ttlMs?: number; wait?: boolean } = {}): Promise<number> {
  const reservationId = newReservationId();
  await publishAs(app.platform, 'reservation.held', reservationId, {
    reservationId,
    userId,
    scheduleId: 1,
    seatId: reservationId,
    price,
    expiresAt: new Date(app.clock.now() + (options.ttlMs ?? 5 * 60_000)).toISOString(),
  });
  if (options.wait !== false) await app.platform.bus.drain();
  return reservationId;
}

export async function chargeOk(app: TestApp, user: TestUser, amount: number): Promise<number> {
  const res = await app.http.post('/payments/charge').set(user.auth).send({ amount });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.balance;
}

export interface EntryRow {
  id: number;
  user_id: number;
  type: 'CHARGE' | 'PAYMENT' | 'REFUND';
  amount: number;
  balance_after: number;
  reservation_id: number | null;
  payment_id: number | null;
}

export async function entriesOf(platform: Platform, userId: number): Promise<EntryRow[]> {
  return platform.database('payment').knex('ledger_entries').where({ user_id: userId }).orderBy('id');
}

export async function storedBalance(platform: Platform, userId: number): Promise<number> {
  const row = await platform.database('payment').knex('accounts').where({ user_id: userId }).first('balance');
  return row ? Number(row.balance) : 0;
}

/**
 * The ledger invariants for one user: the balance is the signed sum of the entries, never
 * negative, and each entry's balance_after is the running sum at that entry.
 */
export async function expectLedgerConsistent(platform: Platform, userId: number): Promise<{ balance: number; entries: EntryRow[] }> {
  const [entries, balance] = await Promise.all([entriesOf(platform, userId), storedBalance(platform, userId)]);
  let running = 0;
  for (const e of entries) {
    running += e.type === 'PAYMENT' ? -Number(e.amount) : Number(e.amount);
    expect(Number(e.amount), `entry ${e.id} amount`).to.be.greaterThan(0);
    expect(Number(e.balance_after), `entry ${e.id} balance_after`).to.equal(running);
  }
  expect(balance, 'stored balance equals the sum of entries').to.equal(running);
  expect(balance).to.be.at.least(0);
  return { balance, entries };
}

/** Events the payment module published (its outbox), oldest first. */
export async function publishedByPayment<T extends EventType>(platform: Platform, type: T): Promise<Array<EventPayload<T> & { eventId: string }>> {
  const rows: Array<{ event_id: string; payload: string }> = await platform.database('payment').knex('outbox').where({ type }).orderBy('seq');
  return rows.map((r) => ({ ...JSON.parse(r.payload), eventId: r.event_id }));
}

type GatewayMode = 'approve' | 'decline' | 'fail';

interface GatewayRecord {
  attemptId: string;
  userId: number;
  amount: number;
  status: 'APPROVED' | 'DECLINED';
  gatewayRef: string;
}

/**
 * A payment gateway on 127.0.0.1 speaking the contract in the payment module's CONTEXT.md:
 * it can approve, decline or fail (HTTP 500), answer only after a delay, or hold its answers
 * until released. It records every approval, so its status endpoint knows how attempts ended.
 */
export class FakeGateway {
  mode: GatewayMode = 'approve';
  /** Delay before answering a charge (after recording it). */
  delayMs = 0;
  /** The next this-many charge requests fail with HTTP 500 whatever the mode. */
  failNext = 0;
  readonly records = new Map<string, GatewayRecord>();
  readonly chargeRequests: Array<{ attemptId: string; userId: number; amount: number; idempotencyKey: string | undefined }> = [];
  statusRequests = 0;
  /** How the status endpoint answers: from its records, HTTP 500, or "still deciding" for every attempt. */
  statusMode: 'answer' | 'fail' | 'pending' = 'answer';
  private held: Array<() => void> | null = null;
  private arrivals: Array<() => void> = [];
  private refSeq = 0;

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<FakeGateway> {
    const server = http.createServer();
    const gateway = new FakeGateway(server);
    server.on('request', (req, res) => void gateway.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return gateway;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** From now on, charge answers wait until `release()`. */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = null;
    for (const go of waiting) go();
  }

  /** Resolves when the next charge request arrives. */
  nextArrival(): Promise<void> {
    return new Promise((resolve) => this.arrivals.push(resolve));
  }

  /** Money the gateway took from this user's card: one amount per approved attempt id. */
  charged(userId: number): number[] {
    return [...this.records.values()].filter((r) => r.userId === userId && r.status === 'APPROVED').map((r) => r.amount);
  }

  /** Records an approval as if a charge request had reached the gateway (for crash simulations). */
  approve(attemptId: string, userId: number, amount: number): void {
    this.refSeq += 1;
    this.records.set(attemptId, { attemptId, userId, amount, status: 'APPROVED', gatewayRef: `gw-${this.refSeq}` });
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, body: unknown) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const statusMatch = /^\/charges\/([^/]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && statusMatch) {
      this.statusRequests += 1;
      if (this.statusMode === 'fail') return send(500, { error: 'status unavailable' });
      if (this.statusMode === 'pending') return send(200, { status: 'PENDING' });
      const record = this.records.get(decodeURIComponent(statusMatch[1]));
      if (!record) return send(404, { error: 'unknown attempt' });
      return send(200, record.status === 'APPROVED' ? { status: 'APPROVED', gatewayRef: record.gatewayRef } : { status: 'DECLINED', reason: 'CARD_DECLINED' });
    }
    if (req.method !== 'POST' || req.url !== '/charges') return send(404, { error: 'no route' });
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    this.chargeRequests.push({
      attemptId: body.attemptId,
      userId: body.userId,
      amount: body.amount,
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
    });
    for (const arrived of this.arrivals.splice(0)) arrived();
    if (this.failNext > 0) {
      this.failNext -= 1;
      return send(500, { error: 'gateway hiccup' });
    }
    if (this.mode === 'fail') return send(500, { error: 'gateway broken' });
    // Deduplicates on the attempt id, as the contract requires.
    let record = this.records.get(body.attemptId);
    if (!record) {
      if (this.mode === 'decline') {
        record = { attemptId: body.attemptId, userId: body.userId, amount: body.amount, status: 'DECLINED', gatewayRef: '' };
        this.records.set(body.attemptId, record);
      } else {
        this.approve(body.attemptId, body.userId, body.amount);
        record = this.records.get(body.attemptId)!;
      }
    }
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    if (record.status === 'DECLINED') return send(200, { approved: false, reason: 'CARD_DECLINED' });
    return send(200, { approved: true, gatewayRef: record.gatewayRef });
  }
}
