import type { EventPayload } from '../../../contracts/events';
import { iso } from './reservation.aggregate';

/**
 * The orchestrated confirm saga (seed §3.2.2), as a pure decider in the style of emmett's
 * workflows: `decide(state, message, now)` says what to do about a message (saga events to
 * record, messages to publish, and the one local step, confirming the reservation), and
 * `evolve(state, event)` is the only place the saga's fields change. The orchestrator
 * (commands/orchestrate-confirm-saga/) loads the state, decides, evolves, stores the new state
 * in `confirm_sagas` and publishes, in one transaction.
 *
 * Steps: PAY (`payment.requested`, answered by `payment.success` / `payment.failed` carrying the
 * saga id), CONFIRM (the reservation's own stream), NOTIFY (`reservation.success`). If CONFIRM
 * fails after PAY, the completed PAY is compensated with `payment.refund-requested` until
 * `payment.cancelled` answers. Timers (`retryAtMs`) are woken by the `saga-deadlines` job: an
 * unanswered PAY or REFUND is asked again, and PAY gives up at its deadline.
 */

export type SagaStatus = 'RUNNING' | 'COMPENSATING' | 'COMPLETED' | 'FAILED' | 'COMPENSATED';
export type SagaStepName = 'PAY' | 'CONFIRM' | 'NOTIFY' | 'REFUND';
export type SagaStepStatus = 'STARTED' | 'DONE' | 'FAILED' | 'TIMED_OUT';

export interface SagaStepRecord {
  name: SagaStepName;
  status: SagaStepStatus;
  at: string;
  detail?: string;
}

export type SagaFailureCode = 'INSUFFICIENT_BALANCE' | 'RESERVATION_NOT_PAYABLE' | 'TIMEOUT' | 'CONFIRMATION_FAILED';

/** The orchestrated confirm saga's state (one `confirm_sagas` row). */
export interface ConfirmSaga {
  id: string;
  reservationId: number;
  userId: number;
  amount: number;
  status: SagaStatus;
  /**
   * The step waiting for a reply: PAY or REFUND (what is stored), CONFIRM or NOTIFY only within
   * the transaction that performs them; null once the saga is over.
   */
  step: SagaStepName | null;
  steps: SagaStepRecord[];
  paymentId: number | null;
  failureCode: SagaFailureCode | null;
  failureDetail: string | null;
  /** PAY: when the step gives up (a timed-out saga keeps it); REFUND: when the refund is asked again. */
  deadlineAtMs: number | null;
  /** When the deadline job looks at the saga next. */
  retryAtMs: number | null;
  attempts: number;
  createdAtMs: number;
  updatedAtMs: number;
}

export const PAY_STEP_TIMEOUT_MS = 30_000;
/** A PAY command with no reply yet is sent again this often (the payment module dedupes by saga id). */
export const PAY_RESEND_MS = 5_000;
const REFUND_RESEND_BASE_MS = 5_000;
const REFUND_RESEND_MAX_MS = 300_000;

export function refundResendDelayMs(attempts: number): number {
  return Math.min(REFUND_RESEND_BASE_MS * 2 ** Math.max(0, attempts - 1), REFUND_RESEND_MAX_MS);
}

// ── What the saga is told ────────────────────────────────────────────────────────────────────

export type SagaMessage =
  /** The client asked to pay for a live hold of theirs (checked by the caller). */
  | { type: 'ConfirmRequested'; sagaId: string; reservationId: number; userId: number; amount: number; holdExpiresAtMs: number }
  /** `payment.success` with this saga's id: the payment module debited `amount` at `paidAtMs` (its envelope's `occurredAt`). */
  | { type: 'PaymentSucceeded'; sagaId: string; paymentId: number; reservationId: number; userId: number; amount: number; paidAtMs: number }
  /** `payment.failed` with this saga's id: nothing was debited. */
  | { type: 'PaymentFailed'; reason: 'INSUFFICIENT_BALANCE' | 'RESERVATION_NOT_PAYABLE'; detail: string }
  /** `payment.cancelled` with this saga's id: a payment was refunded. */
  | { type: 'PaymentCancelled'; paymentId: number }
  /** The CONFIRM step's outcome: confirmed (`announcement` null if the payment had confirmed it already). */
  | { type: 'ReservationConfirmed'; announcement: EventPayload<'reservation.success'> | null }
  /** The CONFIRM step's outcome: this payment cannot confirm the reservation (e.g. HOLD_EXPIRED). */
  | { type: 'ReservationNotConfirmed'; reason: string }
  /** The deadline job: the saga's `retryAtMs` has come. */
  | { type: 'TimerDue' };

