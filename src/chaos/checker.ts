import type { GatewayCharge } from './fake-gateway';
import type { SinkRecord } from './fake-sink';
import type { ClientLog } from './workload';

/** Everything the checker judges, gathered once the system settled: the clients' records, the API's answers, the module databases, the fakes' records. */
export interface Observations {
  waitingRoom: { maxActive: number; admitPerSecond: number };
  clients: ClientLog[];
  api: {
    users: Array<{
      userId: number;
      balance: number;
      history: Array<{ id: number; type: 'CHARGE' | 'PAYMENT' | 'REFUND'; amount: number }>;
      reservations: Array<{ id: number; status: string; scheduleId: number; seatId: number }>;
    }>;
    seatMaps: Array<{ scheduleId: number; seats: Array<{ id: number; status: string }> }>;
    dataPlatform: Array<{ reservationId: number; userId: number; amount: number; status: string }>;
    deadLetters: Array<{ id: string; subscriber: string; type: string; error: string }>;
  };
  /** What had not settled when the settle phase gave up (empty: everything did). */
  unsettled: string[];
  /** Services that outlived their killed supervisor (split topology). */
  orphans: string[];
  db: {
    reservations: Array<{
      id: number;
      userId: number;
      scheduleId: number;
      seatId: number;
      price: number;
      status: string;
      expiresAtMs: number;
      confirmedAtMs: number | null;
      paymentId: number | null;
    }>;
    /** ConfirmationFailed events of the reservation module: why a payment could not confirm (and was refunded). */
    confirmationFailures: Array<{
      reservationId: number;
      paymentId: number;
      reason: string;
      /** When the failure was recorded, and when the hold's expiry was, if that came first (a sweeper, a new hold of the seat). */
      atMs: number;
      expiryRecordedAtMs: number | null;
    }>;
    payments: Array<{ id: number; reservationId: number; userId: number; amount: number; status: string; sagaId: string | null }>;
    ledger: Array<{
      id: number;
      userId: number;
      type: string;
      amount: number;
      reservationId: number | null;
      paymentId: number | null;
      chargeAttemptId: string | null;
    }>;
    accounts: Array<{ userId: number; balance: number }>;
    chargeAttempts: Array<{ id: string; userId: number; amount: number; status: string }>;
    sagas: Array<{ id: string; reservationId: number; status: string; paymentId: number | null }>;
    queueTokens: Array<{ seq: number; userId: number; status: string; activatedAtMs: number | null; endedAtMs: number | null }>;
    /** Every event the buyer is to be told of (`BUYER_EVENTS`), from its publisher's outbox. */
    buyerEvents: Array<{ eventId: string; type: string; reservationId: number; userId: number }>;
    /** The notification module's notifications, each with the event it came from. */
    notifications: Array<{ sourceEventId: string; type: string; reservationId: number; userId: number }>;
    /** When the databases were read (server clock = this machine's). */
    readAtMs: number;
  };
  gateway: GatewayCharge[];
  sink: SinkRecord[];
}

export interface Verdict {
  name: string;
  ok: boolean;
  /** What was checked, with its counts. */
  checked: string;
  /** Every offence found, each naming its ids; the report shows the first few. */
  offenders: string[];
  /** Explained, allowed cases worth knowing (e.g. dead letters explained), shown even on PASS. */
  notes: string[];
}

export const INVARIANTS = [
  'settled',
  'no-orphans',
  'acknowledged-payments',
  'seats',
  'balances',
  'gateway-charges',
  'data-platform',
  'notifications',
  'sagas-and-dead-letters',
  'waiting-room',
] as const;

/** The events the buyer is notified of, and the notification each one makes. */
export const BUYER_EVENTS: Record<string, string> = {
  'reservation.success': 'CONFIRMED',
  'reservation.cancelled': 'CANCELLED',
  'reservation.expired': 'EXPIRED',
  'reservation.failed': 'FAILED',
  'payment.cancelled': 'REFUNDED',
};

