import { type ModuleReader, openModuleReader } from '../bench/lib/invariants';
import { MODULE_NAMES } from '../platform/config/config';
import { BUYER_EVENTS, type Observations } from './checker';
import { persist } from './client';
import type { FakeGateway } from './fake-gateway';
import { sleep } from './fake-gateway';
import type { FakeSink } from './fake-sink';
import { type ChaosSystem, servicesSettled } from './system';
import type { ChaosSchedule, ChaosUser } from './workload';

/** Reads one module's database, read-only, and closes it. */
async function withReader<T>(system: ChaosSystem, module: string, read: (db: ModuleReader) => Promise<T>): Promise<T> {
  const db = await openModuleReader(system.store, module);
  if (!db) throw new Error(`the ${module} database does not exist`);
  try {
    return await read(db);
  } finally {
    await db.close();
  }
}

/** What is still in motion: an empty list means the system has settled. */
async function inMotion(system: ChaosSystem, split: boolean): Promise<string[]> {
  const out: string[] = [];
  const ready = await fetch(`${system.url}/health/ready`).catch(() => null);
  if (ready?.status !== 200) return [`GET /health/ready answers ${ready?.status ?? 'nothing'}`];
  const deadline = Date.now() + 10_000;
  const bus = await persist(() => system.url, 'GET', '/admin/events', system.admin, undefined, deadline);
  if (bus.status !== 200) out.push(`GET /admin/events answers ${bus.status}`);
  else {
    const items = bus.body.items as Array<{ module: string; outboxBacklog: number; deliveriesRetrying: number; deliveriesQueued: number }>;
    if (items.length < MODULE_NAMES.length) out.push(`GET /admin/events lists ${items.length} modules`);
    for (const m of items)
      if (m.outboxBacklog || m.deliveriesRetrying || m.deliveriesQueued)
        out.push(`${m.module}: ${m.outboxBacklog} events in the outbox, ${m.deliveriesRetrying} deliveries retrying, ${m.deliveriesQueued} queued`);
  }
  if (split) {
    const services = await system.services().catch(() => []);
    if (!servicesSettled(services))
      out.push(`services not all up with no consumer lag: ${JSON.stringify(services.map((s) => [s.name, s.status, s.consumerLag]))}`);
  }
  const pending = await withReader(system, 'payment', (db) => db.get<{ n: number }>(`select count(*) as n from charge_attempts where status = 'PENDING'`));
  if (pending.n) out.push(`${pending.n} charge attempts PENDING (the settle job resolves them once they are 30 s old)`);
  const reservation = await withReader(system, 'reservation', async (db) => ({
    held: (await db.get<{ n: number }>(`select count(*) as n from reservations where status = 'HELD'`)).n,
    sagas: (await db.get<{ n: number }>(`select count(*) as n from confirm_sagas where status in ('RUNNING', 'COMPENSATING')`)).n,
  }));
  if (reservation.held) out.push(`${reservation.held} reservations still HELD (holds not yet expired by the sweeper)`);
  if (reservation.sagas) out.push(`${reservation.sagas} confirm sagas RUNNING or COMPENSATING`);
  return out;
}

/**
 * After the faults: waits until nothing is in motion twice in a row, a second apart (the bus
 * drained, the services' consumers caught up, charge attempts resolved, holds ended, sagas done),
 * or gives up after `timeoutMs` and returns what was still in motion.
 */
export async function settle(system: ChaosSystem, split: boolean, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let calm = 0;
  for (;;) {
    const moving = await inMotion(system, split).catch((err: Error) => [`could not look: ${err.message}`]);
    calm = moving.length === 0 ? calm + 1 : 0;
    if (calm >= 2) return [];
    if (Date.now() > deadline) return moving;
    await sleep(1000);
  }
}

/** Pages of a list endpoint that answers `{items, nextBefore}`. */
async function allPages<T>(system: ChaosSystem, path: string, headers: Record<string, string>): Promise<T[]> {
  const out: T[] = [];
  for (let before: number | null = null; ; ) {
    const reply = await persist(() => system.url, 'GET', `${path}${before === null ? '' : `&before=${before}`}`, headers, undefined, Date.now() + 30_000);
    if (reply.status !== 200) throw new Error(`GET ${path} answered ${reply.status}`);
    out.push(...(reply.body.items as T[]));
    before = reply.body.nextBefore ?? null;
    if (before === null) return out;
  }
}

