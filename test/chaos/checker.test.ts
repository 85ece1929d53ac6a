import { expect } from 'chai';
import { judge, maxInWindow, maxOverlap, type Observations } from '../../src/chaos/checker';
import { type ClientLog, newClientLog } from '../../src/chaos/workload';

/**
 * The checker on hand-made observations: a consistent little sale passes every invariant, and
 * each kind of violation fails exactly the invariant it breaks, naming the offending ids.
 */
const T0 = Date.parse('2031-01-01T00:00:00Z');

function client(userId: number): ClientLog {
  return newClientLog(userId, `u${userId}@chaos.local`);
}

/**
 * User 1 charges 100 000 (gateway attempt a1), holds seat 5 (reservation 10, 30 000) and pays by
 * the confirm saga s1 (payment 1); user 2 charges 50 000 (a2), holds seat 6 (reservation 11),
 * pays by /payments/process (payment 2) and cancels it (refunded). Two admissions, one after the other.
 */
function consistent(): Observations {
  const u1 = client(1);
  u1.charges.push({ amount: 100_000, keyed: true, outcome: 'credited', transactionId: 1 });
  u1.holds.push({ reservationId: 10, scheduleId: 1, seatId: 5, price: 30_000, atMs: T0 });
  u1.payments.push({ reservationId: 10, via: 'confirm', outcome: 'paid', atMs: T0 + 100 });
  u1.balancesSeen.push(100_000, 70_000);
  u1.activeSpans.push({ token: 't1', fromMs: T0, toMs: T0 + 500 });
  const u2 = client(2);
  u2.charges.push({ amount: 50_000, keyed: false, outcome: 'credited', transactionId: 3 });
  u2.holds.push({ reservationId: 11, scheduleId: 1, seatId: 6, price: 30_000, atMs: T0 + 1000 });
  u2.payments.push({ reservationId: 11, via: 'process', outcome: 'paid', atMs: T0 + 1100 });
  u2.cancels.push({ reservationId: 11, afterPaid: true, outcome: 'cancelled', atMs: T0 + 1200 });
  u2.activeSpans.push({ token: 't2', fromMs: T0 + 1000, toMs: T0 + 1500 });
  return {
    waitingRoom: { maxActive: 1, admitPerSecond: 1 },
    clients: [u1, u2],
    api: {
      users: [
        {
          userId: 1,
          balance: 70_000,
          history: [
            { id: 2, type: 'PAYMENT', amount: 30_000 },
            { id: 1, type: 'CHARGE', amount: 100_000 },
          ],
          reservations: [{ id: 10, status: 'CONFIRMED', scheduleId: 1, seatId: 5 }],
        },
        {
          userId: 2,
          balance: 50_000,
          history: [
            { id: 5, type: 'REFUND', amount: 30_000 },
            { id: 4, type: 'PAYMENT', amount: 30_000 },
            { id: 3, type: 'CHARGE', amount: 50_000 },
          ],
          reservations: [{ id: 11, status: 'CANCELLED', scheduleId: 1, seatId: 6 }],
        },
      ],
      seatMaps: [
        {
          scheduleId: 1,
          seats: [
            { id: 5, status: 'SOLD' },
            { id: 6, status: 'AVAILABLE' },
          ],
        },
      ],
      dataPlatform: [
        { reservationId: 10, userId: 1, amount: 30_000, status: 'CONFIRMED' },
        { reservationId: 11, userId: 2, amount: 30_000, status: 'CANCELLED' },
      ],
      deadLetters: [],
    },
    unsettled: [],
    orphans: [],
    db: {
      reservations: [
        { id: 10, userId: 1, scheduleId: 1, seatId: 5, price: 30_000, status: 'CONFIRMED', expiresAtMs: T0 + 15_000, confirmedAtMs: T0 + 100, paymentId: 1 },
        { id: 11, userId: 2, scheduleId: 1, seatId: 6, price: 30_000, status: 'CANCELLED', expiresAtMs: T0 + 16_000, confirmedAtMs: T0 + 1100, paymentId: 2 },
      ],
      confirmationFailures: [],
      payments: [
        { id: 1, reservationId: 10, userId: 1, amount: 30_000, status: 'PAID', sagaId: 's1' },
        { id: 2, reservationId: 11, userId: 2, amount: 30_000, status: 'REFUNDED', sagaId: null },
      ],
      ledger: [
        { id: 1, userId: 1, type: 'CHARGE', amount: 100_000, reservationId: null, paymentId: null, chargeAttemptId: 'a1' },
        { id: 2, userId: 1, type: 'PAYMENT', amount: 30_000, reservationId: 10, paymentId: 1, chargeAttemptId: null },
        { id: 3, userId: 2, type: 'CHARGE', amount: 50_000, reservationId: null, paymentId: null, chargeAttemptId: 'a2' },
        { id: 4, userId: 2, type: 'PAYMENT', amount: 30_000, reservationId: 11, paymentId: 2, chargeAttemptId: null },
        { id: 5, userId: 2, type: 'REFUND', amount: 30_000, reservationId: 11, paymentId: 2, chargeAttemptId: null },
      ],
      accounts: [
        { userId: 1, balance: 70_000 },
        { userId: 2, balance: 50_000 },
      ],
      chargeAttempts: [
        { id: 'a1', userId: 1, amount: 100_000, status: 'SETTLED' },
        { id: 'a2', userId: 2, amount: 50_000, status: 'SETTLED' },
        { id: 'a3', userId: 2, amount: 9_000, status: 'VOIDED' },
      ],
      sagas: [{ id: 's1', reservationId: 10, status: 'COMPLETED', paymentId: 1 }],
      queueTokens: [
        { seq: 1, userId: 1, status: 'COMPLETED', activatedAtMs: T0, endedAtMs: T0 + 1000 },
        { seq: 2, userId: 2, status: 'EXPIRED', activatedAtMs: T0 + 1000, endedAtMs: T0 + 3000 },
        { seq: 3, userId: 1, status: 'EXPIRED', activatedAtMs: null, endedAtMs: T0 + 3000 },
      ],
      buyerEvents: [
        { eventId: 'e1', type: 'reservation.success', reservationId: 10, userId: 1 },
        { eventId: 'e2', type: 'reservation.success', reservationId: 11, userId: 2 },
        { eventId: 'e3', type: 'reservation.cancelled', reservationId: 11, userId: 2 },
        { eventId: 'e4', type: 'payment.cancelled', reservationId: 11, userId: 2 },
      ],
      notifications: [
        { sourceEventId: 'e1', type: 'CONFIRMED', reservationId: 10, userId: 1 },
        { sourceEventId: 'e2', type: 'CONFIRMED', reservationId: 11, userId: 2 },
        { sourceEventId: 'e3', type: 'CANCELLED', reservationId: 11, userId: 2 },
        { sourceEventId: 'e4', type: 'REFUNDED', reservationId: 11, userId: 2 },
      ],
      readAtMs: T0 + 60_000,
    },
    gateway: [
      { attemptId: 'a1', userId: 1, amount: 100_000, state: 'APPROVED', gatewayRef: 'g1', posts: 2 },
      { attemptId: 'a2', userId: 2, amount: 50_000, state: 'APPROVED', gatewayRef: 'g2', posts: 1 },
      { attemptId: 'a4', userId: 2, amount: 7_000, state: 'DECLINED', gatewayRef: null, posts: 1 },
    ],
    sink: [{ reservationId: 10, userId: 1, amount: 30_000, posts: 3, accepted: 1 }],
  };
}

