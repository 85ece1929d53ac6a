import { codeOf, once, persist, type Reply, send } from './client';
import { sleep } from './fake-gateway';
import type { Prng } from './prng';

export interface ChaosSeat {
  id: number;
  price: number;
}

export interface ChaosSchedule {
  id: number;
  seats: ChaosSeat[];
}

/** What one client was told, in its own words: the checker judges the system against these. */
export interface ClientLog {
  userId: number;
  email: string;
  /** Holds answered 201. */
  holds: Array<{ reservationId: number; scheduleId: number; seatId: number; price: number; atMs: number }>;
  /** Payments through /payments/process or the orchestrated confirm, and what the client was finally told. */
  payments: Array<{ reservationId: number; via: 'process' | 'confirm'; outcome: 'paid' | 'refused' | 'unknown'; code?: string; atMs: number }>;
  cancels: Array<{ reservationId: number; afterPaid: boolean; outcome: 'cancelled' | 'refused' | 'unknown'; atMs: number }>;
  charges: Array<{
    amount: number;
    keyed: boolean;
    outcome: 'credited' | 'declined' | 'refused' | 'unavailable' | 'unknown';
    transactionId?: number;
    code?: string;
  }>;
  /** Every balance an answer showed (charges, payments, GET /balance). */
  balancesSeen: number[];
  /**
   * Spans the client knows its queue token was ACTIVE throughout (client clock): from receiving
   * the first answer that said ACTIVE to sending the last one that did (a token never goes back
   * to WAITING).
   */
  activeSpans: Array<{ token: string; fromMs: number; toMs: number }>;
  counts: { requests: number; holdRefused: number; holdUnknown: number; visits: number; left: number; leftHoldsToExpire: number; passRefused: number };
}

export interface ChaosUser {
  id: number;
  email: string;
  auth: Record<string, string>;
  log: ClientLog;
}

export interface WorkloadContext {
  base: () => string;
  schedules: ChaosSchedule[];
  /** How many of the first available seats of a schedule the racing buyers aim at. */
  hotSeats: number;
  stopping: () => boolean;
  rng: Prng;
}

/** How long a careful client keeps repeating one request through restarts and faults. */
const PERSIST_MS = 45_000;

/** Signs a user up and logs in (before the faults begin). */
export async function signUp(ctx: WorkloadContext, i: number, runTag: string): Promise<ChaosUser> {
  const email = `chaos-${runTag}-${i}@chaos.local`;
  const deadline = Date.now() + PERSIST_MS;
  const signup = await persist(ctx.base, 'POST', '/auth/signup', {}, { email, password: 'chaos-password', name: `Chaos ${i}` }, deadline);
  if (signup.status !== 201) throw new Error(`signup of ${email} answered ${signup.status}`);
  const login = await persist(ctx.base, 'POST', '/auth/login', {}, { email, password: 'chaos-password' }, deadline);
  if (login.status !== 200) throw new Error(`login of ${email} answered ${login.status}`);
  const id = signup.body.id as number;
  return { id, email, auth: { authorization: `Bearer ${login.body.accessToken}` }, log: newClientLog(id, email) };
}

/** An empty record of what a client was told. */
export function newClientLog(userId: number, email: string): ClientLog {
  return {
    userId,
    email,
    holds: [],
    payments: [],
    cancels: [],
    charges: [],
    balancesSeen: [],
    activeSpans: [],
    counts: { requests: 0, holdRefused: 0, holdUnknown: 0, visits: 0, left: 0, leftHoldsToExpire: 0, passRefused: 0 },
  };
}

/** One user's sale, visit after visit, until the run stops: queue, browse, hold, charge, pay, cancel, leave. */
export async function runUser(ctx: WorkloadContext, user: ChaosUser): Promise<void> {
  const rng = ctx.rng.fork(`user-${user.id}`);
  while (!ctx.stopping()) {
    await visit(ctx, user, rng);
    await sleep(rng.int(200, 1500));
  }
}