/** A pass for reading the seat maps, taken through the waiting room like anyone's. */
async function passFor(system: ChaosSystem, headers: Record<string, string>): Promise<string> {
  const deadline = Date.now() + 120_000;
  let q = (await persist(() => system.url, 'POST', '/queue/token', headers, undefined, deadline)).body;
  while (q?.status !== 'ACTIVE' && Date.now() < deadline) {
    await sleep(Math.max(500, Number(q?.pollAfterSeconds ?? 1) * 1000));
    const reply = await persist(() => system.url, 'GET', '/queue/status', { ...headers, 'x-queue-token': q.token }, undefined, deadline);
    q = reply.status === 200 ? reply.body : (await persist(() => system.url, 'POST', '/queue/token', headers, undefined, deadline)).body;
  }
  if (q?.status !== 'ACTIVE') throw new Error('the checker was not admitted by the waiting room within 2 minutes');
  return q.pass.token;
}

/**
 * The reservation module's ConfirmationFailed events, each with when it was handled and, if the
 * hold's expiry was recorded before it (by the sweeper, or by a new hold of the seat), when.
 */
async function confirmationFailures(db: ModuleReader): Promise<Observations['db']['confirmationFailures']> {
  const rows = await db.all<{ reservation_id: number; type: string; data: string; occurred_at_ms: number }>(
    `select reservation_id, type, data, occurred_at_ms from reservation_events
     where reservation_id in (select reservation_id from reservation_events where type = 'ConfirmationFailed') order by seq`,
  );
  const expiredAt = new Map<number, number>();
  const out: Observations['db']['confirmationFailures'] = [];
  for (const e of rows) {
    if (e.type === 'HoldExpired') expiredAt.set(e.reservation_id, Number(e.occurred_at_ms));
    if (e.type !== 'ConfirmationFailed') continue;
    const data = JSON.parse(e.data) as { paymentId: number; reason: string };
    const atMs = Number(e.occurred_at_ms);
    const before = expiredAt.get(e.reservation_id);
    out.push({
      reservationId: e.reservation_id,
      paymentId: data.paymentId,
      reason: data.reason,
      atMs,
      expiryRecordedAtMs: before !== undefined && before < atMs ? before : null,
    });
  }
  return out;
}

/** The events a buyer is told of (`BUYER_EVENTS`), from the outbox of the module that published them. */
async function buyerEvents(system: ChaosSystem, module: 'reservation' | 'payment'): Promise<Observations['db']['buyerEvents']> {
  const types = Object.keys(BUYER_EVENTS).filter((t) => t.startsWith(`${module}.`));
  return withReader(system, module, async (db) =>
    (
      await db.all<{ event_id: string; type: string; payload: string }>(
        `select event_id, type, payload from outbox where type in (${types.map((t) => `'${t}'`).join(', ')})`,
      )
    ).map((e) => {
      const payload = JSON.parse(e.payload) as { reservationId: number; userId: number };
      return { eventId: e.event_id, type: e.type, reservationId: payload.reservationId, userId: payload.userId };
    }),
  );
}