// ── What the saga records (each one a step record, except the timers) ───────────────────────

export type ConfirmSagaEvent =
  | { type: 'SagaStarted'; at: number; sagaId: string; reservationId: number; userId: number; amount: number; deadlineAtMs: number; retryAtMs: number }
  | { type: 'PaymentResent'; at: number; retryAtMs: number }
  | { type: 'PayTimedOut'; at: number }
  | { type: 'PayFailed'; at: number; reason: SagaFailureCode; detail: string }
  /** `late`: the saga had already ended (timed out, refused) when the money arrived. */
  | { type: 'PayDone'; at: number; paymentId: number; late: boolean }
  | { type: 'ConfirmDone'; at: number }
  | { type: 'NotifyDone'; at: number }
  | { type: 'ConfirmFailed'; at: number; reason: string }
  | { type: 'RefundStarted'; at: number; reason: string; retryAtMs: number }
  | { type: 'RefundResent'; at: number; retryAtMs: number }
  | { type: 'RefundDone'; at: number; paymentId: number }
  /** Woken in a state with nothing to resend: the timer is dropped. */
  | { type: 'TimerCleared'; at: number };

// ── What the saga sends ──────────────────────────────────────────────────────────────────────

type Sent<T extends 'payment.requested' | 'payment.refund-requested' | 'reservation.success'> = { type: T; aggregateId: number; payload: EventPayload<T> };
export type SagaOutput = Sent<'payment.requested'> | Sent<'payment.refund-requested'> | Sent<'reservation.success'>;

/** The CONFIRM step, done on the reservation's stream in the same transaction; its outcome comes back as a message. */
export interface ConfirmReservationCommand {
  reservationId: number;
  paymentId: number;
  /** As the payment module reported them: the reservation refuses a payment by another user or of another amount. */
  userId: number;
  amount: number;
  sagaId: string;
  /** When the payment module recorded the payment: one made before the hold's expiry may confirm it within the grace. */
  paidAtMs: number;
}

export interface SagaDecision {
  events: ConfirmSagaEvent[];
  /** Integration commands and events to publish, in this order, in the same transaction. */
  send: SagaOutput[];
  confirm?: ConfirmReservationCommand;
  /** Money nobody asked for came in: the orchestrator logs it (and `send` refunds it). */
  warning?: { message: string; sagaId: string; paymentId: number };
}

const nothing = (): SagaDecision => ({ events: [], send: [] });