export type InvariantName = (typeof INVARIANTS)[number];

const TITLES: Record<InvariantName, string> = {
  settled: 'the system settled after the faults (bus drained, charges resolved, holds ended)',
  'no-orphans': 'every service ended with its killed supervisor',
  'acknowledged-payments': 'every payment a client was told succeeded ends CONFIRMED, or refunded if cancelled; payments match confirmations',
  seats: 'no seat held or sold twice; sold seats on the map equal confirmed reservations; holds and cancellations told are kept',
  balances: 'every balance equals the sum of its ledger and is never negative',
  'gateway-charges': 'every charge the gateway took is credited exactly once, and nothing else is',
  'data-platform': 'the data platform has exactly one record per confirmed reservation and none for the rest',
  notifications: 'every event a buyer is told of made exactly one notification, of its kind, to its buyer, and nothing else made one',
  'sagas-and-dead-letters': 'every saga is COMPLETED or compensated; no dead letters',
  'waiting-room': 'the waiting room never had more users active than its cap, nor admitted faster than its rate',
};

export function titleOf(name: InvariantName): string {
  return TITLES[name];
}

/** Judges every invariant from the observations. Pure: the same observations give the same verdicts. */
export function judge(o: Observations): Record<InvariantName, Verdict> {
  return {
    settled: verdict('settled', `${o.unsettled.length} things left unsettled`, o.unsettled),
    'no-orphans': verdict('no-orphans', `${o.orphans.length} services outlived their supervisor`, o.orphans),
    'acknowledged-payments': acknowledgedPayments(o),
    seats: seats(o),
    balances: balances(o),
    'gateway-charges': gatewayCharges(o),
    'data-platform': dataPlatform(o),
    notifications: notifications(o),
    'sagas-and-dead-letters': sagas(o),
    'waiting-room': waitingRoom(o),
  };
}

function verdict(name: InvariantName, checked: string, offenders: string[], notes: string[] = []): Verdict {
  return { name, ok: offenders.length === 0, checked, offenders, notes };
}

function byId<T, K>(items: T[], key: (t: T) => K): Map<K, T> {
  return new Map(items.map((t) => [key(t), t]));
}

function countBy<T, K>(items: T[], key: (t: T) => K): Map<K, number> {
  const out = new Map<K, number>();
  for (const t of items) out.set(key(t), (out.get(key(t)) ?? 0) + 1);
  return out;
}

/** A reservation that was confirmed at some point (it may have been cancelled and refunded since). */
function everConfirmed(r: Observations['db']['reservations'][number]): boolean {
  return r.status === 'CONFIRMED' || (r.status === 'CANCELLED' && r.confirmedAtMs !== null);
}