async function visit(ctx: WorkloadContext, user: ChaosUser, rng: Prng): Promise<void> {
  const { log } = user;
  const admitted = await admit(ctx, user);
  if (!admitted) return;
  log.counts.visits += 1;
  const withPass = { ...user.auth, 'x-queue-pass': admitted.pass };
  const schedule = rng.pick(ctx.schedules);
  const map = await persist(ctx.base, 'GET', `/ticketing/search/schedules/${schedule.id}/seats`, withPass, undefined, Date.now() + PERSIST_MS);
  log.counts.requests += 1;
  const available: number[] =
    map.status === 200 ? map.body.items.filter((s: { status: string }) => s.status === 'AVAILABLE').map((s: { id: number }) => s.id) : [];
  // Racing: one of the first few seats still available, which the other buyers of this moment want too.
  const hot = available.length > 0 ? available.slice(0, ctx.hotSeats) : schedule.seats.slice(0, ctx.hotSeats).map((s) => s.id);
  const wanted = new Set<number>();
  const choices = new Set([...hot, ...available]).size;
  for (let n = Math.min(rng.int(1, 2), choices); wanted.size < n; )
    wanted.add(rng.chance(0.35) || available.length === 0 ? rng.pick(hot) : rng.pick(available));

  const holds: Array<{ reservationId: number; price: number }> = [];
  for (const seatId of wanted) {
    const reply = await once(ctx.base, 'POST', '/ticketing/reservations/new', withPass, { scheduleId: schedule.id, seatId }, Date.now() + PERSIST_MS);
    log.counts.requests += 1;
    if (reply.status === 201) {
      const price = reply.body.price as number;
      log.holds.push({ reservationId: reply.body.id, scheduleId: schedule.id, seatId, price, atMs: Date.now() });
      holds.push({ reservationId: reply.body.id, price });
    } else if (reply.status === 403) {
      log.counts.passRefused += 1;
      break;
    } else if (reply.status === 409 || reply.status === 404) log.counts.holdRefused += 1;
    else log.counts.holdUnknown += 1;
  }

  if (holds.length > 0) {
    const need = holds.reduce((n, h) => n + h.price, 0);
    const balance = await persist(ctx.base, 'GET', '/balance', user.auth, undefined, Date.now() + PERSIST_MS);
    log.counts.requests += 1;
    if (balance.status === 200) log.balancesSeen.push(balance.body.balance);
    const have = balance.status === 200 ? (balance.body.balance as number) : 0;
    // Sometimes a little short on purpose: a payment refused for the balance must leave the hold alone.
    if (have < need) await charge(ctx, user, rng, need - have + rng.pick([0, 0, 5_000, 20_000, -1_000]));
  }

  for (const hold of holds) {
    if (ctx.stopping()) break;
    const fate = rng.weighted({ process: 40, confirm: 35, cancel: 10, expire: 15 });
    if (fate === 'expire') {
      log.counts.leftHoldsToExpire += 1;
      continue;
    }
    if (fate === 'cancel') {
      await cancel(ctx, user, hold.reservationId, false);
      continue;
    }
    const paid =
      fate === 'process' ? await payByProcess(ctx, user, hold.reservationId, withPass, rng) : await payByConfirm(ctx, user, hold.reservationId, withPass);
    if (paid && rng.chance(0.12)) await cancel(ctx, user, hold.reservationId, true);
  }

  // A second look at the token before leaving ("asking again returns it"; a status poll this soon
  // would be refused as too eager): the span it was ACTIVE throughout, for the waiting room's check.
  const sentAt = Date.now();
  const again = await send(ctx.base, 'POST', '/queue/token', user.auth);
  log.counts.requests += 1;
  if (again.status === 200 && again.body.token === admitted.token && again.body.status === 'ACTIVE') admitted.span.toMs = Math.max(admitted.span.toMs, sentAt);
  // Some leave; everyone leaves when the run stops (the checker then takes its own place in the queue).
  if (ctx.stopping() || rng.chance(0.3)) {
    const left = await persist(ctx.base, 'DELETE', '/queue/token', { ...user.auth, 'x-queue-token': admitted.token }, undefined, Date.now() + PERSIST_MS);
    if (left.status === 204) log.counts.left += 1;
  }
}

