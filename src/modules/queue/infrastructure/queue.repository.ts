import { inject, injectable } from 'inversify';
import type { Db, ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { FlowOverrides } from '../domain/admission-rules';
import { QUEUE_ROOM, type RoomScope } from '../queue-room';

export type TokenStatus = 'WAITING' | 'ACTIVE' | 'EXPIRED' | 'COMPLETED';
export type EndReason = 'LEFT' | 'IDLE' | 'PASS_EXPIRED' | 'RESERVATION_CONFIRMED';

export interface TokenRow {
  seq: number;
  token: string;
  user_id: number;
  status: TokenStatus;
  end_reason: EndReason | null;
  created_at_ms: number;
  activated_at_ms: number | null;
  expires_at_ms: number | null;
  ended_at_ms: number | null;
}

export interface NewToken {
  /** Given when the live state decides the arrival order (the Redis store); otherwise the database assigns it. */
  seq?: number;
  token: string;
  userId: number;
  status: 'WAITING' | 'ACTIVE';
  createdAtMs: number;
  expiresAtMs: number | null;
}

/** SQLite's bound-parameter limit is far above this; chunks keep statements small. */
const CHUNK = 500;

const toRow = (r: TokenRow): TokenRow => ({
  ...r,
  created_at_ms: Number(r.created_at_ms),
  activated_at_ms: r.activated_at_ms === null ? null : Number(r.activated_at_ms),
  expires_at_ms: r.expires_at_ms === null ? null : Number(r.expires_at_ms),
  ended_at_ms: r.ended_at_ms === null ? null : Number(r.ended_at_ms),
});

/**
 * The tokens of one waiting room (`QUEUE_ROOM`: the default room, or one on-sale's room; ADR 0012):
 * every query is scoped to its `room_id`, so each room's store sees only its own queue. Seqs are
 * shared by all rooms (one sequence), so a seq names one token whatever the room.
 */
@injectable()
export class QueueRepository {
  // Once per confirmed purchase: compiled once (see PreparedStatement).
  private readonly completeActive;
  private readonly selectBySeq;
  private readonly roomId: number;

  constructor(@inject(PLATFORM.Database) db: ModuleDatabase, @inject(QUEUE_ROOM) room: RoomScope) {
    this.roomId = room.roomId;
    this.completeActive = db.prepare<{ userId: number; endedAtMs: number }, { seq: number; token: string; expires_at_ms: number }>((k, p) =>
      k('queue_tokens')
        .where({ live_user_id: p('userId'), room_id: room.roomId, status: 'ACTIVE' })
        .update({ status: 'COMPLETED', end_reason: 'RESERVATION_CONFIRMED', live_user_id: null, ended_at_ms: p('endedAtMs') })
        .returning(['seq', 'token', 'expires_at_ms']),
    );
    this.selectBySeq = db.prepare<{ seq: number }, TokenRow>((k, p) => k('queue_tokens').where({ seq: p('seq') }));
  }

  /** Inserts a live token; null when the user already holds one (the unique `live_user_id` decides). */
  async insertLive(trx: Transaction, t: NewToken): Promise<number | null> {
    const rows: Array<{ seq: number }> = await trx('queue_tokens')
      .insert({
        ...(t.seq === undefined ? {} : { seq: t.seq }),
        token: t.token,
        user_id: t.userId,
        live_user_id: t.userId,
        room_id: this.roomId,
        status: t.status,
        created_at_ms: t.createdAtMs,
        activated_at_ms: t.status === 'ACTIVE' ? t.createdAtMs : null,
        expires_at_ms: t.expiresAtMs,
      })
      .onConflict(['live_user_id', 'room_id'])
      .ignore()
      .returning('seq');
    return rows[0]?.seq ?? null;
  }

  async findLiveByUser(q: Db, userId: number): Promise<TokenRow | null> {
    const row: TokenRow | undefined = await q('queue_tokens').where({ live_user_id: userId, room_id: this.roomId }).first();
    return row ? toRow(row) : null;
  }

  async findByToken(q: Db, token: string): Promise<TokenRow | null> {
    const row: TokenRow | undefined = await q('queue_tokens').where({ token, room_id: this.roomId }).first();
    return row ? toRow(row) : null;
  }

  async findBySeqs(q: Db, seqs: number[]): Promise<TokenRow[]> {
    // One token (a purchase completing its buyer's token) is the common case.
    if (seqs.length === 1) return (await this.selectBySeq.all(q, { seq: seqs[0] })).map(toRow);
    const out: TokenRow[] = [];
    for (let i = 0; i < seqs.length; i += CHUNK) {
      const rows: TokenRow[] = await q('queue_tokens').whereIn('seq', seqs.slice(i, i + CHUNK));
      out.push(...rows.map(toRow));
    }
    return out;
  }

  /** Ends the given tokens if they are still in `from`; returns the seqs actually changed. */
  async end(
    trx: Transaction,
    seqs: number[],
    from: 'WAITING' | 'ACTIVE' | 'LIVE',
    to: 'EXPIRED' | 'COMPLETED',
    reason: EndReason,
    nowMs: number,
  ): Promise<number[]> {
    const changed: number[] = [];
    for (let i = 0; i < seqs.length; i += CHUNK) {
      const stillInFrom = trx('queue_tokens').whereIn('seq', seqs.slice(i, i + CHUNK));
      if (from === 'LIVE') stillInFrom.whereIn('status', ['WAITING', 'ACTIVE']);
      else stillInFrom.where('status', from);
      const rows: Array<{ seq: number }> = await stillInFrom
        .update({ status: to, end_reason: reason, live_user_id: null, ended_at_ms: nowMs })
        .returning('seq');
      for (const r of rows) changed.push(r.seq);
    }
    return changed;
  }

  /**
   * Ends a live token, whichever it is: returns whether it was ACTIVE (its pass is then revoked)
   * and its pass expiry. Each update is guarded by the status it expects, so it ends once.
   */
  async endLive(trx: Transaction, seq: number, reason: EndReason, nowMs: number): Promise<{ ended: boolean; wasActive: boolean; expiresAtMs: number | null }> {
    const ended = { status: 'EXPIRED', end_reason: reason, live_user_id: null, ended_at_ms: nowMs };
    const active: Array<{ expires_at_ms: number | null }> = await trx('queue_tokens').where({ seq, status: 'ACTIVE' }).update(ended).returning('expires_at_ms');
    if (active.length > 0) return { ended: true, wasActive: true, expiresAtMs: active[0].expires_at_ms === null ? null : Number(active[0].expires_at_ms) };
    const waiting: Array<{ seq: number }> = await trx('queue_tokens').where({ seq, status: 'WAITING' }).update(ended).returning('seq');
    return { ended: waiting.length > 0, wasActive: false, expiresAtMs: null };
  }

  /** Admits exactly these tokens if they are still waiting; returns the seqs admitted. */
  async activateSeqs(trx: Transaction, seqs: number[], nowMs: number, expiresAtMs: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < seqs.length; i += CHUNK) {
      const rows: Array<{ seq: number }> = await trx('queue_tokens')
        .whereIn('seq', seqs.slice(i, i + CHUNK))
        .andWhere('status', 'WAITING')
        .update({ status: 'ACTIVE', activated_at_ms: nowMs, expires_at_ms: expiresAtMs })
        .returning('seq');
      for (const r of rows) out.push(r.seq);
    }
    return out;
  }

  /** Admissions since `sinceMs` with their seq (the Redis store's per-second window is keyed by seq). */
  async admissionsSince(q: Db, sinceMs: number): Promise<Array<{ seq: number; activatedAtMs: number }>> {
    const rows: Array<{ seq: number; activated_at_ms: number }> = await q('queue_tokens')
      .where('room_id', this.roomId)
      .andWhere('activated_at_ms', '>', sinceMs)
      .select('seq', 'activated_at_ms');
    return rows.map((r) => ({ seq: r.seq, activatedAtMs: Number(r.activated_at_ms) }));
  }

  async maxSeq(q: Db): Promise<number> {
    const row: { max: number | null } | undefined = await q('queue_tokens').max({ max: 'seq' }).first();
    return Number(row?.max ?? 0);
  }

  /**
   * On PostgreSQL, moves the seq's sequence past every stored seq: the Redis store inserts the
   * seqs it decides, so a later in-memory run must not draw one of them again. SQLite's
   * AUTOINCREMENT follows the largest stored rowid by itself.
   */
  async alignSeqSequence(q: Db): Promise<void> {
    const onSqlite = await q.raw('select sqlite_version()').then(
      () => true,
      () => false,
    );
    if (onSqlite) return;
    await q.raw("select setval(pg_get_serial_sequence('queue_tokens', 'seq'), greatest((select max(seq) from queue_tokens), 1))");
  }

  /** Admits every waiting token up to `lastSeq` (the head of the queue); returns their seqs. */
  async activateThrough(trx: Transaction, lastSeq: number, nowMs: number, expiresAtMs: number): Promise<number[]> {
    const rows: Array<{ seq: number }> = await trx('queue_tokens')
      .where({ room_id: this.roomId, status: 'WAITING' })
      .andWhere('seq', '<=', lastSeq)
      .update({ status: 'ACTIVE', activated_at_ms: nowMs, expires_at_ms: expiresAtMs })
      .returning('seq');
    return rows.map((r) => r.seq);
  }

  /** `reservation.success`: the user's active token is done; returns what its pass needs to be revoked. */
  async completeActiveOfUser(trx: Transaction, userId: number, nowMs: number): Promise<Array<{ seq: number; token: string; expiresAtMs: number }>> {
    const rows = await this.completeActive.all(trx, { userId, endedAtMs: nowMs });
    return rows.map((r) => ({ seq: r.seq, token: r.token, expiresAtMs: Number(r.expires_at_ms) }));
  }

  /** Tokens whose visit ended by leaving or buying while their pass has not expired yet: those passes are revoked. */
  async revokedPasses(q: Db, nowMs: number): Promise<Array<{ token: string; userId: number; reason: 'LEFT' | 'COMPLETED'; expiresAtMs: number }>> {
    const rows: Array<{ token: string; user_id: number; end_reason: EndReason; expires_at_ms: number }> = await q('queue_tokens')
      .where('room_id', this.roomId)
      .whereIn('end_reason', ['LEFT', 'RESERVATION_CONFIRMED'])
      .andWhere('expires_at_ms', '>', nowMs)
      .select('token', 'user_id', 'end_reason', 'expires_at_ms');
    return rows.map((r) => ({
      token: r.token,
      userId: r.user_id,
      reason: r.end_reason === 'LEFT' ? 'LEFT' : 'COMPLETED',
      expiresAtMs: Number(r.expires_at_ms),
    }));
  }

  /** Every live token, waiting ones in arrival order and active ones in expiry order. */
  async loadLive(q: Db): Promise<{ waiting: TokenRow[]; active: TokenRow[] }> {
    const waiting: TokenRow[] = await q('queue_tokens').where({ room_id: this.roomId, status: 'WAITING' }).orderBy('seq');
    const active: TokenRow[] = await q('queue_tokens')
      .where({ room_id: this.roomId, status: 'ACTIVE' })
      .orderBy([{ column: 'expires_at_ms' }, { column: 'seq' }]);
    return { waiting: waiting.map(toRow), active: active.map(toRow) };
  }

  async activationsSince(q: Db, sinceMs: number): Promise<number[]> {
    const rows: Array<{ activated_at_ms: number }> = await q('queue_tokens')
      .where('room_id', this.roomId)
      .andWhere('activated_at_ms', '>', sinceMs)
      .select('activated_at_ms');
    return rows.map((r) => Number(r.activated_at_ms));
  }

  /** The operator's flow overrides of this room: row 1 is the default room's (as before rooms), row 1 + id a room's. */
  private get settingsRow(): number {
    return this.roomId + 1;
  }

  async loadSettings(q: Db): Promise<FlowOverrides> {
    const row: { max_active: number | null; admit_per_second: number | null } | undefined = await q('queue_settings').where({ id: this.settingsRow }).first();
    return { maxActive: row?.max_active ?? null, admitPerSecond: row?.admit_per_second ?? null };
  }

  async saveSettings(trx: Transaction, settings: FlowOverrides, nowMs: number): Promise<void> {
    await trx('queue_settings')
      .insert({ id: this.settingsRow, max_active: settings.maxActive, admit_per_second: settings.admitPerSecond, updated_at_ms: nowMs })
      .onConflict('id')
      .merge();
  }

  /** Deletes at most `batch` ended tokens older than `beforeMs`; returns how many went (fewer than `batch`: none is left). */
  async purgeEnded(trx: Transaction, beforeMs: number, batch: number): Promise<number> {
    return trx('queue_tokens')
      .whereIn('seq', trx('queue_tokens').whereNotNull('ended_at_ms').andWhere('ended_at_ms', '<', beforeMs).select('seq').limit(batch))
      .delete();
  }
}