/** A hold of seat `seatId` (schedule 1) that expired unpaid. */
function expiredHold(id: number, userId: number, seatId: number): Observations['db']['reservations'][number] {
  return { id, userId, scheduleId: 1, seatId, price: 30_000, status: 'EXPIRED', expiresAtMs: T0, confirmedAtMs: null, paymentId: null };
}

function failing(o: Observations): Array<[string, string[]]> {
  return Object.values(judge(o))
    .filter((v) => !v.ok)
    .map((v) => [v.name, v.offenders]);
}

/** Exactly this invariant fails, and its offences mention `mention`. */
function expectOnly(o: Observations, name: string, mention: RegExp): void {
  const failed = failing(o);
  expect(
    failed.map(([n]) => n),
    JSON.stringify(failed),
  ).to.deep.equal([name]);
  expect(failed[0][1].join('\n')).to.match(mention);
}

describe('chaos: the invariant checker', () => {
  it('passes a consistent sale on every invariant', () => {
    expect(failing(consistent())).to.deep.equal([]);
    const notes = judge(consistent())['gateway-charges'].notes.join(' ');
    expect(notes).to.match(/1 attempts reached the gateway more than once/);
  });

  it('fails when the system did not settle', () => {
    const o = consistent();
    o.unsettled.push('2 charge attempts PENDING');
    expectOnly(o, 'settled', /2 charge attempts PENDING/);
  });

  it('fails when a service outlived its supervisor', () => {
    const o = consistent();
    o.orphans.push('service pid 4711 (payment) was still running 20 s after its supervisor (pid 4700) was killed');
    expectOnly(o, 'no-orphans', /pid 4711 \(payment\)/);
  });

  it('a payment told PAID whose reservation ended EXPIRED and refunded', () => {
    const o = consistent();
    o.db.reservations[0] = { ...o.db.reservations[0], status: 'EXPIRED', confirmedAtMs: null };
    o.db.payments[0].status = 'REFUNDED';
    o.db.ledger.push({ id: 6, userId: 1, type: 'REFUND', amount: 30_000, reservationId: 10, paymentId: 1, chargeAttemptId: null });
    o.db.accounts[0].balance = 100_000;
    o.api.users[0] = { ...o.api.users[0], balance: 100_000, history: [{ id: 6, type: 'REFUND', amount: 30_000 }, ...o.api.users[0].history], reservations: [] };
    o.api.seatMaps[0].seats[0].status = 'AVAILABLE';
    o.api.dataPlatform.shift();
    o.sink = [];
    o.db.sagas[0].status = 'COMPENSATED';
    o.db.confirmationFailures.push({ reservationId: 10, paymentId: 1, reason: 'HOLD_EXPIRED', atMs: T0 + 17_500, expiryRecordedAtMs: T0 + 16_000 });
    expectOnly(
      o,
      'acknowledged-payments',
      /reservation 10 \(user 1\): told paid via confirm, ends EXPIRED, payment 1 REFUNDED, confirmation failed: HOLD_EXPIRED 2\.5 s after the hold's expiry \(the expiry was recorded 1\.0 s after the hold's expiry, before the payment was handled\)/,
    );
  });

  it('a kept payment for a reservation that is not confirmed, and a refused payment that went through', () => {
    const o = consistent();
    o.db.payments[1].status = 'PAID';
    o.db.ledger.pop();
    o.db.accounts[1].balance = 20_000;
    o.api.users[1] = { ...o.api.users[1], balance: 20_000, history: o.api.users[1].history.slice(1) };
    expectOnly(o, 'acknowledged-payments', /payment 2 of reservation 11 is PAID, but the reservation is CANCELLED/);
    const p = consistent();
    p.clients[0].payments[0] = { ...p.clients[0].payments[0], outcome: 'refused', code: 'INSUFFICIENT_BALANCE' };
    expectOnly(p, 'acknowledged-payments', /reservation 10 \(user 1\): told INSUFFICIENT_BALANCE via confirm, but it was confirmed/);
  });

  it('a seat sold twice, and a map that disagrees with the confirmations', () => {
    const o = consistent();
    o.db.reservations[1] = { ...o.db.reservations[1], seatId: 5, status: 'CONFIRMED' };
    expect(judge(o).seats.offenders.join('\n')).to.match(/schedule 1 seat 5 held or sold 2 times \(reservations 10 CONFIRMED, 11 CONFIRMED\)/);
    o.api.users[1].reservations[0] = { id: 11, status: 'CONFIRMED', scheduleId: 1, seatId: 5 };
    expect(judge(o).seats.offenders.join('\n')).to.match(/schedule 1 seat 5 is CONFIRMED for 2 buyers/);
    const m = consistent();
    m.api.seatMaps[0].seats[1].status = 'SOLD';
    expectOnly(m, 'seats', /schedule 1 seat 6 is SOLD on the map but no reservation of it is CONFIRMED/);
    const lost = consistent();
    lost.clients[0].holds.push({ reservationId: 13, scheduleId: 1, seatId: 7, price: 30_000, atMs: T0 });
    expectOnly(lost, 'seats', /user 1 was told HELD reservation 13 of schedule 1 seat 7, the reservation module has nothing/);
    const uncancelled = consistent();
    uncancelled.db.reservations.push(expiredHold(13, 1, 7));
    uncancelled.clients[0].cancels.push({ reservationId: 13, afterPaid: false, outcome: 'cancelled', atMs: T0 });
    expectOnly(uncancelled, 'seats', /user 1 was told reservation 13 is cancelled, it is EXPIRED/);
    const held = consistent();
    held.db.reservations.push({
      id: 12,
      userId: 2,
      scheduleId: 1,
      seatId: 5,
      price: 30_000,
      status: 'HELD',
      expiresAtMs: T0 + 90_000,
      confirmedAtMs: null,
      paymentId: null,
    });
    expectOnly(held, 'seats', /seat 5 held or sold 2 times \(reservations 10 CONFIRMED, 12 HELD\)/);
  });

  it('a balance that is not its ledger, a negative balance shown, a payment debited twice', () => {
    const o = consistent();
    o.db.accounts[0].balance = 70_001;
    o.api.users[0].balance = 70_001;
    expectOnly(o, 'balances', /user 1: balance 70001, ledger sums to 70000/);
    const n = consistent();
    n.clients[1].balancesSeen.push(-30_000);
    expectOnly(n, 'balances', /user 2 was shown a balance of -30000/);
    const d = consistent();
    d.db.ledger.push({ id: 6, userId: 1, type: 'PAYMENT', amount: 30_000, reservationId: 10, paymentId: 1, chargeAttemptId: null });
    d.db.ledger.push({ id: 7, userId: 1, type: 'CHARGE', amount: 30_000, reservationId: null, paymentId: null, chargeAttemptId: 'a1' });
    expect(judge(d).balances.offenders.join('\n')).to.match(/payment 1 has 2 PAYMENT entries/);
  });

  it('a gateway charge credited twice, one never credited, and a credit the gateway never took', () => {
    const twice = consistent();
    twice.db.ledger.push({ id: 6, userId: 1, type: 'CHARGE', amount: 100_000, reservationId: null, paymentId: null, chargeAttemptId: 'a1' });
    twice.db.accounts[0].balance = 170_000;
    twice.api.users[0] = { ...twice.api.users[0], balance: 170_000, history: [{ id: 6, type: 'CHARGE', amount: 100_000 }, ...twice.api.users[0].history] };
    expectOnly(twice, 'gateway-charges', /gateway charge a1 \(user 1, 100000\) is credited 2 times/);
    const lost = consistent();
    lost.gateway.push({ attemptId: 'a5', userId: 2, amount: 20_000, state: 'APPROVED', gatewayRef: 'g5', posts: 1 });
    expectOnly(lost, 'gateway-charges', /gateway charge a5 \(user 2, 20000\) is credited 0 times/);
    const invented = consistent();
    invented.gateway = invented.gateway.filter((g) => g.attemptId !== 'a2');
    expectOnly(invented, 'gateway-charges', /ledger entry 3 credits 50000 to user 2 for attempt a2, which the gateway never saw/);
    const pending = consistent();
    pending.db.chargeAttempts.push({ id: 'a6', userId: 1, amount: 1_000, status: 'PENDING' });
    expectOnly(pending, 'gateway-charges', /charge attempt a6 \(user 1, 1000\) is still PENDING/);
    const told = consistent();
    told.clients[0].charges[0].transactionId = 2;
    expectOnly(told, 'gateway-charges', /user 1 was told charge 100000 is transaction 2, the ledger has PAYMENT 30000/);
  });

  it('a data-platform record twice, one missing, one for a reservation never confirmed, one the sink got wrongly', () => {
    const twice = consistent();
    twice.api.dataPlatform.push({ reservationId: 10, userId: 1, amount: 30_000, status: 'CONFIRMED' });
    expectOnly(twice, 'data-platform', /reservation 10 \(CONFIRMED, confirmed\) has 2 data-platform records/);
    const missing = consistent();
    missing.api.dataPlatform.pop();
    expectOnly(missing, 'data-platform', /reservation 11 \(CANCELLED, confirmed\) has 0 data-platform records/);
    const extra = consistent();
    extra.db.reservations.push(expiredHold(12, 2, 7));
    extra.api.dataPlatform.push({ reservationId: 12, userId: 2, amount: 30_000, status: 'CONFIRMED' });
    extra.sink.push({ reservationId: 12, userId: 2, amount: 30_000, posts: 1, accepted: 1 });
    const offences = failing(extra);
    expect(offences.map(([n]) => n)).to.deep.equal(['data-platform']);
    expect(offences[0][1]).to.deep.equal([
      'data-platform record of reservation 12, which is EXPIRED and was never confirmed',
      'the sink received reservation 12, which was never confirmed',
    ]);
  });

  it('an event that made no notification, one that made the wrong one, and a notification no event explains', () => {
    const missing = consistent();
    missing.db.notifications.splice(3, 1);
    expectOnly(missing, 'notifications', /payment.cancelled e4 \(reservation 11\) made 0 notifications/);
    const wrong = consistent();
    wrong.db.notifications[0] = { ...wrong.db.notifications[0], type: 'EXPIRED' };
    expectOnly(wrong, 'notifications', /reservation.success e1 made a EXPIRED notification of reservation 10 to user 1; expected CONFIRMED of 10 to 1/);
    const stranger = consistent();
    stranger.db.notifications[2] = { ...stranger.db.notifications[2], userId: 1 };
    expectOnly(stranger, 'notifications', /expected CANCELLED of 11 to 2/);
    const unexplained = consistent();
    unexplained.db.notifications.push({ sourceEventId: 'e9', type: 'CONFIRMED', reservationId: 12, userId: 2 });
    expectOnly(unexplained, 'notifications', /a CONFIRMED notification of reservation 12 from event e9, which no module published/);
  });

  it('a saga left RUNNING, a failed saga that kept its payment, and a dead letter', () => {
    const o = consistent();
    o.db.sagas.push({ id: 's2', reservationId: 11, status: 'RUNNING', paymentId: null });
    expectOnly(o, 'sagas-and-dead-letters', /saga s2 \(reservation 11\) is RUNNING/);
    const kept = consistent();
    kept.db.sagas[0].status = 'FAILED';
    expectOnly(kept, 'sagas-and-dead-letters', /saga s1 is FAILED, but its payment 1 is still PAID/);
    const dead = consistent();
    dead.api.deadLetters.push({ id: 'payment:3', subscriber: 'payment.refund-on-reservation-failed', type: 'reservation.failed', error: 'boom' });
    expectOnly(dead, 'sagas-and-dead-letters', /dead letter payment:3: payment.refund-on-reservation-failed on reservation.failed: boom/);
  });

  it('the waiting room over its cap, over its rate, and over its cap as the clients saw it', () => {
    const cap = consistent();
    cap.db.queueTokens[1].activatedAtMs = T0 + 999;
    cap.waitingRoom.admitPerSecond = 2;
    expectOnly(cap, 'waiting-room', /2 tokens active at once \(cap 1\) .*tokens 1, 2/);
    const rate = consistent();
    rate.waitingRoom.maxActive = 2;
    rate.db.queueTokens[1].activatedAtMs = T0 + 999;
    expectOnly(rate, 'waiting-room', /2 admissions within one second \(rate 1\/s\)/);
    const seen = consistent();
    seen.clients[1].activeSpans[0].fromMs = T0 + 400;
    expectOnly(seen, 'waiting-room', /clients saw 2 tokens ACTIVE at once \(cap 1\)/);
  });

  it('counts overlaps with an end before a start at the same instant, and windows open at their start', () => {
    expect(maxOverlap([])).to.deep.equal({ max: 0, atMs: 0 });
    expect(
      maxOverlap([
        { from: 0, to: 10 },
        { from: 10, to: 20 },
      ]).max,
    ).to.equal(1);
    expect(
      maxOverlap([
        { from: 0, to: 10 },
        { from: 9, to: 20 },
        { from: 5, to: 6 },
      ]),
    ).to.deep.equal({ max: 2, atMs: 5 });
    expect(
      maxOverlap([
        { from: 0, to: Number.POSITIVE_INFINITY },
        { from: 100, to: 200 },
      ]),
    ).to.deep.equal({ max: 2, atMs: 100 });
    expect(maxInWindow([0, 1000, 2000], 1000).max).to.equal(1);
    expect(maxInWindow([0, 999, 1998], 1000)).to.deep.equal({ max: 2, atMs: 999 });
    expect(maxInWindow([5, 5, 5, 2000], 1000)).to.deep.equal({ max: 3, atMs: 5 });
  });
});
