import { injectable } from 'inversify';
import type { Db, Transaction } from '../../../platform/db/module-database';
import type { EmailResult } from '../domain/email-delivery';
import { EMAIL_STATES, type EmailState, type NotificationType, type StoredNotification } from '../domain/notification';

export interface NewNotification {
  userId: number;
  type: NotificationType;
  reservationId: number;
  amount: number | null;
  reason: string | null;
  sourceEventId: string;
  createdAtMs: number;
  emailStatus: EmailState;
}

interface Row {
  id: number;
  user_id: number;
  type: NotificationType;
  reservation_id: number;
  amount: number | null;
  reason: string | null;
  created_at_ms: number | string;
  read_at_ms: number | string | null;
  email_status: EmailState;
  email_attempts: number;
}

const fromRow = (r: Row): StoredNotification => ({
  id: r.id,
  userId: r.user_id,
  type: r.type,
  reservationId: r.reservation_id,
  amount: r.amount ?? null,
  reason: r.reason ?? null,
  createdAtMs: Number(r.created_at_ms),
  readAtMs: r.read_at_ms === null ? null : Number(r.read_at_ms),
  emailStatus: r.email_status,
  emailAttempts: r.email_attempts,
});

@injectable()
export class Notifications {
  /** False when a notification for this event exists already (the unique source_event_id decides). */
  async insert(trx: Transaction, n: NewNotification): Promise<boolean> {
    const inserted: Array<{ id: number }> = await trx('nt_notifications')
      .insert({
        user_id: n.userId,
        type: n.type,
        reservation_id: n.reservationId,
        amount: n.amount,
        reason: n.reason === null ? null : n.reason.slice(0, 200),
        source_event_id: n.sourceEventId,
        created_at_ms: n.createdAtMs,
        email_status: n.emailStatus,
        next_email_at_ms: n.emailStatus === 'PENDING' ? n.createdAtMs : null,
      })
      .onConflict('source_event_id')
      .ignore()
      .returning('id');
    return inserted.length > 0;
  }

  /** A user's notifications, newest first, after the `beforeId` cursor. */
  async pageOf(q: Db, userId: number, beforeId: number | null, limit: number): Promise<StoredNotification[]> {
    const query = q('nt_notifications').where({ user_id: userId });
    if (beforeId !== null) query.where('id', '<', beforeId);
    const rows: Row[] = await query.orderBy('id', 'desc').limit(limit);
    return rows.map(fromRow);
  }

  async findOfUser(q: Db, userId: number, id: number): Promise<StoredNotification | null> {
    const row: Row | undefined = await q('nt_notifications').where({ id, user_id: userId }).first();
    return row ? fromRow(row) : null;
  }

  /** Marks it read unless it was already (the first reading's time stays). */
  async markRead(trx: Transaction, userId: number, id: number, atMs: number): Promise<void> {
    await trx('nt_notifications').where({ id, user_id: userId }).whereNull('read_at_ms').update({ read_at_ms: atMs });
  }

  async dueForEmail(q: Db, nowMs: number, limit: number): Promise<StoredNotification[]> {
    const rows: Row[] = await q('nt_notifications').where({ email_status: 'PENDING' }).where('next_email_at_ms', '<=', nowMs).orderBy('id').limit(limit);
    return rows.map(fromRow);
  }

  async recordEmailResults(trx: Transaction, results: EmailResult[], nowMs: number): Promise<void> {
    for (const r of results) {
      const row =
        r.status === 'SENT'
          ? { email_status: 'SENT', emailed_at_ms: nowMs, next_email_at_ms: null, email_attempts: trx.raw('email_attempts + 1') }
          : { email_status: r.status, email_attempts: r.attempts, next_email_at_ms: r.nextAttemptAtMs, email_error: r.error.slice(0, 1000) };
      await trx('nt_notifications').where({ id: r.id, email_status: 'PENDING' }).update(row);
    }
  }

  async countByEmailState(q: Db): Promise<Record<EmailState, number>> {
    const rows: Array<{ email_status: EmailState; n: number | string }> = await q('nt_notifications')
      .select('email_status')
      .count({ n: '*' })
      .groupBy('email_status');
    const counts = Object.fromEntries(EMAIL_STATES.map((s) => [s, 0])) as Record<EmailState, number>;
    for (const r of rows) counts[r.email_status] = Number(r.n);
    return counts;
  }
}