/** Takes a queue token and polls as told (pollAfterSeconds, Retry-After) until it is ACTIVE; null when the run stops first. */
async function admit(ctx: WorkloadContext, user: ChaosUser): Promise<{ token: string; pass: string; span: ClientLog['activeSpans'][number] } | null> {
  const { log } = user;
  let reply = await persist(ctx.base, 'POST', '/queue/token', user.auth, undefined, Date.now() + PERSIST_MS);
  for (;;) {
    log.counts.requests += 1;
    if (ctx.stopping()) {
      // Out of the line, so that nobody's place ahead of the checker's lasts beyond the run.
      if (reply.status === 200 || reply.status === 201)
        await persist(ctx.base, 'DELETE', '/queue/token', { ...user.auth, 'x-queue-token': reply.body.token }, undefined, Date.now() + PERSIST_MS);
      return null;
    }
    if (reply.status === 200 || reply.status === 201) {
      const q = reply.body;
      if (q.status === 'ACTIVE' && q.pass) {
        const span = { token: q.token as string, fromMs: Date.now(), toMs: Date.now() };
        log.activeSpans.push(span);
        return { token: q.token, pass: q.pass.token, span };
      }
      if (q.status === 'EXPIRED' || q.status === 'COMPLETED') {
        reply = await persist(ctx.base, 'POST', '/queue/token', user.auth, undefined, Date.now() + PERSIST_MS);
        continue;
      }
      await sleep(Math.max(250, Number(q.pollAfterSeconds) * 1000));
      reply = await poll(ctx, user, q.token);
      continue;
    }
    if (reply.status === 429) {
      await sleep(Math.max(250, Number(reply.headers['retry-after'] ?? 1) * 1000));
      continue;
    }
    // The token is gone or the server is away: start over with a token.
    await sleep(500);
    reply = await persist(ctx.base, 'POST', '/queue/token', user.auth, undefined, Date.now() + PERSIST_MS);
  }
}

async function poll(ctx: WorkloadContext, user: ChaosUser, token: string): Promise<Reply> {
  const reply = await persist(ctx.base, 'GET', '/queue/status', { ...user.auth, 'x-queue-token': token }, undefined, Date.now() + PERSIST_MS);
  // A 429 is answered by this loop's caller (it waits Retry-After); persist would have hammered.
  return reply;
}

async function charge(ctx: WorkloadContext, user: ChaosUser, rng: Prng, amount: number): Promise<void> {
  if (amount < 1) return;
  const keyed = rng.chance(0.7);
  const entry: ClientLog['charges'][number] = { amount, keyed, outcome: 'unknown' };
  user.log.charges.push(entry);
  const deadline = Date.now() + PERSIST_MS;
  let reply: Reply;
  if (keyed) {
    const key = `charge-${user.id}-${user.log.charges.length}`;
    reply = await persist(ctx.base, 'POST', '/payments/charge', { ...user.auth, 'idempotency-key': key }, { amount }, deadline);
  } else {
    // Without a key, repeated only while the gateway certainly took nothing (503 PAYMENT_GATEWAY_UNAVAILABLE).
    for (let attempt = 0; ; attempt += 1) {
      reply = await once(ctx.base, 'POST', '/payments/charge', user.auth, { amount }, deadline);
      if (!(reply.status === 503 && codeOf(reply) === 'PAYMENT_GATEWAY_UNAVAILABLE') || attempt >= 5 || Date.now() > deadline) break;
      await sleep(1000);
    }
  }
  user.log.counts.requests += 1;
  if (reply.status === 200) {
    entry.outcome = 'credited';
    entry.transactionId = reply.body.transactionId;
    user.log.balancesSeen.push(reply.body.balance);
  } else if (reply.status === 402) entry.outcome = 'declined';
  else if (reply.status === 422) entry.outcome = 'refused';
  else if (reply.status === 503 && codeOf(reply) === 'PAYMENT_GATEWAY_UNAVAILABLE') entry.outcome = 'unavailable';
  if (reply.status !== 0) entry.code = codeOf(reply);
}

