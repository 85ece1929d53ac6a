import { expect } from 'chai';
import { confirmedAnnouncement, Reservation } from '../../src/modules/reservation/domain/reservation.aggregate';
import type { DomainEvent, StoredEvent } from '../../src/modules/reservation/domain/reservation.events';
import { checkSeatCanBeHeld, type SeatClaim } from '../../src/modules/reservation/domain/seat-claim';
import { DomainError } from '../../src/platform/domain/domain-error';

/**
 * The reservation aggregate without a database: given its stream, when a command at some time,
 * then these new events (at these versions), this state, or this refusal.
 */

const T0 = Date.parse('2030-01-01T10:00:00.000Z');
const TTL_MS = 300_000;
const at = (seconds: number) => T0 + seconds * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

const ID = 17;
const OWNER = 5;
const PRICE = 80_000;
const PAYMENT = 301;
const EXPIRES = T0 + TTL_MS;
/** HOLD_PAYMENT_GRACE_SECONDS, as a duration. */
const GRACE_MS = 60_000;

const placed: DomainEvent = {
  type: 'HoldPlaced',
  data: { userId: OWNER, concertId: 1, scheduleId: 2, seatId: 3, seatLabel: 'B7', price: PRICE, expiresAt: iso(EXPIRES) },
};
const confirmedBy = (paymentId = PAYMENT, seconds = 10): DomainEvent => ({
  type: 'ReservationConfirmed',
  data: { paymentId, confirmedAt: iso(at(seconds)), sagaId: null },
});
const expired: DomainEvent = { type: 'HoldExpired', data: { expiredAt: iso(EXPIRES) } };
const holdCancelled: DomainEvent = { type: 'HoldCancelled', data: { cancelledAt: iso(at(20)) } };

/** A reservation whose stream is these events, stored at versions 1, 2, … */
function given(...events: DomainEvent[]): Reservation {
  const stream = events.map((e, i) => ({ ...e, reservationId: ID, version: i + 1, occurredAtMs: at(i) }) as StoredEvent);
  return Reservation.fromHistory(ID, stream);
}

const pending = (r: Reservation) => r.pendingEvents.map((e) => ({ type: e.type, version: e.version, data: e.data }));

/** A payment recorded by the payment module at 10 s, while the hold is live, unless told otherwise. */
const payment = (overrides: Partial<{ paymentId: number; userId: number; amount: number; sagaId: string | null; paidAtMs: number }> = {}) => ({
  paymentId: PAYMENT,
  userId: OWNER,
  amount: PRICE,
  sagaId: null,
  paidAtMs: at(10),
  ...overrides,
});

