import { expect } from 'chai';
import type { EventPayload } from '../../src/contracts/events';
import { type ConfirmSaga, type ConfirmSagaEvent, decide, evolve, type SagaMessage } from '../../src/modules/reservation/domain/confirm-saga';

/**
 * The confirm saga as a decider, without a database: given the events that made its state,
 * when a message arrives at some time, then these saga events, these messages sent (and the
 * CONFIRM step asked for), and this next state.
 */

const T0 = Date.parse('2030-01-01T10:00:00.000Z');
const at = (seconds: number) => T0 + seconds * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

const SAGA = '6f1c2e0a-4b7d-4c1e-9a55-0d2b8f7e3a10';
const RESERVATION = 41;
const USER = 7;
const AMOUNT = 50_000;
const PAYMENT = 9001;

const started: ConfirmSagaEvent = {
  type: 'SagaStarted',
  at: T0,
  sagaId: SAGA,
  reservationId: RESERVATION,
  userId: USER,
  amount: AMOUNT,
  deadlineAtMs: at(30),
  retryAtMs: at(5),
};
const paid = (paymentId = PAYMENT, seconds = 2): ConfirmSagaEvent => ({ type: 'PayDone', at: at(seconds), paymentId, late: false });
const timedOut: ConfirmSagaEvent = { type: 'PayTimedOut', at: at(30) };
const confirmFailed: ConfirmSagaEvent[] = [
  { type: 'ConfirmFailed', at: at(2), reason: 'HOLD_EXPIRED' },
  { type: 'RefundStarted', at: at(2), reason: 'HOLD_EXPIRED', retryAtMs: at(7) },
];
const completed: ConfirmSagaEvent[] = [paid(), { type: 'ConfirmDone', at: at(2) }, { type: 'NotifyDone', at: at(2) }];

function given(...events: ConfirmSagaEvent[]): ConfirmSaga | null {
  return events.reduce<ConfirmSaga | null>((state, e) => evolve(state, e), null);
}

function when(state: ConfirmSaga | null, message: SagaMessage, nowMs: number) {
  const decision = decide(state, message, nowMs);
  return { ...decision, next: decision.events.reduce<ConfirmSaga | null>((s, e) => evolve(s, e), state) };
}

/** When the payment module recorded the payment (payment.success's occurredAt). */
const PAID_AT = at(1.5);

const paymentSucceeded = (paymentId = PAYMENT, overrides: Partial<Extract<SagaMessage, { type: 'PaymentSucceeded' }>> = {}): SagaMessage => ({
  type: 'PaymentSucceeded',
  sagaId: SAGA,
  paymentId,
  reservationId: RESERVATION,
  userId: USER,
  amount: AMOUNT,
  paidAtMs: PAID_AT,
  ...overrides,
});

const refundRequest = (paymentId: number, reason: string, userId = USER) => ({
  type: 'payment.refund-requested',
  aggregateId: RESERVATION,
  payload: { sagaId: SAGA, paymentId, reservationId: RESERVATION, userId, reason },
});

const steps = (s: ConfirmSaga | null) => s!.steps.map((r) => (r.detail === undefined ? `${r.name}:${r.status}` : `${r.name}:${r.status}:${r.detail}`));

const announcement: EventPayload<'reservation.success'> = {
  reservationId: RESERVATION,
  userId: USER,
  concertId: 1,
  scheduleId: 2,
  seatId: 3,
  seatLabel: 'A1',
  price: AMOUNT,
  paymentId: PAYMENT,
  confirmedAt: iso(at(2)),
};