/** Given the saga's state (null: no such saga), what to do about `message` at `nowMs`. */
export function decide(state: ConfirmSaga | null, message: SagaMessage, nowMs: number): SagaDecision {
  switch (message.type) {
    case 'ConfirmRequested': {
      if (state) return nothing();
      const deadlineAtMs = Math.min(nowMs + PAY_STEP_TIMEOUT_MS, message.holdExpiresAtMs);
      const started: ConfirmSagaEvent = {
        type: 'SagaStarted',
        at: nowMs,
        sagaId: message.sagaId,
        reservationId: message.reservationId,
        userId: message.userId,
        amount: message.amount,
        deadlineAtMs,
        retryAtMs: Math.min(nowMs + PAY_RESEND_MS, deadlineAtMs),
      };
      return { events: [started], send: [paymentRequested(evolve(null, started), nowMs)] };
    }

    case 'PaymentSucceeded': {
      const { sagaId, paymentId } = message;
      if (!state) {
        const payload = { sagaId, paymentId, reservationId: message.reservationId, userId: message.userId, reason: 'UNKNOWN_SAGA' };
        return {
          events: [],
          send: [{ type: 'payment.refund-requested', aggregateId: message.reservationId, payload }],
          warning: { message: 'payment for an unknown saga: refunding it', sagaId, paymentId },
        };
      }
      if (state.paymentId !== null) {
        if (state.paymentId === paymentId) return nothing(); // the same payment again
        const payload = { sagaId: state.id, paymentId, reservationId: state.reservationId, userId: message.userId, reason: 'DUPLICATE_PAYMENT' };
        return {
          events: [],
          send: [{ type: 'payment.refund-requested', aggregateId: state.reservationId, payload }],
          warning: { message: 'second payment for one saga: refunding it', sagaId: state.id, paymentId },
        };
      }
      if (state.status !== 'RUNNING' || state.step !== 'PAY') {
        // The saga gave up (timed out) before this payment arrived: give the money back.
        return compensating(state, [{ type: 'PayDone', at: nowMs, paymentId, late: true }], 'PAYMENT_AFTER_SAGA_ENDED', nowMs);
      }
      return {
        events: [{ type: 'PayDone', at: nowMs, paymentId, late: false }],
        send: [],
        confirm: {
          reservationId: state.reservationId,
          paymentId,
          userId: message.userId,
          amount: message.amount,
          sagaId: state.id,
          paidAtMs: message.paidAtMs,
        },
      };
    }

    case 'ReservationConfirmed': {
      if (state?.step !== 'CONFIRM') return nothing();
      const announce: SagaOutput[] = message.announcement
        ? [{ type: 'reservation.success', aggregateId: message.announcement.reservationId, payload: message.announcement }]
        : [];
      return {
        events: [
          { type: 'ConfirmDone', at: nowMs },
          { type: 'NotifyDone', at: nowMs },
        ],
        send: announce,
      };
    }

    case 'ReservationNotConfirmed': {
      if (state?.step !== 'CONFIRM') return nothing();
      return compensating(state, [{ type: 'ConfirmFailed', at: nowMs, reason: message.reason }], message.reason, nowMs);
    }

    case 'PaymentFailed': {
      // Nothing was debited, so nothing to compensate; a late or repeated refusal changes nothing.
      if (state?.status !== 'RUNNING' || state.step !== 'PAY') return nothing();
      return { events: [{ type: 'PayFailed', at: nowMs, reason: message.reason, detail: message.detail }], send: [] };
    }

    case 'PaymentCancelled': {
      if (state?.status !== 'COMPENSATING' || state.step !== 'REFUND' || state.paymentId !== message.paymentId) return nothing();
      return { events: [{ type: 'RefundDone', at: nowMs, paymentId: message.paymentId }], send: [] };
    }

    case 'TimerDue': {
      if (!state || state.retryAtMs === null || state.retryAtMs > nowMs) return nothing();
      if (state.status === 'RUNNING' && state.step === 'PAY') {
        if (state.deadlineAtMs !== null && nowMs >= state.deadlineAtMs) return { events: [{ type: 'PayTimedOut', at: nowMs }], send: [] };
        // Asked again with the same saga id: the payment module answers a saga once.
        const resent: ConfirmSagaEvent = {
          type: 'PaymentResent',
          at: nowMs,
          retryAtMs: Math.min(nowMs + PAY_RESEND_MS, state.deadlineAtMs ?? nowMs + PAY_RESEND_MS),
        };
        return { events: [resent], send: [paymentRequested(evolve(state, resent), nowMs)] };
      }
      if (state.status === 'COMPENSATING' && state.step === 'REFUND') {
        const resent: ConfirmSagaEvent = { type: 'RefundResent', at: nowMs, retryAtMs: nowMs + refundResendDelayMs(state.attempts + 1) };
        const next = evolve(state, resent);
        return { events: [resent], send: [refundRequested(next, next.failureDetail ?? 'COMPENSATION')] };
      }
      return { events: [{ type: 'TimerCleared', at: nowMs }], send: [] };
    }
  }
}