function acknowledgedPayments(o: Observations): Verdict {
  const offenders: string[] = [];
  const reservations = byId(o.db.reservations, (r) => r.id);
  const paymentOf = byId(o.db.payments, (p) => p.reservationId);
  let told = 0;
  for (const client of o.clients) {
    for (const p of client.payments) {
      const r = reservations.get(p.reservationId);
      const cancelled = client.cancels.some((c) => c.reservationId === p.reservationId && c.outcome !== 'refused');
      const payment = paymentOf.get(p.reservationId);
      if (p.outcome === 'refused' && (p.code === 'INSUFFICIENT_BALANCE' || p.code === 'RESERVATION_NOT_PAYABLE') && r && everConfirmed(r))
        offenders.push(`reservation ${p.reservationId} (user ${client.userId}): told ${p.code} via ${p.via}, but it was confirmed`);
      if (p.outcome !== 'paid') continue;
      told += 1;
      if (!r) {
        offenders.push(`reservation ${p.reservationId} (user ${client.userId}): told paid via ${p.via}, but the reservation does not exist`);
        continue;
      }
      if (r.status === 'CONFIRMED') {
        if (client.cancels.some((c) => c.reservationId === r.id && c.outcome === 'cancelled'))
          offenders.push(`reservation ${r.id} (user ${client.userId}): told cancelled, but it is still CONFIRMED`);
        continue;
      }
      if (cancelled && r.status === 'CANCELLED' && payment?.status === 'REFUNDED') continue;
      const failure = o.db.confirmationFailures.find((f) => f.reservationId === r.id);
      const late = (ms: number) => `${((ms - r.expiresAtMs) / 1000).toFixed(1)} s after the hold's expiry`;
      const why = !failure
        ? ''
        : `, confirmation failed: ${failure.reason} ${late(failure.atMs)}${failure.expiryRecordedAtMs === null ? '' : ` (the expiry was recorded ${late(failure.expiryRecordedAtMs)}, before the payment was handled)`}`;
      offenders.push(
        `reservation ${r.id} (user ${client.userId}): told paid via ${p.via}, ends ${r.status}, payment ${payment ? `${payment.id} ${payment.status}` : 'none'}${why}${cancelled ? ' (client cancelled it)' : ''}`,
      );
    }
  }
  // The module records against each other: a kept payment ⇔ a confirmed reservation.
  for (const p of o.db.payments) {
    const r = reservations.get(p.reservationId);
    if (p.status === 'PAID' && r?.status !== 'CONFIRMED')
      offenders.push(`payment ${p.id} of reservation ${p.reservationId} is PAID, but the reservation is ${r?.status ?? 'missing'}`);
    if (p.status === 'REFUNDED' && r?.status === 'CONFIRMED')
      offenders.push(`payment ${p.id} of reservation ${p.reservationId} is REFUNDED, but the reservation is CONFIRMED`);
  }
  for (const r of o.db.reservations) {
    if (r.status !== 'CONFIRMED') continue;
    const p = paymentOf.get(r.id);
    if (p?.status !== 'PAID' || p.id !== r.paymentId)
      offenders.push(`reservation ${r.id} is CONFIRMED with payment ${r.paymentId}, but the payment module has ${p ? `${p.id} ${p.status}` : 'none'}`);
    if (p && (p.amount !== r.price || p.userId !== r.userId))
      offenders.push(`reservation ${r.id}: payment ${p.id} is ${p.amount} by user ${p.userId}, the reservation ${r.price} for user ${r.userId}`);
  }
  const confirmed = o.db.reservations.filter((r) => r.status === 'CONFIRMED').length;
  return verdict('acknowledged-payments', `${told} payments told paid; ${o.db.payments.length} payments, ${confirmed} confirmed reservations`, offenders);
}