describe('confirm saga: decide / evolve', () => {
  describe('start', () => {
    it('starts at PAY: asks for the payment, with a deadline 30 s away and a resend in 5 s', () => {
      const r = when(null, { type: 'ConfirmRequested', sagaId: SAGA, reservationId: RESERVATION, userId: USER, amount: AMOUNT, holdExpiresAtMs: at(300) }, T0);
      expect(r.events).to.deep.equal([started]);
      expect(r.send).to.deep.equal([
        {
          type: 'payment.requested',
          aggregateId: RESERVATION,
          payload: { sagaId: SAGA, reservationId: RESERVATION, userId: USER, amount: AMOUNT, expiresAt: iso(at(30)) },
        },
      ]);
      expect(r.confirm).to.equal(undefined);
      expect(r.next).to.deep.equal({
        id: SAGA,
        reservationId: RESERVATION,
        userId: USER,
        amount: AMOUNT,
        status: 'RUNNING',
        step: 'PAY',
        steps: [{ name: 'PAY', status: 'STARTED', at: iso(T0) }],
        paymentId: null,
        failureCode: null,
        failureDetail: null,
        deadlineAtMs: at(30),
        retryAtMs: at(5),
        attempts: 1,
        createdAtMs: T0,
        updatedAtMs: T0,
      });
    });

    it('gives PAY no longer than the hold has left (and resends no later than that)', () => {
      const r = when(null, { type: 'ConfirmRequested', sagaId: SAGA, reservationId: RESERVATION, userId: USER, amount: AMOUNT, holdExpiresAtMs: at(3) }, T0);
      expect(r.next).to.include({ deadlineAtMs: at(3), retryAtMs: at(3) });
      expect((r.send[0].payload as { expiresAt: string }).expiresAt).to.equal(iso(at(3)));
    });

    it('does not start a saga that exists', () => {
      const r = when(
        given(started),
        { type: 'ConfirmRequested', sagaId: SAGA, reservationId: RESERVATION, userId: USER, amount: AMOUNT, holdExpiresAtMs: at(300) },
        at(1),
      );
      expect(r).to.deep.include({ events: [], send: [] });
    });
  });

  describe('payment succeeded', () => {
    it('at PAY: PAY is done and CONFIRM is asked for, with the payment as the payment module reported it (and when it recorded it)', () => {
      const r = when(given(started), paymentSucceeded(PAYMENT, { userId: 99, amount: 1 }), at(2));
      expect(r.events).to.deep.equal([paid()]);
      expect(r.send).to.deep.equal([]);
      // The reservation, not the saga, judges the owner and the amount.
      expect(r.confirm).to.deep.equal({ reservationId: RESERVATION, paymentId: PAYMENT, userId: 99, amount: 1, sagaId: SAGA, paidAtMs: PAID_AT });
      expect(r.next).to.include({ status: 'RUNNING', step: 'CONFIRM', paymentId: PAYMENT, updatedAtMs: at(2) });
      expect(steps(r.next)).to.deep.equal(['PAY:STARTED', `PAY:DONE:payment ${PAYMENT}`]);
    });

    it('for an unknown saga: refunds it (UNKNOWN_SAGA), records nothing, and warns', () => {
      const r = when(null, paymentSucceeded(PAYMENT, { userId: 12 }), at(2));
      expect(r.events).to.deep.equal([]);
      expect(r.send).to.deep.equal([refundRequest(PAYMENT, 'UNKNOWN_SAGA', 12)]);
      expect(r.warning).to.deep.equal({ message: 'payment for an unknown saga: refunding it', sagaId: SAGA, paymentId: PAYMENT });
      expect(r.next).to.equal(null);
    });

    it('a second payment for one saga: refunds that one (DUPLICATE_PAYMENT), the saga unchanged', () => {
      for (const state of [given(started, paid()), given(started, ...completed), given(started, paid(), ...confirmFailed)]) {
        const r = when(state, paymentSucceeded(PAYMENT + 1, { userId: 12 }), at(3));
        expect(r.events, state!.status).to.deep.equal([]);
        expect(r.send).to.deep.equal([refundRequest(PAYMENT + 1, 'DUPLICATE_PAYMENT', 12)]);
        expect(r.warning).to.deep.equal({ message: 'second payment for one saga: refunding it', sagaId: SAGA, paymentId: PAYMENT + 1 });
        expect(r.next).to.deep.equal(state);
      }
    });

    it('the same payment again (a redelivery): nothing', () => {
      const state = given(started, ...completed);
      expect(when(state, paymentSucceeded(), at(3))).to.deep.include({ events: [], send: [], next: state });
    });

    it('after the saga timed out: PAY done late, and the payment is refunded (PAYMENT_AFTER_SAGA_ENDED)', () => {
      const r = when(given(started, timedOut), paymentSucceeded(), at(31));
      expect(r.events).to.deep.equal([
        { type: 'PayDone', at: at(31), paymentId: PAYMENT, late: true },
        { type: 'RefundStarted', at: at(31), reason: 'PAYMENT_AFTER_SAGA_ENDED', retryAtMs: at(36) },
      ]);
      expect(r.send).to.deep.equal([refundRequest(PAYMENT, 'PAYMENT_AFTER_SAGA_ENDED')]);
      expect(r.confirm).to.equal(undefined);
      expect(r.next).to.include({
        status: 'COMPENSATING',
        step: 'REFUND',
        paymentId: PAYMENT,
        attempts: 1,
        retryAtMs: at(36),
        deadlineAtMs: at(36),
        failureCode: 'TIMEOUT',
      });
      expect(steps(r.next)).to.deep.equal([
        'PAY:STARTED',
        'PAY:TIMED_OUT:No reply from the payment module before the deadline.',
        `PAY:DONE:payment ${PAYMENT} arrived after the saga ended`,
        'REFUND:STARTED:PAYMENT_AFTER_SAGA_ENDED',
      ]);
    });

    it('after the payment was refused: refunded the same way', () => {
      const refused: ConfirmSagaEvent = { type: 'PayFailed', at: at(1), reason: 'INSUFFICIENT_BALANCE', detail: 'Not enough points.' };
      const r = when(given(started, refused), paymentSucceeded(), at(2));
      expect(r.send).to.deep.equal([refundRequest(PAYMENT, 'PAYMENT_AFTER_SAGA_ENDED')]);
      expect(r.next).to.include({ status: 'COMPENSATING', step: 'REFUND', failureCode: 'INSUFFICIENT_BALANCE' });
    });
  });

  describe('the CONFIRM step answered', () => {
    it('confirmed: CONFIRM and NOTIFY done, reservation.success announced, COMPLETED with no timer left', () => {
      const r = when(given(started, paid()), { type: 'ReservationConfirmed', announcement }, at(2));
      expect(r.events).to.deep.equal([
        { type: 'ConfirmDone', at: at(2) },
        { type: 'NotifyDone', at: at(2) },
      ]);
      expect(r.send).to.deep.equal([{ type: 'reservation.success', aggregateId: RESERVATION, payload: announcement }]);
      expect(r.next).to.include({ status: 'COMPLETED', step: null, deadlineAtMs: null, retryAtMs: null, failureCode: null, paymentId: PAYMENT });
      expect(steps(r.next)).to.deep.equal(['PAY:STARTED', `PAY:DONE:payment ${PAYMENT}`, 'CONFIRM:DONE', 'NOTIFY:DONE']);
    });

    it('confirmed by this payment before (a redelivery): COMPLETED, announced only the first time', () => {
      const r = when(given(started, paid()), { type: 'ReservationConfirmed', announcement: null }, at(2));
      expect(r.events.map((e) => e.type)).to.deep.equal(['ConfirmDone', 'NotifyDone']);
      expect(r.send).to.deep.equal([]);
      expect(r.next).to.include({ status: 'COMPLETED' });
    });

    it('not confirmed: CONFIRM failed, compensation starts: refund asked, with the reason', () => {
      const r = when(given(started, paid()), { type: 'ReservationNotConfirmed', reason: 'HOLD_EXPIRED' }, at(2));
      expect(r.events).to.deep.equal(confirmFailed);
      expect(r.send).to.deep.equal([refundRequest(PAYMENT, 'HOLD_EXPIRED')]);
      expect(r.next).to.include({
        status: 'COMPENSATING',
        step: 'REFUND',
        failureCode: 'CONFIRMATION_FAILED',
        failureDetail: 'HOLD_EXPIRED',
        attempts: 1,
        retryAtMs: at(7),
        deadlineAtMs: at(7),
      });
      expect(steps(r.next)).to.deep.equal(['PAY:STARTED', `PAY:DONE:payment ${PAYMENT}`, 'CONFIRM:FAILED:HOLD_EXPIRED', 'REFUND:STARTED:HOLD_EXPIRED']);
    });

    it('an answer when CONFIRM was not asked for: nothing', () => {
      for (const state of [null, given(started), given(started, ...completed)]) {
        expect(when(state, { type: 'ReservationConfirmed', announcement }, at(2))).to.deep.include({ events: [], send: [] });
        expect(when(state, { type: 'ReservationNotConfirmed', reason: 'HOLD_EXPIRED' }, at(2))).to.deep.include({ events: [], send: [] });
      }
    });
  });

  describe('payment failed', () => {
    it('at PAY: FAILED with the payment module’s reason; nothing to compensate, no timer left', () => {
      const r = when(given(started), { type: 'PaymentFailed', reason: 'INSUFFICIENT_BALANCE', detail: 'Not enough points.' }, at(1));
      expect(r.events).to.deep.equal([{ type: 'PayFailed', at: at(1), reason: 'INSUFFICIENT_BALANCE', detail: 'Not enough points.' }]);
      expect(r.send).to.deep.equal([]);
      expect(r.next).to.include({
        status: 'FAILED',
        step: null,
        failureCode: 'INSUFFICIENT_BALANCE',
        failureDetail: 'Not enough points.',
        deadlineAtMs: null,
        retryAtMs: null,
      });
      expect(steps(r.next)).to.deep.equal(['PAY:STARTED', 'PAY:FAILED:Not enough points.']);
    });

    it('late, repeated, or for an unknown saga: nothing', () => {
      const failed = { type: 'PaymentFailed', reason: 'RESERVATION_NOT_PAYABLE', detail: 'x' } as const;
      for (const state of [null, given(started, timedOut), given(started, ...completed), given(started, paid(), ...confirmFailed)]) {
        expect(when(state, failed, at(40))).to.deep.include({ events: [], send: [] });
      }
    });
  });

  describe('refund confirmed (payment cancelled)', () => {
    it('while compensating that payment: REFUND done, COMPENSATED, no timer left', () => {
      const r = when(given(started, paid(), ...confirmFailed), { type: 'PaymentCancelled', paymentId: PAYMENT }, at(4));
      expect(r.events).to.deep.equal([{ type: 'RefundDone', at: at(4), paymentId: PAYMENT }]);
      expect(r.send).to.deep.equal([]);
      expect(r.next).to.include({ status: 'COMPENSATED', step: null, deadlineAtMs: null, retryAtMs: null, failureCode: 'CONFIRMATION_FAILED' });
      expect(steps(r.next).slice(-1)).to.deep.equal([`REFUND:DONE:payment ${PAYMENT} refunded`]);
    });

    it('the refund of another payment (a duplicate), or when nothing is being compensated: nothing', () => {
      expect(when(given(started, paid(), ...confirmFailed), { type: 'PaymentCancelled', paymentId: PAYMENT + 1 }, at(4))).to.deep.include({
        events: [],
        send: [],
      });
      for (const state of [null, given(started), given(started, ...completed)]) {
        expect(when(state, { type: 'PaymentCancelled', paymentId: PAYMENT }, at(4))).to.deep.include({ events: [], send: [] });
      }
      const done = given(started, paid(), ...confirmFailed, { type: 'RefundDone', at: at(4), paymentId: PAYMENT });
      expect(when(done, { type: 'PaymentCancelled', paymentId: PAYMENT }, at(5))).to.deep.include({ events: [], send: [] });
    });
  });

  describe('timers (the saga-deadlines job)', () => {
    it('PAY unanswered at its retry time: asked again with the same saga id and deadline', () => {
      const r = when(given(started), { type: 'TimerDue' }, at(5));
      expect(r.events).to.deep.equal([{ type: 'PaymentResent', at: at(5), retryAtMs: at(10) }]);
      expect(r.send).to.deep.equal([
        {
          type: 'payment.requested',
          aggregateId: RESERVATION,
          payload: { sagaId: SAGA, reservationId: RESERVATION, userId: USER, amount: AMOUNT, expiresAt: iso(at(30)) },
        },
      ]);
      expect(r.next).to.include({ status: 'RUNNING', step: 'PAY', attempts: 2, retryAtMs: at(10), deadlineAtMs: at(30), updatedAtMs: at(5) });
      expect(steps(r.next)).to.deep.equal(['PAY:STARTED']);
    });

    it('the last resend before the deadline is due at the deadline itself', () => {
      const r = when(given(started), { type: 'TimerDue' }, at(27));
      expect(r.next).to.include({ retryAtMs: at(30) });
    });

    it('PAY unanswered at its deadline: times out (FAILED, TIMEOUT), keeps the deadline it missed, sends nothing', () => {
      const r = when(given(started), { type: 'TimerDue' }, at(30));
      expect(r.events).to.deep.equal([timedOut]);
      expect(r.send).to.deep.equal([]);
      expect(r.next).to.include({
        status: 'FAILED',
        step: null,
        failureCode: 'TIMEOUT',
        failureDetail: 'The payment did not answer in time; the hold is unchanged.',
        retryAtMs: null,
        deadlineAtMs: at(30),
      });
      expect(steps(r.next)).to.deep.equal(['PAY:STARTED', 'PAY:TIMED_OUT:No reply from the payment module before the deadline.']);
    });

    it('REFUND unanswered: asked again with the same reason, backing off 5 s, 10 s, 20 s … up to 5 min', () => {
      let state = given(started, paid(), ...confirmFailed);
      const delays: number[] = [];
      for (let i = 0; i < 9; i += 1) {
        const now = state!.retryAtMs!;
        const r = when(state, { type: 'TimerDue' }, now);
        expect(r.events.map((e) => e.type)).to.deep.equal(['RefundResent']);
        expect(r.send).to.deep.equal([refundRequest(PAYMENT, 'HOLD_EXPIRED')]);
        expect(r.next).to.include({ status: 'COMPENSATING', step: 'REFUND', attempts: i + 2 });
        expect(r.next!.deadlineAtMs).to.equal(r.next!.retryAtMs);
        delays.push((r.next!.retryAtMs! - now) / 1000);
        state = r.next;
      }
      expect(delays).to.deep.equal([10, 20, 40, 80, 160, 300, 300, 300, 300]);
    });

    it('REFUND of a late payment, asked again: the reason sent again is the saga’s failure detail', () => {
      const state = when(given(started, timedOut), paymentSucceeded(), at(31)).next;
      const r = when(state, { type: 'TimerDue' }, at(36));
      expect(r.send).to.deep.equal([refundRequest(PAYMENT, 'The payment did not answer in time; the hold is unchanged.')]);
    });

    it('not due yet, or nothing left to time: nothing', () => {
      expect(when(given(started), { type: 'TimerDue' }, at(4))).to.deep.include({ events: [], send: [] });
      for (const state of [null, given(started, ...completed), given(started, timedOut)]) {
        expect(when(state, { type: 'TimerDue' }, at(600))).to.deep.include({ events: [], send: [] });
      }
    });

    it('due in a state with nothing to resend: the timer is dropped', () => {
      // RUNNING between PAY and the CONFIRM answer exists only inside one transaction; a timer there resends nothing.
      const r = when(given(started, paid()), { type: 'TimerDue' }, at(5));
      expect(r.events).to.deep.equal([{ type: 'TimerCleared', at: at(5) }]);
      expect(r.send).to.deep.equal([]);
      expect(r.next).to.include({ status: 'RUNNING', retryAtMs: null, updatedAtMs: at(5) });
    });

    it('a refund with no payment to refund is a bug, not a message', () => {
      const broken = given(started, { type: 'RefundStarted', at: at(1), reason: 'X', retryAtMs: at(6) });
      expect(() => decide(broken, { type: 'TimerDue' }, at(6))).to.throw(/has no payment to refund/);
    });
  });

  it('evolve needs a started saga', () => {
    expect(() => evolve(null, timedOut)).to.throw(/without a saga/);
  });
});
