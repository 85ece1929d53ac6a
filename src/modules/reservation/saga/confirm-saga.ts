import { z } from 'zod';
import { iso } from '../domain/reservation.aggregate';

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

/** The orchestrated confirm saga's persisted state. */
export interface ConfirmSaga {
  id: string;
  reservationId: number;
  userId: number;
  amount: number;
  status: SagaStatus;
  /** The step waiting for a reply (PAY or REFUND), null once the saga is over. */
  step: SagaStepName | null;
  steps: SagaStepRecord[];
  paymentId: number | null;
  failureCode: SagaFailureCode | null;
  failureDetail: string | null;
  /** PAY: when the step gives up; REFUND: when the refund is asked again. */
  deadlineAtMs: number | null;
  /** When the deadline job looks at the saga next. */
  retryAtMs: number | null;
  attempts: number;
  createdAtMs: number;
  updatedAtMs: number;
  version: number;
}

export const PAY_STEP_TIMEOUT_MS = 30_000;
/** A PAY command with no reply yet is sent again this often (the payment module dedupes by saga id). */
export const PAY_RESEND_MS = 5_000;
const REFUND_RESEND_BASE_MS = 5_000;
const REFUND_RESEND_MAX_MS = 300_000;

export function refundResendDelayMs(attempts: number): number {
  return Math.min(REFUND_RESEND_BASE_MS * 2 ** Math.max(0, attempts - 1), REFUND_RESEND_MAX_MS);
}

export const isFinished = (s: SagaStatus) => s === 'COMPLETED' || s === 'FAILED' || s === 'COMPENSATED';

export function record(saga: ConfirmSaga, name: SagaStepName, status: SagaStepStatus, nowMs: number, detail?: string): void {
  saga.steps = [...saga.steps, detail === undefined ? { name, status, at: iso(nowMs) } : { name, status, at: iso(nowMs), detail }];
}

/** What the API shows of a saga. */
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

const stepName = z.enum(['PAY', 'CONFIRM', 'NOTIFY', 'REFUND']);

export const sagaViewSchema = z.object({
  id: z.uuid(),
  reservationId: z.number().int(),
  status: z.enum(['RUNNING', 'COMPENSATING', 'COMPLETED', 'FAILED', 'COMPENSATED']),
  currentStep: stepName.nullable(),
  completedSteps: z.array(stepName),
  steps: z.array(z.object({ name: stepName, status: z.enum(['STARTED', 'DONE', 'FAILED', 'TIMED_OUT']), at: z.string(), detail: z.string().optional() })),
  paymentId: z.number().int().nullable(),
  amount: z.number().int(),
  failure: z.object({ code: z.string(), detail: z.string().nullable() }).nullable(),
  deadlineAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