async function payByProcess(ctx: WorkloadContext, user: ChaosUser, reservationId: number, withPass: Record<string, string>, rng: Prng): Promise<boolean> {
  const entry: ClientLog['payments'][number] = { reservationId, via: 'process', outcome: 'unknown', atMs: Date.now() };
  user.log.payments.push(entry);
  const deadline = Date.now() + PERSIST_MS;
  const keyed = rng.chance(0.85);
  const headers = keyed ? { ...withPass, 'idempotency-key': `pay-${reservationId}` } : withPass;
  // Keyed: repeated through anything transient, and through 404 (the payment module has not heard of the hold yet).
  const reply = keyed
    ? await persist(ctx.base, 'POST', '/payments/process', headers, { reservationId }, deadline, [404])
    : await once(ctx.base, 'POST', '/payments/process', headers, { reservationId }, deadline);
  user.log.counts.requests += 1;
  entry.atMs = Date.now();
  if (reply.status === 200 && reply.body.status === 'PAID') {
    entry.outcome = 'paid';
    user.log.balancesSeen.push(reply.body.balance);
    return true;
  }
  if (reply.status === 402 || reply.status === 409 || reply.status === 404) entry.outcome = 'refused';
  // Kept for an unknown outcome too (a pass that expired while the charge was being retried: 403).
  entry.code = codeOf(reply) ?? (reply.status === 0 ? reply.error : String(reply.status));
  return false;
}

async function payByConfirm(ctx: WorkloadContext, user: ChaosUser, reservationId: number, withPass: Record<string, string>): Promise<boolean> {
  const entry: ClientLog['payments'][number] = { reservationId, via: 'confirm', outcome: 'unknown', atMs: Date.now() };
  user.log.payments.push(entry);
  const deadline = Date.now() + PERSIST_MS;
  const reply = await persist(
    ctx.base,
    'POST',
    '/ticketing/reservations/confirm',
    { ...withPass, 'idempotency-key': `confirm-${reservationId}` },
    { reservationId },
    deadline,
  );
  user.log.counts.requests += 1;
  entry.atMs = Date.now();
  let saga = reply.status === 200 || reply.status === 202 ? reply.body.saga : null;
  if (reply.status === 402 || reply.status === 409) {
    entry.outcome = 'refused';
    entry.code = codeOf(reply);
    return false;
  }
  if (reply.status !== 200 && reply.status !== 202) entry.code = codeOf(reply) ?? (reply.status === 0 ? reply.error : String(reply.status));
  // 202: the saga is still running; its outcome is read from GET /ticketing/sagas/{id}.
  while (saga && (saga.status === 'RUNNING' || saga.status === 'COMPENSATING') && Date.now() < deadline) {
    await sleep(500);
    const again = await persist(ctx.base, 'GET', `/ticketing/sagas/${saga.id}`, user.auth, undefined, deadline);
    user.log.counts.requests += 1;
    if (again.status === 200) saga = again.body;
  }
  entry.atMs = Date.now();
  if (saga?.status === 'COMPLETED') {
    entry.outcome = 'paid';
    return true;
  }
  if (saga?.status === 'FAILED' || saga?.status === 'COMPENSATED') {
    entry.outcome = 'refused';
    entry.code = saga.failure?.code;
  }
  return false;
}

async function cancel(ctx: WorkloadContext, user: ChaosUser, reservationId: number, afterPaid: boolean): Promise<void> {
  const entry: ClientLog['cancels'][number] = { reservationId, afterPaid, outcome: 'unknown', atMs: Date.now() };
  user.log.cancels.push(entry);
  const deadline = Date.now() + PERSIST_MS;
  let repeated = false;
  for (let attempt = 0; ; attempt += 1) {
    const reply = await send(ctx.base, 'POST', `/ticketing/reservations/${reservationId}/cancel`, user.auth);
    user.log.counts.requests += 1;
    entry.atMs = Date.now();
    if (reply.status === 200) {
      entry.outcome = 'cancelled';
      return;
    }
    // A 409 after a repeat may be this very cancellation, done by the first try: the outcome stays unknown.
    if (reply.status === 409 || reply.status === 404) {
      if (!repeated) entry.outcome = 'refused';
      return;
    }
    if (Date.now() > deadline) return;
    repeated ||= reply.status === 0 ? reply.sent : reply.status !== 503 || codeOf(reply) !== 'SERVICE_UNAVAILABLE';
    await sleep(Math.min(2000, 200 * 2 ** Math.min(attempt, 4)));
  }
}