/** Everything the checker judges, read once the system settled. */
export async function collect(
  system: ChaosSystem,
  users: ChaosUser[],
  schedules: ChaosSchedule[],
  waitingRoom: Observations['waitingRoom'],
  unsettled: string[],
  gateway: FakeGateway,
  sink: FakeSink,
): Promise<Observations> {
  const base = () => system.url;
  const api: Observations['api'] = { users: [], seatMaps: [], dataPlatform: [], deadLetters: [] };
  for (const u of users) {
    const balance = await persist(base, 'GET', '/balance', u.auth, undefined, Date.now() + 30_000);
    api.users.push({
      userId: u.id,
      balance: balance.status === 200 ? balance.body.balance : Number.NaN,
      history: await allPages(system, '/payments/history?limit=200', u.auth),
      reservations: await allPages(system, '/ticketing/reservations?limit=200', u.auth),
    });
  }
  const withPass = { ...system.admin, 'x-queue-pass': await passFor(system, system.admin) };
  for (const s of schedules) {
    const map = await persist(base, 'GET', `/ticketing/search/schedules/${s.id}/seats`, withPass, undefined, Date.now() + 30_000);
    if (map.status !== 200) throw new Error(`the seat map of schedule ${s.id} answered ${map.status}`);
    api.seatMaps.push({ scheduleId: s.id, seats: map.body.items });
  }
  for (let page = 1; ; page += 1) {
    const reply = await persist(base, 'GET', `/data-platform/reservations?status=ALL&page=${page}&pageSize=500`, system.admin, undefined, Date.now() + 30_000);
    if (reply.status !== 200) throw new Error(`GET /data-platform/reservations answered ${reply.status}`);
    api.dataPlatform.push(...reply.body.items);
    if (reply.body.items.length < 500) break;
  }
  const dead = await persist(base, 'GET', '/admin/events/dead', system.admin, undefined, Date.now() + 30_000);
  api.deadLetters = dead.status === 200 ? dead.body.items : [{ id: '?', subscriber: '?', type: '?', error: `GET /admin/events/dead answered ${dead.status}` }];

  const readAtMs = Date.now();
  const reservation = await withReader(system, 'reservation', async (db) => ({
    reservations: (
      await db.all<{
        id: number;
        user_id: number;
        schedule_id: number;
        seat_id: number;
        price: number;
        status: string;
        expires_at_ms: number;
        confirmed_at_ms: number | null;
        payment_id: number | null;
      }>(`select id, user_id, schedule_id, seat_id, price, status, expires_at_ms, confirmed_at_ms, payment_id from reservations`)
    ).map((r) => ({
      id: r.id,
      userId: r.user_id,
      scheduleId: r.schedule_id,
      seatId: r.seat_id,
      price: Number(r.price),
      status: r.status,
      expiresAtMs: Number(r.expires_at_ms),
      confirmedAtMs: r.confirmed_at_ms === null ? null : Number(r.confirmed_at_ms),
      paymentId: r.payment_id,
    })),
    confirmationFailures: await confirmationFailures(db),
    sagas: (
      await db.all<{ id: string; reservation_id: number; status: string; payment_id: number | null }>(
        `select id, reservation_id, status, payment_id from confirm_sagas`,
      )
    ).map((s) => ({
      id: s.id,
      reservationId: s.reservation_id,
      status: s.status,
      paymentId: s.payment_id,
    })),
  }));
  const payment = await withReader(system, 'payment', async (db) => ({
    payments: (
      await db.all<{ id: number; reservation_id: number; user_id: number; amount: number; status: string; saga_id: string | null }>(
        `select id, reservation_id, user_id, amount, status, saga_id from payments`,
      )
    ).map((p) => ({ id: p.id, reservationId: p.reservation_id, userId: p.user_id, amount: Number(p.amount), status: p.status, sagaId: p.saga_id })),
    ledger: (
      await db.all<{
        id: number;
        user_id: number;
        type: string;
        amount: number;
        reservation_id: number | null;
        payment_id: number | null;
        charge_attempt_id: string | null;
      }>(`select id, user_id, type, amount, reservation_id, payment_id, charge_attempt_id from ledger_entries`)
    ).map((e) => ({
      id: e.id,
      userId: e.user_id,
      type: e.type,
      amount: Number(e.amount),
      reservationId: e.reservation_id,
      paymentId: e.payment_id,
      chargeAttemptId: e.charge_attempt_id,
    })),
    accounts: (await db.all<{ user_id: number; balance: number }>(`select user_id, balance from accounts`)).map((a) => ({
      userId: a.user_id,
      balance: Number(a.balance),
    })),
    chargeAttempts: (
      await db.all<{ id: string; user_id: number; amount: number; status: string }>(`select id, user_id, amount, status from charge_attempts`)
    ).map((a) => ({
      id: a.id,
      userId: a.user_id,
      amount: Number(a.amount),
      status: a.status,
    })),
  }));
  const queueTokens = await withReader(system, 'queue', async (db) =>
    (
      await db.all<{ seq: number; user_id: number; status: string; activated_at_ms: number | null; ended_at_ms: number | null }>(
        `select seq, user_id, status, activated_at_ms, ended_at_ms from queue_tokens`,
      )
    ).map((t) => ({
      seq: t.seq,
      userId: t.user_id,
      status: t.status,
      activatedAtMs: t.activated_at_ms === null ? null : Number(t.activated_at_ms),
      endedAtMs: t.ended_at_ms === null ? null : Number(t.ended_at_ms),
    })),
  );
  const notifications = await withReader(system, 'notification', async (db) =>
    (
      await db.all<{ source_event_id: string; type: string; reservation_id: number; user_id: number }>(
        `select source_event_id, type, reservation_id, user_id from nt_notifications`,
      )
    ).map((n) => ({ sourceEventId: n.source_event_id, type: n.type, reservationId: n.reservation_id, userId: n.user_id })),
  );
  const told = [...(await buyerEvents(system, 'reservation')), ...(await buyerEvents(system, 'payment'))];
  return {
    waitingRoom,
    clients: users.map((u) => u.log),
    api,
    unsettled,
    orphans: [...system.orphans],
    db: { ...reservation, ...payment, queueTokens, buyerEvents: told, notifications, readAtMs },
    gateway: [...gateway.charges.values()],
    sink: [...sink.records.values()],
  };
}