function refusal(act: () => unknown): DomainError {
  try {
    act();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('reservation aggregate: given / when / then', () => {
  describe('placing a hold', () => {
    it('raises HoldPlaced as version 1, HELD until now + TTL', () => {
      const r = Reservation.place(ID, { userId: OWNER, concertId: 1, scheduleId: 2, seatId: 3, seatLabel: 'B7', price: PRICE }, T0, TTL_MS);
      expect(pending(r)).to.deep.equal([{ type: 'HoldPlaced', version: 1, data: placed.data }]);
      expect(r.expectedVersion).to.equal(0);
      expect(r.version).to.equal(1);
      expect(r.state).to.include({ status: 'HELD', userId: OWNER, price: PRICE, expiresAtMs: EXPIRES, paymentId: null, createdAtMs: T0 });
    });

    it('rebuilt from its stream, it has nothing pending and builds on its last version', () => {
      const r = given(placed, confirmedBy());
      expect(r.pendingEvents).to.have.length(0);
      expect(r.expectedVersion).to.equal(2);
      expect(r.state).to.include({ status: 'CONFIRMED', paymentId: PAYMENT, confirmedAtMs: at(10) });
    });
  });

  describe('the clock', () => {
    it('a hold is live until its expiry; from then it reads EXPIRED, with no event recorded', () => {
      const r = given(placed);
      expect(r.isLiveHold(EXPIRES - 1)).to.equal(true);
      expect(r.effectiveStatus(EXPIRES - 1)).to.equal('HELD');
      expect(r.isLiveHold(EXPIRES)).to.equal(false);
      expect(r.effectiveStatus(EXPIRES)).to.equal('EXPIRED');
      expect(r.state.status).to.equal('HELD');
      expect(r.pendingEvents).to.have.length(0);
    });

    it('expire: a hold whose time is up gets HoldExpired, dated at its expiry, not at the sweep', () => {
      const r = given(placed);
      r.expire(EXPIRES + 60_000);
      expect(pending(r)).to.deep.equal([{ type: 'HoldExpired', version: 2, data: { expiredAt: iso(EXPIRES) } }]);
      expect(r.state.status).to.equal('EXPIRED');
    });

    it('expire refuses a live hold, and anything not HELD (RESERVATION_NOT_EXPIRABLE)', () => {
      const early = refusal(() => given(placed).expire(EXPIRES - 1));
      expect(early).to.include({ code: 'RESERVATION_NOT_EXPIRABLE', detail: `Reservation ${ID} is HELD until ${iso(EXPIRES)}` });
      for (const r of [given(placed, confirmedBy()), given(placed, expired), given(placed, holdCancelled)]) {
        expect(refusal(() => r.expire(EXPIRES + 1)).code, r.state.status).to.equal('RESERVATION_NOT_EXPIRABLE');
        expect(r.pendingEvents).to.have.length(0);
      }
    });
  });

  describe('confirming with a payment', () => {
    it('a live hold, paid by its owner for its price: ReservationConfirmed', () => {
      const r = given(placed);
      expect(r.confirm(payment({ sagaId: 'saga-1' }), at(10), GRACE_MS)).to.deep.equal({ kind: 'confirmed' });
      expect(pending(r)).to.deep.equal([
        { type: 'ReservationConfirmed', version: 2, data: { paymentId: PAYMENT, confirmedAt: iso(at(10)), sagaId: 'saga-1' } },
      ]);
      expect(r.state).to.include({ status: 'CONFIRMED', paymentId: PAYMENT, confirmedAtMs: at(10) });
    });

    it('one millisecond before expiry still confirms', () => {
      expect(given(placed).confirm(payment(), EXPIRES - 1, GRACE_MS)).to.deep.equal({ kind: 'confirmed' });
    });

    it('the same payment again: a duplicate, nothing new', () => {
      const r = given(placed, confirmedBy());
      expect(r.confirm(payment(), at(30), GRACE_MS)).to.deep.equal({ kind: 'duplicate' });
      expect(r.pendingEvents).to.have.length(0);
    });

    const refusedWith = (r: Reservation, p: ReturnType<typeof payment>, nowMs: number, graceMs = GRACE_MS) => {
      const outcome = r.confirm(p, nowMs, graceMs);
      return { outcome, events: pending(r), status: r.state.status };
    };

    it('OWNER_MISMATCH: a payment by another user is refused (→ refund), the hold stays HELD', () => {
      const r = given(placed);
      expect(refusedWith(r, payment({ userId: OWNER + 1 }), at(10))).to.deep.equal({
        outcome: { kind: 'failed', reason: 'OWNER_MISMATCH', expiredNow: false },
        events: [{ type: 'ConfirmationFailed', version: 2, data: { paymentId: PAYMENT, reason: 'OWNER_MISMATCH', sagaId: null } }],
        status: 'HELD',
      });
      expect(r.isLiveHold(at(10))).to.equal(true);
    });

    it('AMOUNT_MISMATCH: a payment of another amount is refused, the hold stays HELD', () => {
      for (const amount of [PRICE - 1, PRICE + 1]) {
        expect(refusedWith(given(placed), payment({ amount }), at(10))).to.deep.equal({
          outcome: { kind: 'failed', reason: 'AMOUNT_MISMATCH', expiredNow: false },
          events: [{ type: 'ConfirmationFailed', version: 2, data: { paymentId: PAYMENT, reason: 'AMOUNT_MISMATCH', sagaId: null } }],
          status: 'HELD',
        });
      }
    });

    it('another user and another amount: OWNER_MISMATCH is the reason given', () => {
      expect(given(placed).confirm(payment({ userId: OWNER + 1, amount: 1 }), at(10), GRACE_MS)).to.deep.include({ reason: 'OWNER_MISMATCH' });
    });

    it('ALREADY_CONFIRMED: another payment for a confirmed reservation is refused, the confirmation stands', () => {
      const r = given(placed, confirmedBy());
      expect(refusedWith(r, payment({ paymentId: PAYMENT + 1 }), at(30))).to.deep.equal({
        outcome: { kind: 'failed', reason: 'ALREADY_CONFIRMED', expiredNow: false },
        events: [{ type: 'ConfirmationFailed', version: 3, data: { paymentId: PAYMENT + 1, reason: 'ALREADY_CONFIRMED', sagaId: null } }],
        status: 'CONFIRMED',
      });
      expect(r.state.paymentId).to.equal(PAYMENT);
    });

    it('RESERVATION_CANCELLED: a payment for a cancelled hold is refused', () => {
      expect(refusedWith(given(placed, holdCancelled), payment(), at(30))).to.deep.include({
        outcome: { kind: 'failed', reason: 'RESERVATION_CANCELLED', expiredNow: false },
        status: 'CANCELLED',
      });
    });

    it('HOLD_EXPIRED: a payment for a hold whose expiry is recorded is refused', () => {
      expect(refusedWith(given(placed, expired), payment(), EXPIRES + 1)).to.deep.equal({
        outcome: { kind: 'failed', reason: 'HOLD_EXPIRED', expiredNow: false },
        events: [{ type: 'ConfirmationFailed', version: 3, data: { paymentId: PAYMENT, reason: 'HOLD_EXPIRED', sagaId: null } }],
        status: 'EXPIRED',
      });
    });

    it('HOLD_EXPIRED by the clock, handled after the grace: the expiry is recorded first, then the refusal, at consecutive versions', () => {
      expect(refusedWith(given(placed), payment({ sagaId: 'saga-2' }), EXPIRES + GRACE_MS, GRACE_MS)).to.deep.equal({
        outcome: { kind: 'failed', reason: 'HOLD_EXPIRED', expiredNow: true },
        events: [
          { type: 'HoldExpired', version: 2, data: { expiredAt: iso(EXPIRES) } },
          { type: 'ConfirmationFailed', version: 3, data: { paymentId: PAYMENT, reason: 'HOLD_EXPIRED', sagaId: 'saga-2' } },
        ],
        status: 'EXPIRED',
      });
    });

    describe('the payment grace: a payment made while the hold was live, handled after its expiry', () => {
      it('given a hold, when a payment made before the expiry is handled after it, within the grace, then it is confirmed', () => {
        for (const nowMs of [EXPIRES, EXPIRES + GRACE_MS / 2, EXPIRES + GRACE_MS - 1]) {
          const r = given(placed);
          expect(r.confirm(payment({ paidAtMs: EXPIRES - 1 }), nowMs, GRACE_MS), iso(nowMs)).to.deep.equal({ kind: 'confirmed' });
          expect(pending(r)).to.deep.equal([{ type: 'ReservationConfirmed', version: 2, data: { paymentId: PAYMENT, confirmedAt: iso(nowMs), sagaId: null } }]);
          expect(r.state).to.include({ status: 'CONFIRMED', paymentId: PAYMENT, confirmedAtMs: nowMs });
        }
      });

      it('given a hold, when a payment made before the expiry is handled once the grace is over, then it expires and is refused (HOLD_EXPIRED)', () => {
        for (const nowMs of [EXPIRES + GRACE_MS, EXPIRES + GRACE_MS + 3_600_000]) {
          expect(refusedWith(given(placed), payment({ paidAtMs: EXPIRES - 1 }), nowMs, GRACE_MS), iso(nowMs)).to.deep.equal({
            outcome: { kind: 'failed', reason: 'HOLD_EXPIRED', expiredNow: true },
            events: [
              { type: 'HoldExpired', version: 2, data: { expiredAt: iso(EXPIRES) } },
              { type: 'ConfirmationFailed', version: 3, data: { paymentId: PAYMENT, reason: 'HOLD_EXPIRED', sagaId: null } },
            ],
            status: 'EXPIRED',
          });
        }
      });

      it('given a hold, when a payment made at or after the expiry is handled within the grace, then it expires and is refused (HOLD_EXPIRED)', () => {
        for (const paidAtMs of [EXPIRES, EXPIRES + 1_000]) {
          expect(refusedWith(given(placed), payment({ paidAtMs }), EXPIRES + 2_000, GRACE_MS), iso(paidAtMs)).to.deep.equal({
            outcome: { kind: 'failed', reason: 'HOLD_EXPIRED', expiredNow: true },
            events: [
              { type: 'HoldExpired', version: 2, data: { expiredAt: iso(EXPIRES) } },
              { type: 'ConfirmationFailed', version: 3, data: { paymentId: PAYMENT, reason: 'HOLD_EXPIRED', sagaId: null } },
            ],
            status: 'EXPIRED',
          });
        }
      });

      it('with no grace (0), a payment handled after the expiry is refused, however early it was made', () => {
        expect(refusedWith(given(placed), payment({ paidAtMs: at(10) }), EXPIRES, 0).outcome).to.deep.equal({
          kind: 'failed',
          reason: 'HOLD_EXPIRED',
          expiredNow: true,
        });
      });

      it('the grace does not revive a hold whose expiry is recorded, nor a cancelled one', () => {
        expect(refusedWith(given(placed, expired), payment({ paidAtMs: EXPIRES - 1 }), EXPIRES + 1, GRACE_MS).outcome).to.deep.equal({
          kind: 'failed',
          reason: 'HOLD_EXPIRED',
          expiredNow: false,
        });
        expect(refusedWith(given(placed, holdCancelled), payment({ paidAtMs: at(5) }), EXPIRES + 1, GRACE_MS).outcome).to.deep.include({
          reason: 'RESERVATION_CANCELLED',
        });
      });

      it('a hold in its grace reads EXPIRED and is not payable (no new payment), but is not yet due for the sweeper', () => {
        const r = given(placed);
        expect(r.effectiveStatus(EXPIRES)).to.equal('EXPIRED');
        expect(refusal(() => r.checkPayable(EXPIRES)).code).to.equal('RESERVATION_NOT_PAYABLE');
        expect(r.isDueForExpiry(EXPIRES, GRACE_MS)).to.equal(false);
        expect(r.isDueForExpiry(EXPIRES + GRACE_MS - 1, GRACE_MS)).to.equal(false);
        expect(r.isDueForExpiry(EXPIRES + GRACE_MS, GRACE_MS)).to.equal(true);
        expect(r.isDueForExpiry(EXPIRES, 0)).to.equal(true);
        expect(given(placed, confirmedBy()).isDueForExpiry(EXPIRES + GRACE_MS, GRACE_MS)).to.equal(false);
      });
    });

    it('a payment turned down before: already-failed, not refused (and refunded) twice', () => {
      const r = given(placed, { type: 'ConfirmationFailed', data: { paymentId: PAYMENT, reason: 'AMOUNT_MISMATCH', sagaId: null } });
      expect(r.state.failedPaymentIds).to.deep.equal([PAYMENT]);
      expect(r.confirm(payment(), at(30), GRACE_MS)).to.deep.equal({ kind: 'already-failed' });
      expect(r.pendingEvents).to.have.length(0);
      // Another, correct payment still confirms it.
      expect(r.confirm(payment({ paymentId: PAYMENT + 1 }), at(31), GRACE_MS)).to.deep.equal({ kind: 'confirmed' });
    });

    it('announces a confirmation with what the other modules need; nothing to announce before', () => {
      const r = given(placed, confirmedBy());
      expect(confirmedAnnouncement(r)).to.deep.equal({
        reservationId: ID,
        userId: OWNER,
        concertId: 1,
        scheduleId: 2,
        seatId: 3,
        seatLabel: 'B7',
        price: PRICE,
        paymentId: PAYMENT,
        confirmedAt: iso(at(10)),
      });
      expect(() => confirmedAnnouncement(given(placed))).to.throw(/not confirmed/);
    });
  });

  describe('paying (the confirm saga starts only for a live hold)', () => {
    it('a live hold is payable', () => {
      expect(() => given(placed).checkPayable(EXPIRES - 1)).to.not.throw();
    });

    it('RESERVATION_NOT_PAYABLE otherwise, naming the status as read (EXPIRED by the clock too)', () => {
      const cases: Array<[Reservation, number, string]> = [
        [given(placed), EXPIRES, 'EXPIRED'],
        [given(placed, expired), EXPIRES + 1, 'EXPIRED'],
        [given(placed, confirmedBy()), at(30), 'CONFIRMED'],
        [given(placed, holdCancelled), at(30), 'CANCELLED'],
      ];
      for (const [r, now, status] of cases) {
        const e = refusal(() => r.checkPayable(now));
        expect(e, status).to.deep.include({
          code: 'RESERVATION_NOT_PAYABLE',
          title: 'Reservation not payable',
          detail: `Reservation ${ID} is ${status}.`,
          extra: { reservationStatus: status },
        });
      }
    });
  });

  describe('the ticket used at the door', () => {
    it('a confirmed reservation records TicketUsed once, dated at the admission', () => {
      const r = given(placed, confirmedBy());
      expect(r.recordTicketUse(at(30), at(31))).to.equal(true);
      expect(pending(r)).to.deep.equal([{ type: 'TicketUsed', version: 3, data: { admittedAt: iso(at(30)) } }]);
      expect(r.state.ticketUsedAtMs).to.equal(at(30));
      expect(r.recordTicketUse(at(35), at(36)), 'a second admission (a redelivery)').to.equal(false);
      expect(r.pendingEvents).to.have.length(1);
    });

    it('a reservation cancelled before the news arrived keeps its cancellation; a hold records nothing', () => {
      const cancelled = given(placed, confirmedBy(), { type: 'ReservationCancelled', data: { paymentId: PAYMENT, cancelledAt: iso(at(40)) } });
      expect(cancelled.recordTicketUse(at(30), at(41))).to.equal(false);
      expect(cancelled.pendingEvents).to.have.length(0);
      expect(given(placed).recordTicketUse(at(30), at(31))).to.equal(false);
    });
  });

  describe('cancelling', () => {
    it('a live hold: HoldCancelled, CANCELLED, no payment to refund', () => {
      const r = given(placed);
      expect(r.cancel(at(20))).to.deep.equal({ previousStatus: 'HELD', paymentId: null });
      expect(pending(r)).to.deep.equal([{ type: 'HoldCancelled', version: 2, data: { cancelledAt: iso(at(20)) } }]);
      expect(r.state).to.include({ status: 'CANCELLED', cancelledAtMs: at(20) });
    });

    it('a confirmed reservation: ReservationCancelled with its payment (the payment module refunds it)', () => {
      const r = given(placed, confirmedBy());
      expect(r.cancel(at(40))).to.deep.equal({ previousStatus: 'CONFIRMED', paymentId: PAYMENT });
      expect(pending(r)).to.deep.equal([{ type: 'ReservationCancelled', version: 3, data: { paymentId: PAYMENT, cancelledAt: iso(at(40)) } }]);
      expect(r.state).to.include({ status: 'CANCELLED', cancelledAtMs: at(40), paymentId: PAYMENT });
    });

    it('TICKET_ALREADY_USED: a confirmed reservation whose e-ticket admitted its holder is not cancelled (nor refunded)', () => {
      const r = given(placed, confirmedBy(), { type: 'TicketUsed', data: { admittedAt: iso(at(30)) } });
      const e = refusal(() => r.cancel(at(40)));
      expect(e).to.deep.include({ code: 'TICKET_ALREADY_USED', extra: { admittedAt: iso(at(30)) } });
      expect(r.pendingEvents).to.have.length(0);
      expect(r.state.status).to.equal('CONFIRMED');
    });

    it('RESERVATION_NOT_CANCELLABLE for an expired (by the clock too) or cancelled one, naming the status as read', () => {
      const cases: Array<[Reservation, number, string]> = [
        [given(placed), EXPIRES, 'EXPIRED'],
        [given(placed, expired), EXPIRES + 1, 'EXPIRED'],
        [given(placed, holdCancelled), at(30), 'CANCELLED'],
        [given(placed, confirmedBy(), { type: 'ReservationCancelled', data: { paymentId: PAYMENT, cancelledAt: iso(at(40)) } }), at(50), 'CANCELLED'],
      ];
      for (const [r, now, status] of cases) {
        const e = refusal(() => r.cancel(now));
        expect(e, status).to.deep.include({
          code: 'RESERVATION_NOT_CANCELLABLE',
          title: 'Reservation not cancellable',
          detail: `A ${status} reservation cannot be cancelled.`,
          extra: { reservationStatus: status },
        });
        expect(r.pendingEvents, status).to.have.length(0);
      }
    });
  });

  describe('versions (what optimistic concurrency rests on)', () => {
    it('two copies of one stream each decide at the same next version: the store can take only one', () => {
      const a = given(placed);
      const b = given(placed);
      a.cancel(at(20));
      b.confirm(payment(), at(20), GRACE_MS);
      expect(a.pendingEvents.map((e) => [e.version, e.type])).to.deep.equal([[2, 'HoldCancelled']]);
      expect(b.pendingEvents.map((e) => [e.version, e.type])).to.deep.equal([[2, 'ReservationConfirmed']]);
      expect(a.expectedVersion).to.equal(1);
      expect(b.expectedVersion).to.equal(1);
    });

    it('once stored, the next decision builds on the new version', () => {
      const r = given(placed);
      r.confirm(payment(), at(10), GRACE_MS);
      r.markCommitted();
      expect(r.expectedVersion).to.equal(2);
      expect(r.pendingEvents).to.have.length(0);
      r.cancel(at(20));
      expect(r.pendingEvents.map((e) => e.version)).to.deep.equal([3]);
    });

    it('replaying what was decided rebuilds the same state', () => {
      const r = given(placed);
      r.confirm(payment({ amount: 1 }), at(5), GRACE_MS);
      r.confirm(payment({ paymentId: PAYMENT + 1 }), at(10), GRACE_MS);
      r.cancel(at(20));
      const replayed = Reservation.fromHistory(ID, [{ ...placed, reservationId: ID, version: 1, occurredAtMs: at(0) } as StoredEvent, ...r.pendingEvents]);
      expect(replayed.state).to.deep.equal(r.state);
      expect(replayed.version).to.equal(r.version);
    });
  });
});

describe('holding a seat: the seat and the user’s limit', () => {
  const NOW = at(0);
  const claim = (overrides: Partial<SeatClaim>): SeatClaim => ({
    scheduleId: 2,
    seatId: 3,
    reservationId: 99,
    status: 'HELD',
    expiresAtMs: NOW + 1,
    ...overrides,
  });

  it('a free seat, under the limit: may be held', () => {
    expect(checkSeatCanBeHeld(null, 3, 4, NOW, GRACE_MS)).to.deep.equal({ staleHoldId: null });
  });

  it('SEAT_UNAVAILABLE: a live hold or a sale on the seat', () => {
    for (const c of [claim({}), claim({ status: 'CONFIRMED', expiresAtMs: null })]) {
      expect(refusal(() => checkSeatCanBeHeld(c, 0, 4, NOW, GRACE_MS))).to.deep.include({
        code: 'SEAT_UNAVAILABLE',
        title: 'Seat unavailable',
        detail: 'This seat is held or sold.',
        extra: {},
      });
    }
  });

  it('a hold whose time and payment grace are up does not block the seat: it is taken over (and expired first)', () => {
    expect(checkSeatCanBeHeld(claim({ expiresAtMs: NOW - GRACE_MS }), 0, 4, NOW, GRACE_MS)).to.deep.equal({ staleHoldId: 99 });
    expect(checkSeatCanBeHeld(claim({ expiresAtMs: NOW }), 0, 4, NOW, 0)).to.deep.equal({ staleHoldId: 99 });
  });

  it('SEAT_UNAVAILABLE: a hold in its payment grace still blocks its seat (a payment made in time may confirm it)', () => {
    for (const expiresAtMs of [NOW, NOW - GRACE_MS + 1]) {
      expect(refusal(() => checkSeatCanBeHeld(claim({ expiresAtMs }), 0, 4, NOW, GRACE_MS)).code, iso(expiresAtMs)).to.equal('SEAT_UNAVAILABLE');
    }
  });

  it('HOLD_LIMIT_REACHED: at the limit of live holds, with the limit', () => {
    expect(refusal(() => checkSeatCanBeHeld(null, 4, 4, NOW, GRACE_MS))).to.deep.include({
      code: 'HOLD_LIMIT_REACHED',
      title: 'Hold limit reached',
      detail: 'You already hold 4 seat(s), the most allowed at once (4).',
      extra: { limit: 4 },
    });
    expect(refusal(() => checkSeatCanBeHeld(claim({ expiresAtMs: NOW - GRACE_MS }), 4, 4, NOW, GRACE_MS)).code).to.equal('HOLD_LIMIT_REACHED');
  });

  it('a taken seat is reported before the limit', () => {
    expect(refusal(() => checkSeatCanBeHeld(claim({}), 4, 4, NOW, GRACE_MS)).code).to.equal('SEAT_UNAVAILABLE');
  });
});