function seats(o: Observations): Verdict {
  const offenders: string[] = [];
  const seatKey = (scheduleId: number, seatId: number) => `schedule ${scheduleId} seat ${seatId}`;
  const live = o.db.reservations.filter((r) => r.status === 'CONFIRMED' || (r.status === 'HELD' && r.expiresAtMs > o.db.readAtMs));
  for (const [seat, n] of countBy(live, (r) => seatKey(r.scheduleId, r.seatId)))
    if (n > 1)
      offenders.push(
        `${seat} held or sold ${n} times (reservations ${live
          .filter((r) => seatKey(r.scheduleId, r.seatId) === seat)
          .map((r) => `${r.id} ${r.status}`)
          .join(', ')})`,
      );
  // What the clients were told about their holds is what the reservation module kept.
  const reservations = byId(o.db.reservations, (r) => r.id);
  for (const c of o.clients) {
    for (const h of c.holds) {
      const r = reservations.get(h.reservationId);
      if (!r || r.userId !== c.userId || r.scheduleId !== h.scheduleId || r.seatId !== h.seatId)
        offenders.push(
          `user ${c.userId} was told HELD reservation ${h.reservationId} of ${seatKey(h.scheduleId, h.seatId)}, the reservation module has ${r ? `user ${r.userId}'s ${seatKey(r.scheduleId, r.seatId)}` : 'nothing'}`,
        );
    }
    for (const x of c.cancels)
      if (x.outcome === 'cancelled' && reservations.get(x.reservationId)?.status !== 'CANCELLED')
        offenders.push(
          `user ${c.userId} was told reservation ${x.reservationId} is cancelled, it is ${reservations.get(x.reservationId)?.status ?? 'missing'}`,
        );
  }
  // What the buyers see: each seat in at most one buyer's CONFIRMED list.
  const apiConfirmed = o.api.users.flatMap((u) => u.reservations.filter((r) => r.status === 'CONFIRMED').map((r) => ({ ...r, userId: u.userId })));
  for (const [seat, n] of countBy(apiConfirmed, (r) => seatKey(r.scheduleId, r.seatId))) if (n > 1) offenders.push(`${seat} is CONFIRMED for ${n} buyers`);
  // The seat map against the reservations.
  const confirmed = new Set(o.db.reservations.filter((r) => r.status === 'CONFIRMED').map((r) => seatKey(r.scheduleId, r.seatId)));
  let sold = 0;
  for (const map of o.api.seatMaps) {
    for (const seat of map.seats) {
      const key = seatKey(map.scheduleId, seat.id);
      if (seat.status === 'SOLD') sold += 1;
      if (seat.status === 'SOLD' && !confirmed.has(key)) offenders.push(`${key} is SOLD on the map but no reservation of it is CONFIRMED`);
      if (seat.status !== 'SOLD' && confirmed.has(key)) offenders.push(`${key} is ${seat.status} on the map but a reservation of it is CONFIRMED`);
    }
  }
  return verdict('seats', `${o.db.reservations.length} reservations, ${confirmed.size} seats confirmed, ${sold} SOLD on the maps`, offenders);
}

function signed(type: string, amount: number): number {
  return type === 'PAYMENT' ? -amount : amount;
}

function balances(o: Observations): Verdict {
  const offenders: string[] = [];
  const ledgerSum = new Map<number, number>();
  for (const e of o.db.ledger) ledgerSum.set(e.userId, (ledgerSum.get(e.userId) ?? 0) + signed(e.type, e.amount));
  const accounts = byId(o.db.accounts, (a) => a.userId);
  for (const a of o.db.accounts) {
    if (a.balance < 0) offenders.push(`user ${a.userId}: balance ${a.balance} is negative`);
    if (a.balance !== (ledgerSum.get(a.userId) ?? 0)) offenders.push(`user ${a.userId}: balance ${a.balance}, ledger sums to ${ledgerSum.get(a.userId) ?? 0}`);
  }
  for (const userId of ledgerSum.keys()) if (!accounts.has(userId)) offenders.push(`user ${userId} has ledger entries but no account`);
  for (const u of o.api.users) {
    const history = u.history.reduce((n, e) => n + signed(e.type, e.amount), 0);
    if (u.balance !== history) offenders.push(`user ${u.userId}: GET /balance ${u.balance}, GET /payments/history sums to ${history}`);
    const db = accounts.get(u.userId)?.balance ?? 0;
    if (u.balance !== db) offenders.push(`user ${u.userId}: GET /balance ${u.balance}, the account holds ${db}`);
  }
  for (const c of o.clients) {
    const negative = c.balancesSeen.find((b) => b < 0);
    if (negative !== undefined) offenders.push(`user ${c.userId} was shown a balance of ${negative}`);
  }
  // Each payment debited once and refunded at most once, as its status says.
  const payments = byId(o.db.payments, (p) => p.id);
  const debits = countBy(
    o.db.ledger.filter((e) => e.type === 'PAYMENT'),
    (e) => e.paymentId,
  );
  const refunds = countBy(
    o.db.ledger.filter((e) => e.type === 'REFUND'),
    (e) => e.paymentId,
  );
  for (const p of o.db.payments) {
    if ((debits.get(p.id) ?? 0) !== 1) offenders.push(`payment ${p.id} has ${debits.get(p.id) ?? 0} PAYMENT entries`);
    const expected = p.status === 'REFUNDED' ? 1 : 0;
    if ((refunds.get(p.id) ?? 0) !== expected) offenders.push(`payment ${p.id} is ${p.status} with ${refunds.get(p.id) ?? 0} REFUND entries`);
  }
  for (const id of [...debits.keys(), ...refunds.keys()])
    if (id === null || !payments.has(id)) offenders.push(`a ledger entry names payment ${id}, which does not exist`);
  return verdict('balances', `${o.db.accounts.length} accounts, ${o.db.ledger.length} ledger entries, ${o.api.users.length} users through the API`, offenders);
}

