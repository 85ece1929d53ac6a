import { injectable } from 'inversify';
import type { Db, Transaction } from '../../../platform/db/module-database';
import type { ConfirmSaga, SagaStatus } from '../domain/confirm-saga';
import { ConcurrencyError, isUniqueViolation } from './optimistic-concurrency';

interface SagaRow {
  id: string;
  reservation_id: number;
  user_id: number;
  amount: number;
  status: ConfirmSaga['status'];
  step: ConfirmSaga['step'];
  steps: string;
  payment_id: number | null;
  failure_code: ConfirmSaga['failureCode'];
  failure_detail: string | null;
  deadline_at_ms: number | null;
  retry_at_ms: number | null;
  attempts: number;
  created_at_ms: number;
  updated_at_ms: number;
  version: number;
}

/** A saga as loaded for a change: its state, and the row version the change must build on. */
export interface StoredSaga {
  saga: ConfirmSaga;
  version: number;
}

const num = (v: number | null) => (v === null ? null : Number(v));

const fromRow = (r: SagaRow): ConfirmSaga => ({
  id: r.id,
  reservationId: r.reservation_id,
  userId: r.user_id,
  amount: r.amount,
  status: r.status,
  step: r.step,
  steps: JSON.parse(r.steps),
  paymentId: r.payment_id,
  failureCode: r.failure_code,
  failureDetail: r.failure_detail,
  deadlineAtMs: num(r.deadline_at_ms),
  retryAtMs: num(r.retry_at_ms),
  attempts: r.attempts,
  createdAtMs: Number(r.created_at_ms),
  updatedAtMs: Number(r.updated_at_ms),
});

const stored = (r: SagaRow): StoredSaga => ({ saga: fromRow(r), version: r.version });

const toColumns = (s: ConfirmSaga) => ({
  status: s.status,
  step: s.step,
  steps: JSON.stringify(s.steps),
  payment_id: s.paymentId,
  failure_code: s.failureCode,
  failure_detail: s.failureDetail,
  deadline_at_ms: s.deadlineAtMs,
  retry_at_ms: s.retryAtMs,
  attempts: s.attempts,
  updated_at_ms: s.updatedAtMs,
});

const IN_FLIGHT: SagaStatus[] = ['RUNNING', 'COMPENSATING'];

/** The saga row changed since it was loaded: retried like any optimistic-concurrency conflict. */
export class SagaConflictError extends ConcurrencyError {
  constructor(
    readonly sagaId: string,
    reservationId: number,
    version: number,
  ) {
    super(reservationId, version);
    this.name = 'SagaConflictError';
    this.message = `Saga ${sagaId} changed after version ${version}`;
  }
}

/** `confirm_sagas`: one row per saga, its state as `evolve` left it, versioned for optimistic concurrency. */
@injectable()
export class ConfirmSagaRepository {
  /** Stores a new saga (version 1); false if another saga is already RUNNING for the reservation. */
  async insert(trx: Transaction, s: ConfirmSaga): Promise<boolean> {
    try {
      await trx('confirm_sagas').insert({
        id: s.id,
        reservation_id: s.reservationId,
        user_id: s.userId,
        amount: s.amount,
        created_at_ms: s.createdAtMs,
        version: 1,
        ...toColumns(s),
      });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** Saves a loaded saga's new state; a concurrent change since `version` was loaded fails the save. */
  async update(trx: Transaction, s: ConfirmSaga, version: number): Promise<void> {
    const updated = await trx('confirm_sagas')
      .where({ id: s.id, version })
      .update({ ...toColumns(s), version: version + 1 });
    if (updated !== 1) throw new SagaConflictError(s.id, s.reservationId, version);
  }

  /** For a change, inside its transaction. */
  async load(trx: Transaction, id: string): Promise<StoredSaga | null> {
    const row: SagaRow | undefined = await trx('confirm_sagas').where({ id }).first();
    return row ? stored(row) : null;
  }

  async find(q: Db, id: string): Promise<ConfirmSaga | null> {
    const row: SagaRow | undefined = await q('confirm_sagas').where({ id }).first();
    return row ? fromRow(row) : null;
  }

  /**
   * The saga in flight for a reservation: the RUNNING one (at most one, by the unique index) before
   * one still COMPENSATING a late payment (one of those may run beside it).
   */
  async findActive(trx: Transaction, reservationId: number): Promise<ConfirmSaga | null> {
    const row: SagaRow | undefined = await trx('confirm_sagas')
      .where({ reservation_id: reservationId })
      .whereIn('status', IN_FLIGHT)
      .orderByRaw("case when status = 'RUNNING' then 0 else 1 end")
      .orderBy('created_at_ms', 'desc')
      .first();
    return row ? fromRow(row) : null;
  }

  /** In-flight sagas whose timer has come, soonest first (the (status, retry_at_ms) index). */
  async due(trx: Transaction, nowMs: number, limit: number): Promise<StoredSaga[]> {
    const rows: SagaRow[] = await trx('confirm_sagas').whereIn('status', IN_FLIGHT).andWhere('retry_at_ms', '<=', nowMs).orderBy('retry_at_ms').limit(limit);
    return rows.map(stored);
  }

  async countByStatus(q: Db): Promise<Map<string, number>> {
    const rows: Array<{ status: string; n: number }> = await q('confirm_sagas').select('status').count({ n: '*' }).groupBy('status');
    return new Map(rows.map((r) => [r.status, Number(r.n)]));
  }
}
