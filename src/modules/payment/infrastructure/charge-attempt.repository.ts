import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { Db, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';

export type AttemptState = 'PENDING' | 'SETTLED' | 'DECLINED' | 'VOIDED';

export interface ChargeAttempt {
  id: string;
  userId: number;
  amount: number;
  status: AttemptState;
  /** The Idempotency-Key the charge was asked with, if any: its answer is stored when the attempt settles. */
  idempotencyKey: string | null;
  failure: string | null;
  createdAtMs: number;
}

interface AttemptRow {
  id: string;
  user_id: number;
  amount: number;
  status: AttemptState;
  idempotency_key: string | null;
  failure: string | null;
  created_at_ms: number;
}

const fromRow = (r: AttemptRow): ChargeAttempt => ({
  id: r.id,
  userId: r.user_id,
  amount: Number(r.amount),
  status: r.status,
  idempotencyKey: r.idempotency_key,
  failure: r.failure,
  createdAtMs: Number(r.created_at_ms),
});

/**
 * Charges at the gateway, recorded before the gateway is asked and resolved after: a process
 * that dies in between leaves a PENDING attempt that the settle job (or a repeat of the keyed
 * request) resolves from the gateway's own record. Money in PENDING attempts counts against the
 * balance limit.
 */
@injectable()
export class ChargeAttemptRepository {
  constructor(@inject(PLATFORM.Clock) private readonly clock: Clock) {}

  async insert(
    trx: Transaction,
    a: { id: string; userId: number; amount: number; status: 'PENDING' | 'SETTLED'; gatewayRef?: string; idempotencyKey: string | null },
  ): Promise<void> {
    const now = this.clock.now();
    await trx('charge_attempts').insert({
      id: a.id,
      user_id: a.userId,
      amount: a.amount,
      status: a.status,
      gateway_ref: a.gatewayRef ?? null,
      idempotency_key: a.idempotencyKey,
      created_at_ms: now,
      resolved_at_ms: a.status === 'PENDING' ? null : now,
    });
  }

  async pendingAmount(q: Db, userId: number): Promise<number> {
    const row = await q('charge_attempts').where({ user_id: userId, status: 'PENDING' }).sum({ total: 'amount' }).first();
    return Number(row?.total ?? 0);
  }

  /** PENDING → another state; false if someone resolved it first (so it is credited at most once). */
  async resolve(
    trx: Transaction,
    id: string,
    status: Exclude<AttemptState, 'PENDING'>,
    details: { gatewayRef?: string; failure?: string } = {},
  ): Promise<boolean> {
    const n = await trx('charge_attempts')
      .where({ id, status: 'PENDING' })
      .update({ status, gateway_ref: details.gatewayRef ?? null, failure: details.failure?.slice(0, 500) ?? null, resolved_at_ms: this.clock.now() });
    return n === 1;
  }

  /**
   * VOIDED → PENDING, to send the same attempt again: only a voided attempt, which the gateway
   * never took (it never reached it, or the gateway said it has no record of it).
   */
  async revive(trx: Transaction, id: string): Promise<boolean> {
    const n = await trx('charge_attempts')
      .where({ id, status: 'VOIDED' })
      .update({ status: 'PENDING', failure: null, resolved_at_ms: null, created_at_ms: this.clock.now(), sends: trx.raw('sends + 1') });
    return n === 1;
  }

  async findById(q: Db, id: string): Promise<ChargeAttempt | null> {
    const row: AttemptRow | undefined = await q('charge_attempts').where({ id }).first();
    return row ? fromRow(row) : null;
  }

  async pendingOlderThan(q: Db, createdBeforeMs: number, limit: number): Promise<ChargeAttempt[]> {
    const rows: AttemptRow[] = await q('charge_attempts')
      .where({ status: 'PENDING' })
      .andWhere('created_at_ms', '<', createdBeforeMs)
      .orderBy('created_at_ms')
      .limit(limit);
    return rows.map(fromRow);
  }
}