function gatewayCharges(o: Observations): Verdict {
  const offenders: string[] = [];
  const notes: string[] = [];
  const credits = o.db.ledger.filter((e) => e.type === 'CHARGE');
  const creditsOf = new Map<string | null, typeof credits>();
  for (const e of credits) creditsOf.set(e.chargeAttemptId, [...(creditsOf.get(e.chargeAttemptId) ?? []), e]);
  const taken = o.gateway.filter((g) => g.state === 'APPROVED');
  for (const g of taken) {
    const mine = creditsOf.get(g.attemptId) ?? [];
    if (mine.length !== 1) offenders.push(`gateway charge ${g.attemptId} (user ${g.userId}, ${g.amount}) is credited ${mine.length} times`);
    for (const e of mine)
      if (e.userId !== g.userId || e.amount !== g.amount)
        offenders.push(`gateway charge ${g.attemptId} of ${g.amount} for user ${g.userId} credited as ${e.amount} to user ${e.userId}`);
  }
  const gateway = byId(o.gateway, (g) => g.attemptId);
  for (const e of credits) {
    const g = e.chargeAttemptId === null ? undefined : gateway.get(e.chargeAttemptId);
    if (g?.state !== 'APPROVED')
      offenders.push(
        `ledger entry ${e.id} credits ${e.amount} to user ${e.userId} for attempt ${e.chargeAttemptId}, which the gateway ${g ? g.state : 'never saw'}`,
      );
  }
  for (const g of o.gateway.filter((x) => x.state === 'PENDING')) offenders.push(`gateway charge ${g.attemptId} is still PENDING at the gateway`);
  for (const a of o.db.chargeAttempts.filter((x) => x.status === 'PENDING'))
    offenders.push(`charge attempt ${a.id} (user ${a.userId}, ${a.amount}) is still PENDING`);
  // What the clients were told against the ledger.
  const entries = byId(o.db.ledger, (e) => e.id);
  let toldCredited = 0;
  for (const c of o.clients) {
    for (const ch of c.charges) {
      if (ch.outcome !== 'credited') continue;
      toldCredited += 1;
      const e = ch.transactionId === undefined ? undefined : entries.get(ch.transactionId);
      if (e?.type !== 'CHARGE' || e.userId !== c.userId || e.amount !== ch.amount)
        offenders.push(
          `user ${c.userId} was told charge ${ch.amount} is transaction ${ch.transactionId}, the ledger has ${e ? `${e.type} ${e.amount} for user ${e.userId}` : 'nothing'}`,
        );
    }
  }
  const retried = o.gateway.filter((g) => g.posts > 1).length;
  if (retried) notes.push(`${retried} attempts reached the gateway more than once (each charged once)`);
  return verdict(
    'gateway-charges',
    `${taken.length} charges taken by the gateway, ${credits.length} CHARGE entries, ${toldCredited} charges told credited`,
    offenders,
    notes,
  );
}

