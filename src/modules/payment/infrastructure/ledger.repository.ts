import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { Db, ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';

export type EntryType = 'CHARGE' | 'PAYMENT' | 'REFUND';

export interface LedgerEntry {
  id: number;
  userId: number;
  type: EntryType;
  amount: number;
  balanceAfter: number;
  reservationId: number | null;
  paymentId: number | null;
  createdAtMs: number;
}

interface EntryRow {
  id: number;
  user_id: number;
  type: EntryType;
  amount: number;
  balance_after: number;
  reservation_id: number | null;
  payment_id: number | null;
  created_at_ms: number;
}

/** What an entry refers to besides its user. */
export interface EntryRefs {
  reservationId?: number;
  paymentId?: number;
  chargeAttemptId?: string;
}

export interface Posted {
  entryId: number;
  balance: number;
}

const fromRow = (r: EntryRow): LedgerEntry => ({
  id: r.id,
  userId: r.user_id,
  type: r.type,
  amount: Number(r.amount),
  balanceAfter: Number(r.balance_after),
  reservationId: r.reservation_id,
  paymentId: r.payment_id,
  createdAtMs: Number(r.created_at_ms),
});

/**
 * Accounts and their immutable ledger. Every balance change is one conditional UPDATE of the
 * account plus one entry insert, in the caller's transaction: the stored balance and the signed
 * sum of entries move together or not at all, and the CHECK (balance >= 0) backs the condition.
 */
@injectable()
export class LedgerRepository {
  // Every payment: compiled once (see PreparedStatement).
  private readonly selectBalance;
  private readonly debitIfCovered;
  private readonly insertEntry;

  constructor(
    @inject(PLATFORM.Database) db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
  ) {
    this.selectBalance = db.prepare<{ userId: number }, { balance: number }>((k, p) =>
      k('accounts')
        .where({ user_id: p('userId') })
        .first('balance'),
    );
    this.debitIfCovered = db.prepare<{ userId: number; amount: number; now: number }, { balance: number }>((k, p) =>
      k('accounts')
        .where({ user_id: p('userId') })
        .andWhere('balance', '>=', p('amount'))
        .update({ balance: k.raw('balance - ?', [p('amount')]), version: k.raw('version + 1'), updated_at_ms: p('now') })
        .returning(['balance']),
    );
    this.insertEntry = db.prepare<
      {
        userId: number;
        type: EntryType;
        amount: number;
        balanceAfter: number;
        reservationId: number | null;
        paymentId: number | null;
        chargeAttemptId: string | null;
        now: number;
      },
      { id: number }
    >((k, p) =>
      k('ledger_entries')
        .insert({
          user_id: p('userId'),
          type: p('type'),
          amount: p('amount'),
          balance_after: p('balanceAfter'),
          reservation_id: p('reservationId'),
          payment_id: p('paymentId'),
          charge_attempt_id: p('chargeAttemptId'),
          created_at_ms: p('now'),
        })
        .returning('id'),
    );
  }

  async balance(q: Db, userId: number): Promise<number> {
    const row = await this.selectBalance.first(q, { userId });
    return row ? Number(row.balance) : 0;
  }

  /** Adds points (CHARGE or REFUND). `maxBalance` refuses (returns null) a credit that would pass it. */
  async credit(trx: Transaction, userId: number, type: 'CHARGE' | 'REFUND', amount: number, refs: EntryRefs, maxBalance?: number): Promise<Posted | null> {
    const now = this.clock.now();
    await trx('accounts').insert({ user_id: userId, balance: 0, version: 0, updated_at_ms: now }).onConflict('user_id').ignore();
    const query = trx('accounts').where({ user_id: userId });
    if (maxBalance !== undefined) query.andWhere('balance', '<=', maxBalance - amount);
    const updated: Array<{ balance: number }> = await query
      .update({ balance: trx.raw('balance + ?', [amount]), version: trx.raw('version + 1'), updated_at_ms: now })
      .returning(['balance']);
    if (updated.length === 0) return null;
    return this.post(trx, userId, type, amount, Number(updated[0].balance), refs, now);
  }

  /** Takes points for a PAYMENT; null (nothing changed) when the balance is short. */
  async debit(trx: Transaction, userId: number, amount: number, refs: EntryRefs): Promise<Posted | null> {
    const now = this.clock.now();
    const updated = await this.debitIfCovered.all(trx, { userId, amount, now });
    if (updated.length === 0) return null;
    return this.post(trx, userId, 'PAYMENT', amount, Number(updated[0].balance), refs, now);
  }

  /** Newest first; `beforeId` pages backwards. */
  async history(q: Db, userId: number, limit: number, beforeId?: number): Promise<LedgerEntry[]> {
    const query = q('ledger_entries').where({ user_id: userId });
    if (beforeId !== undefined) query.andWhere('id', '<', beforeId);
    const rows: EntryRow[] = await query.orderBy('id', 'desc').limit(limit);
    return rows.map(fromRow);
  }

  async entryForChargeAttempt(q: Db, attemptId: string): Promise<LedgerEntry | null> {
    const row: EntryRow | undefined = await q('ledger_entries').where({ charge_attempt_id: attemptId }).first();
    return row ? fromRow(row) : null;
  }

  private async post(trx: Transaction, userId: number, type: EntryType, amount: number, balanceAfter: number, refs: EntryRefs, now: number): Promise<Posted> {
    const inserted = await this.insertEntry.all(trx, {
      userId,
      type,
      amount,
      balanceAfter,
      reservationId: refs.reservationId ?? null,
      paymentId: refs.paymentId ?? null,
      chargeAttemptId: refs.chargeAttemptId ?? null,
      now,
    });
    return { entryId: inserted[0].id, balance: balanceAfter };
  }
}