/** The saga's fields after `event`: the one place they change. */
export function evolve(state: ConfirmSaga | null, event: ConfirmSagaEvent): ConfirmSaga {
  if (event.type === 'SagaStarted') {
    return {
      id: event.sagaId,
      reservationId: event.reservationId,
      userId: event.userId,
      amount: event.amount,
      status: 'RUNNING',
      step: 'PAY',
      steps: [stepRecord('PAY', 'STARTED', event.at)],
      paymentId: null,
      failureCode: null,
      failureDetail: null,
      deadlineAtMs: event.deadlineAtMs,
      retryAtMs: event.retryAtMs,
      attempts: 1,
      createdAtMs: event.at,
      updatedAtMs: event.at,
    };
  }
  if (!state) throw new Error(`Saga event ${event.type} without a saga`);
  const s: ConfirmSaga = { ...state, updatedAtMs: event.at };
  const log = (name: SagaStepName, status: SagaStepStatus, detail?: string) => [...s.steps, stepRecord(name, status, event.at, detail)];
  /** Over: nothing waits for a reply, no timer. */
  const ended = (status: SagaStatus): ConfirmSaga => ({ ...s, status, step: null, deadlineAtMs: null, retryAtMs: null });
  switch (event.type) {
    case 'PaymentResent':
      return { ...s, attempts: s.attempts + 1, retryAtMs: event.retryAtMs };
    case 'PayTimedOut':
      // Keeps the deadline it missed.
      return {
        ...s,
        status: 'FAILED',
        step: null,
        retryAtMs: null,
        failureCode: 'TIMEOUT',
        failureDetail: 'The payment did not answer in time; the hold is unchanged.',
        steps: log('PAY', 'TIMED_OUT', 'No reply from the payment module before the deadline.'),
      };
    case 'PayFailed':
      return { ...ended('FAILED'), failureCode: event.reason, failureDetail: event.detail, steps: log('PAY', 'FAILED', event.detail) };
    case 'PayDone':
      return {
        ...s,
        paymentId: event.paymentId,
        step: event.late ? s.step : 'CONFIRM',
        steps: log('PAY', 'DONE', event.late ? `payment ${event.paymentId} arrived after the saga ended` : `payment ${event.paymentId}`),
      };
    case 'ConfirmDone':
      return { ...s, step: 'NOTIFY', steps: log('CONFIRM', 'DONE') };
    case 'NotifyDone':
      return { ...ended('COMPLETED'), steps: log('NOTIFY', 'DONE') };
    case 'ConfirmFailed':
      return { ...s, failureCode: 'CONFIRMATION_FAILED', failureDetail: event.reason, steps: log('CONFIRM', 'FAILED', event.reason) };
    case 'RefundStarted':
      return {
        ...s,
        status: 'COMPENSATING',
        step: 'REFUND',
        attempts: 1,
        retryAtMs: event.retryAtMs,
        deadlineAtMs: event.retryAtMs,
        steps: log('REFUND', 'STARTED', event.reason),
      };
    case 'RefundResent':
      return { ...s, attempts: s.attempts + 1, retryAtMs: event.retryAtMs, deadlineAtMs: event.retryAtMs };
    case 'RefundDone':
      return { ...ended('COMPENSATED'), steps: log('REFUND', 'DONE', `payment ${event.paymentId} refunded`) };
    case 'TimerCleared':
      return { ...s, retryAtMs: null };
  }
}

/** Records `then` and starts the compensation of the completed PAY: refund, asked again until answered. */
function compensating(state: ConfirmSaga, then: ConfirmSagaEvent[], reason: string, nowMs: number): SagaDecision {
  const events: ConfirmSagaEvent[] = [...then, { type: 'RefundStarted', at: nowMs, reason, retryAtMs: nowMs + refundResendDelayMs(1) }];
  return { events, send: [refundRequested(events.reduce(evolve, state), reason)] };
}

function paymentRequested(saga: ConfirmSaga, nowMs: number): SagaOutput {
  return {
    type: 'payment.requested',
    aggregateId: saga.reservationId,
    payload: { sagaId: saga.id, reservationId: saga.reservationId, userId: saga.userId, amount: saga.amount, expiresAt: iso(saga.deadlineAtMs ?? nowMs) },
  };
}

function refundRequested(saga: ConfirmSaga, reason: string): SagaOutput {
  if (saga.paymentId === null) throw new Error(`Saga ${saga.id} has no payment to refund`);
  return {
    type: 'payment.refund-requested',
    aggregateId: saga.reservationId,
    payload: { sagaId: saga.id, paymentId: saga.paymentId, reservationId: saga.reservationId, userId: saga.userId, reason },
  };
}

function stepRecord(name: SagaStepName, status: SagaStepStatus, atMs: number, detail?: string): SagaStepRecord {
  return detail === undefined ? { name, status, at: iso(atMs) } : { name, status, at: iso(atMs), detail };
}

/** What the API shows of a saga (`sagaViewSchema` in reservation.schemas.ts documents it). */
export function sagaView(s: ConfirmSaga) {
  const done = (name: SagaStepName) => s.steps.some((r) => r.name === name && r.status === 'DONE');
  return {
    id: s.id,
    reservationId: s.reservationId,
    status: s.status,
    currentStep: s.step,
    completedSteps: (['PAY', 'CONFIRM', 'NOTIFY', 'REFUND'] as SagaStepName[]).filter(done),
    steps: s.steps,
    paymentId: s.paymentId,
    amount: s.amount,
    failure: s.failureCode ? { code: s.failureCode, detail: s.failureDetail } : null,
    deadlineAt: s.deadlineAtMs === null ? null : iso(s.deadlineAtMs),
    createdAt: iso(s.createdAtMs),
    updatedAt: iso(s.updatedAtMs),
  };
}

export type SagaView = ReturnType<typeof sagaView>;