function notifications(o: Observations): Verdict {
  const offenders: string[] = [];
  const made = new Map<string, Array<Observations['db']['notifications'][number]>>();
  for (const n of o.db.notifications) made.set(n.sourceEventId, [...(made.get(n.sourceEventId) ?? []), n]);
  for (const e of o.db.buyerEvents) {
    const of = made.get(e.eventId) ?? [];
    const expected = BUYER_EVENTS[e.type];
    if (of.length !== 1) offenders.push(`${e.type} ${e.eventId} (reservation ${e.reservationId}) made ${of.length} notifications`);
    for (const n of of)
      if (n.type !== expected || n.reservationId !== e.reservationId || n.userId !== e.userId)
        offenders.push(
          `${e.type} ${e.eventId} made a ${n.type} notification of reservation ${n.reservationId} to user ${n.userId}; expected ${expected} of ${e.reservationId} to ${e.userId}`,
        );
  }
  const events = new Set(o.db.buyerEvents.map((e) => e.eventId));
  for (const n of o.db.notifications)
    if (!events.has(n.sourceEventId))
      offenders.push(`a ${n.type} notification of reservation ${n.reservationId} from event ${n.sourceEventId}, which no module published`);
  const kinds = [...countBy(o.db.notifications, (n) => n.type)].map(([k, n]) => `${n} ${k}`).join(', ');
  return verdict('notifications', `${o.db.buyerEvents.length} events to tell, ${o.db.notifications.length} notifications (${kinds || 'none'})`, offenders);
}

function dataPlatform(o: Observations): Verdict {
  const offenders: string[] = [];
  const notes: string[] = [];
  const reservations = byId(o.db.reservations, (r) => r.id);
  const records = countBy(o.api.dataPlatform, (r) => r.reservationId);
  const ever = o.db.reservations.filter(everConfirmed);
  for (const r of ever) {
    const n = records.get(r.id) ?? 0;
    if (n !== 1) offenders.push(`reservation ${r.id} (${r.status}, confirmed) has ${n} data-platform records`);
  }
  for (const rec of o.api.dataPlatform) {
    const r = reservations.get(rec.reservationId);
    if (!r || !everConfirmed(r)) {
      offenders.push(`data-platform record of reservation ${rec.reservationId}, which is ${r?.status ?? 'unknown'} and was never confirmed`);
      continue;
    }
    const expected = r.status === 'CONFIRMED' ? 'CONFIRMED' : 'CANCELLED';
    if (rec.status !== expected) offenders.push(`data-platform record of reservation ${r.id} is ${rec.status}, the reservation ${r.status}`);
    if (rec.amount !== r.price || rec.userId !== r.userId)
      offenders.push(`data-platform record of reservation ${r.id}: ${rec.amount} by ${rec.userId}, the reservation ${r.price} by ${r.userId}`);
  }
  // The external sink (a fake here) may lag behind a failing phase, but must never get a record of something else.
  for (const s of o.sink) {
    const r = reservations.get(s.reservationId);
    if (!r || !everConfirmed(r)) offenders.push(`the sink received reservation ${s.reservationId}, which was never confirmed`);
    else if (s.amount !== r.price || s.userId !== r.userId) offenders.push(`the sink received reservation ${r.id} as ${s.amount} by ${s.userId}`);
  }
  const delivered = o.sink.filter((s) => s.accepted > 0).length;
  notes.push(`the sink took ${delivered} of ${ever.length} confirmed reservations so far (${o.sink.reduce((n, s) => n + s.posts, 0)} POSTs)`);
  return verdict('data-platform', `${o.api.dataPlatform.length} records for ${ever.length} reservations ever confirmed`, offenders, notes);
}

function sagas(o: Observations): Verdict {
  const offenders: string[] = [];
  const reservations = byId(o.db.reservations, (r) => r.id);
  for (const s of o.db.sagas) {
    if (!['COMPLETED', 'FAILED', 'COMPENSATED'].includes(s.status)) {
      offenders.push(`saga ${s.id} (reservation ${s.reservationId}) is ${s.status}`);
      continue;
    }
    const r = reservations.get(s.reservationId);
    if (s.status === 'COMPLETED' && (!r || !everConfirmed(r) || r.paymentId !== s.paymentId))
      offenders.push(
        `saga ${s.id} is COMPLETED, but reservation ${s.reservationId} is ${r?.status ?? 'missing'} with payment ${r?.paymentId ?? 'none'} (saga: ${s.paymentId})`,
      );
    const kept = o.db.payments.find((p) => p.sagaId === s.id && p.status === 'PAID');
    if (s.status !== 'COMPLETED' && kept) offenders.push(`saga ${s.id} is ${s.status}, but its payment ${kept.id} is still PAID`);
  }
  for (const d of o.api.deadLetters) offenders.push(`dead letter ${d.id}: ${d.subscriber} on ${d.type}: ${d.error}`);
  const done = countBy(o.db.sagas, (s) => s.status);
  return verdict(
    'sagas-and-dead-letters',
    `${o.db.sagas.length} sagas (${[...done].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}), ${o.api.deadLetters.length} dead letters`,
    offenders,
  );
}

/** The most intervals open at one instant, and one such instant; an interval is [from, to), and an end at t comes before a start at t. */
export function maxOverlap(intervals: Array<{ from: number; to: number }>): { max: number; atMs: number } {
  const edges = intervals.flatMap((i) => [
    { at: i.from, d: 1 },
    { at: i.to, d: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let open = 0;
  let best = { max: 0, atMs: 0 };
  for (const e of edges) {
    open += e.d;
    if (open > best.max) best = { max: open, atMs: e.at };
  }
  return best;
}

/** The most admissions within any window (t - windowMs, t], and the t. */
export function maxInWindow(times: number[], windowMs: number): { max: number; atMs: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let best = { max: 0, atMs: 0 };
  for (let lo = 0, hi = 0; hi < sorted.length; hi += 1) {
    while (sorted[lo] <= sorted[hi] - windowMs) lo += 1;
    if (hi - lo + 1 > best.max) best = { max: hi - lo + 1, atMs: sorted[hi] };
  }
  return best;
}

function waitingRoom(o: Observations): Verdict {
  const offenders: string[] = [];
  const { maxActive, admitPerSecond } = o.waitingRoom;
  const admitted = o.db.queueTokens.filter((t) => t.activatedAtMs !== null);
  const active = maxOverlap(admitted.map((t) => ({ from: t.activatedAtMs!, to: t.endedAtMs ?? Number.POSITIVE_INFINITY })));
  if (active.max > maxActive) {
    const at = active.atMs;
    const who = admitted.filter((t) => t.activatedAtMs! <= at && (t.endedAtMs ?? Number.POSITIVE_INFINITY) > at).map((t) => t.seq);
    offenders.push(`${active.max} tokens active at once (cap ${maxActive}) at ${new Date(at).toISOString()}: tokens ${who.slice(0, 10).join(', ')}`);
  }
  const rate = maxInWindow(
    admitted.map((t) => t.activatedAtMs!),
    1000,
  );
  if (rate.max > admitPerSecond) {
    const who = admitted.filter((t) => t.activatedAtMs! > rate.atMs - 1000 && t.activatedAtMs! <= rate.atMs).map((t) => t.seq);
    offenders.push(
      `${rate.max} admissions within one second (rate ${admitPerSecond}/s) ending ${new Date(rate.atMs).toISOString()}: tokens ${who.slice(0, 10).join(', ')}`,
    );
  }
  // What the clients themselves saw: spans each knows its token was ACTIVE throughout (a lower bound of the truth).
  const spans = o.clients.flatMap((c) => c.activeSpans.filter((s) => s.toMs > s.fromMs).map((s) => ({ from: s.fromMs, to: s.toMs, userId: c.userId })));
  const seen = maxOverlap(spans);
  if (seen.max > maxActive) offenders.push(`clients saw ${seen.max} tokens ACTIVE at once (cap ${maxActive}) at ${new Date(seen.atMs).toISOString()}`);
  return verdict(
    'waiting-room',
    `${admitted.length} admissions: at most ${active.max} active at once (cap ${maxActive}), at most ${rate.max} in a second (rate ${admitPerSecond}/s); clients saw at most ${seen.max} at once`,
    offenders,
  );
}
