import { randomBytes } from 'node:crypto';
import { inject, injectable } from 'inversify';
import { QueuePasses } from '../../platform/auth/queue-pass';
import type { Outbox } from '../../platform/bus/outbox';
import type { Clock } from '../../platform/clock/clock';
import type { AppConfig } from '../../platform/config/config';
import type { ModuleDatabase, Transaction } from '../../platform/db/module-database';
import { AppError, errors } from '../../platform/http/app-error';
import type { Logger } from '../../platform/logging/logger';
import type { Metrics } from '../../platform/metrics/metrics';
import { PLATFORM } from '../../platform/platform.di-tokens';
import { AdmissionMeter } from './domain/admission-meter';
import { QueueState, type LiveTicket, type NewLiveTicket } from './domain/queue-state';
import { QUEUE } from './queue.di-tokens';
import type { QueueRepository, StoredSettings, TokenRow } from './queue.repository';
import type { QueueOverview, TicketView, UpdateQueueSettingsRequest } from './queue.schemas';

/** Longest advised poll interval (Cloudflare's waiting room refreshes every 20 s). */
const MAX_POLL_SECONDS = 20;
/** A poll is "much faster than advised" when it comes before this share of the advised interval. */
const POLL_TOLERANCE = 0.5;
const ENDED_TOKEN_RETENTION_MS = 24 * 3600 * 1000;

const tokenNotFound = () => new AppError(404, 'QUEUE_TOKEN_NOT_FOUND', 'Queue token not found', 'No queue token of yours matches X-Queue-Token.');

/**
 * The waiting room. The database is the record (tokens with their arrival sequence, status and
 * pass expiry; operator settings); `QueueState` is an index of the live tokens kept in step with
 * it, so the hot path (a status poll) runs no query. Every change that admits, or that must be
 * decided against the index (join, leave, admission, expiry, settings), runs one at a time under
 * an in-process lock: decide from the index, write in one transaction, update the index after
 * commit. The only change made outside the lock is `reservation.success` completing a token,
 * which can only free a slot; the index learns it from the database once that commit is final.
 * The queue module therefore runs in one process (it owns an embedded SQLite database anyway).
 */
@injectable()
export class QueueEngine {
  private state = new QueueState();
  private readonly meter = new AdmissionMeter();
  private overrides: StoredSettings = { maxActive: null, admitPerSecond: null };
  private lockTail: Promise<unknown> = Promise.resolve();
  private readonly pendingJoins: PendingJoin[] = [];
  private joinBatchQueued = false;
  private kickPending = false;
  private started = false;

  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Config) private readonly config: AppConfig,
    @inject(PLATFORM.QueuePasses) private readonly passes: QueuePasses,
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(PLATFORM.Metrics) private readonly metrics: Metrics,
    @inject(QUEUE.Repository) private readonly repo: QueueRepository,
  ) {}

  /** Start-up: rebuild the index from the database, re-apply the revoked passes, register the gauges. */
  async start(): Promise<void> {
    await this.exclusive(() => this.reload());
    // This process's pass checker forgot them when it stopped; the database still knows (other
    // processes keep their own copy from the bus).
    for (const r of await this.repo.revokedPasses(this.clock.now())) this.passes.revoke(QueuePasses.passIdOf(r.token), r.reason, r.expiresAtMs);
    if (this.started) return;
    this.started = true;
    this.metrics.gauge('queue_waiting_tokens', 'Queue tokens waiting for admission', [], (g) => g.set(this.state.waitingCount));
    this.metrics.gauge('queue_active_tokens', 'Queue tokens admitted (holding a pass)', [], (g) => g.set(this.state.activeCount));
  }

  get maxActive(): number {
    return this.overrides.maxActive ?? this.config.queue.maxActive;
  }

  get admitPerSecond(): number {
    return this.overrides.admitPerSecond ?? this.config.queue.admitPerSecond;
  }

  // ---- user calls -------------------------------------------------------------------------

  /**
   * `POST /queue/token`: the caller's live token, or a new one at the back of the queue. The
   * joins that arrive together (a rush opening) are decided in arrival order under the lock and
   * written in one transaction: one commit and one turn of the lock for the lot, not for each.
   */
  async join(userId: number): Promise<JoinOutcome> {
    const existing = this.state.liveOf(userId);
    if (existing && !this.isOver(existing, this.clock.now())) return { view: this.answer(existing, this.clock.now()), created: false };
    return new Promise<JoinOutcome>((resolve, reject) => {
      this.pendingJoins.push({ userId, resolve, reject });
      if (this.joinBatchQueued) return;
      this.joinBatchQueued = true;
      void this.exclusive(() => {
        this.joinBatchQueued = false;
        return this.joinBatch(this.pendingJoins.splice(0));
      });
    });
  }

  private async joinBatch(batch: PendingJoin[]): Promise<void> {
    const now = this.clock.now();
    const plans: JoinPlan[] = [];
    try {
      // FIFO: only an empty queue lets a newcomer straight in, and only within both limits; the
      // batch's own earlier joiners count as if they were already in.
      let waiting = this.state.waitingCount;
      let active = this.state.activeCount;
      let allowance = this.meter.allowance(now, this.admitPerSecond);
      for (const [userId, joiners] of groupByUser(batch)) {
        const current = this.state.liveOf(userId);
        if (current && !this.isOver(current, now)) {
          const view = this.answer(current, now);
          for (const j of joiners) j.resolve({ view, created: false });
          continue;
        }
        const admitNow = waiting === 0 && active < this.maxActive && allowance > 0;
        if (admitNow) {
          active += 1;
          allowance -= 1;
        } else waiting += 1;
        const token = randomBytes(32).toString('base64url');
        plans.push({ userId, joiners, current, token, admitNow, expiresAtMs: admitNow ? this.passExpiry(now) : null, seq: null });
      }
      if (plans.length === 0) return;
      await this.db.transaction(async (trx) => {
        for (const p of plans) {
          if (p.current) await this.repo.end(trx, [p.current.seq], 'LIVE', 'EXPIRED', p.current.status === 'ACTIVE' ? 'PASS_EXPIRED' : 'IDLE', now);
          p.seq = await this.repo.insertLive(trx, { token: p.token, userId: p.userId, status: p.admitNow ? 'ACTIVE' : 'WAITING', createdAtMs: now, expiresAtMs: p.expiresAtMs });
        }
      });
      for (const p of plans) if (p.current) this.state.end(p.current.seq);
      if (plans.some((p) => p.seq === null)) {
        // The database holds a live token the index does not know: trust the database.
        this.logger.warn({ users: plans.filter((p) => p.seq === null).map((p) => p.userId) }, 'queue index out of step with the database; reloading');
        await this.reload();
      } else {
        for (const p of plans) this.state.add({ seq: p.seq!, token: p.token, userId: p.userId, status: p.admitNow ? 'ACTIVE' : 'WAITING', createdAtMs: now, seenAtMs: now, expiresAtMs: p.expiresAtMs });
        const admitted = plans.filter((p) => p.admitNow).length;
        if (admitted > 0) this.meter.record(now, admitted, this.admitPerSecond);
      }
      for (const p of plans) {
        const ticket = this.state.liveOf(p.userId);
        if (!ticket) throw new Error(`Live queue token of user ${p.userId} not found after joining`);
        const view = this.answer(ticket, now);
        for (const j of p.joiners) j.resolve({ view, created: p.seq !== null });
      }
    } catch (err) {
      // Nothing of a failed batch was committed (or the index was rebuilt): every joiner not yet answered hears of it.
      for (const j of batch) j.reject(err);
    }
  }

  /** `GET /queue/status`: answered from the index; only ended tokens are looked up. */
  async status(userId: number, token: string): Promise<TicketView> {
    let ticket = this.state.byTokenValue(token);
    if (!ticket) {
      const row = await this.repo.findByToken(token);
      if (!row || row.user_id !== userId) throw tokenNotFound();
      if (row.status === 'EXPIRED' || row.status === 'COMPLETED') return endedView(token, row.status);
      // Live in the database but not (yet) in the index: the change that made it is finishing.
      await this.exclusive(async () => {
        if (!this.state.byTokenValue(token)) await this.reload();
      });
      ticket = this.state.byTokenValue(token);
      if (!ticket) return endedView(token, 'EXPIRED');
    }
    if (ticket.userId !== userId) throw tokenNotFound();
    const now = this.clock.now();
    if (this.isOver(ticket, now)) {
      this.kick();
      return endedView(token, 'EXPIRED');
    }
    if (this.config.queue.pollThrottle && ticket.lastPollMs !== null && now - ticket.lastPollMs < ticket.advisedPollMs * POLL_TOLERANCE) {
      this.state.touch(ticket.seq, now);
      throw errors.tooManyRequests(
        Math.max(1, Math.ceil((ticket.lastPollMs + ticket.advisedPollMs - now) / 1000)),
        `Polling faster than advised: poll every ${ticket.advisedPollMs / 1000} s (pollAfterSeconds).`,
      );
    }
    return this.answer(ticket, now);
  }

  /** `DELETE /queue/token`: leave the queue (or give back an active slot). Repeating it is harmless. */
  async leave(userId: number, token: string): Promise<void> {
    const known = this.state.byTokenValue(token);
    if (known && known.userId !== userId) throw tokenNotFound();
    if (!known) {
      const row = await this.repo.findByToken(token);
      if (!row || row.user_id !== userId) throw tokenNotFound();
      if (row.status === 'EXPIRED' || row.status === 'COMPLETED') return;
    }
    await this.exclusive(async () => {
      const now = this.clock.now();
      const row = known ?? (await this.repo.findByToken(token));
      if (!row) return;
      const ticket = this.state.byTokenValue(token);
      const stored = ticket ? null : await this.repo.findByToken(token);
      const passExpiresAtMs = ticket ? (ticket.status === 'ACTIVE' ? ticket.expiresAtMs : null) : stored?.status === 'ACTIVE' ? stored.expires_at_ms : null;
      await this.db.transaction(async (trx) => {
        const ended = await this.repo.end(trx, [row.seq], 'LIVE', 'EXPIRED', 'LEFT', now);
        // A slot given back must not keep shopping: its pass stops working everywhere.
        if (ended.length > 0 && passExpiresAtMs !== null) await this.revokePass(trx, token, userId, 'LEFT', passExpiresAtMs);
      });
      if (ticket) this.state.end(ticket.seq);
    });
    this.kick();
  }

  // ---- events -----------------------------------------------------------------------------

  /**
   * `reservation.success`: the buyer's active token is COMPLETED, in the subscriber's
   * transaction. The index is told once that transaction is final, from what the database says
   * (a rolled-back handler changes nothing).
   */
  async completeActiveOf(userId: number, trx: Transaction): Promise<void> {
    const completed = await this.repo.completeActiveOfUser(trx, userId, this.clock.now());
    if (completed.length === 0) return;
    // The slot goes to the next in line, so the pass stops shopping; it may still pay for the other seats held on this visit.
    for (const c of completed) await this.revokePass(trx, c.token, userId, 'COMPLETED', c.expiresAtMs);
    const seqs = completed.map((c) => c.seq);
    this.db.afterTransaction(() => void this.reconcile(seqs));
  }

  private async revokePass(trx: Transaction, token: string, userId: number, reason: 'LEFT' | 'COMPLETED', expiresAtMs: number): Promise<void> {
    const passId = QueuePasses.passIdOf(token);
    await this.outbox.publish(trx, 'queue.pass.revoked', passId, { passId, userId, reason, expiresAt: new Date(expiresAtMs).toISOString() });
  }

  // ---- jobs -------------------------------------------------------------------------------

  /** The admission cycle (every 200 ms, and right after a slot frees): expire, then admit. */
  async tick(): Promise<void> {
    await this.exclusive(async () => {
      await this.expireDue();
      await this.admit();
    });
  }

  async purgeEnded(): Promise<number> {
    return this.repo.purgeEnded(this.clock.now() - ENDED_TOKEN_RETENTION_MS);
  }

  // ---- operators --------------------------------------------------------------------------

  overview(): QueueOverview {
    const now = this.clock.now();
    const oldest = this.state.oldestWaitingSince();
    return {
      waiting: this.state.waitingCount,
      active: this.state.activeCount,
      maxActive: this.maxActive,
      admitPerSecond: this.admitPerSecond,
      admissionsPerMinute: this.meter.admissionsInLastMinute(now),
      oldestWaitSeconds: oldest === null ? 0 : Math.max(0, Math.floor((now - oldest) / 1000)),
      estimatedAdmissionsPerSecond: Math.round(this.expectedRate() * 100) / 100,
      activeTtlSeconds: this.config.queue.activeTtlSeconds,
      waitingIdleSeconds: this.config.queue.waitingIdleSeconds,
      defaults: { maxActive: this.config.queue.maxActive, admitPerSecond: this.config.queue.admitPerSecond },
    };
  }

  /** Changes the flow during a sale; persisted, so a restart keeps it. `null` restores the default. */
  async updateSettings(patch: UpdateQueueSettingsRequest): Promise<QueueOverview> {
    await this.exclusive(async () => {
      const next: StoredSettings = {
        maxActive: patch.maxActive === undefined ? this.overrides.maxActive : patch.maxActive,
        admitPerSecond: patch.admitPerSecond === undefined ? this.overrides.admitPerSecond : patch.admitPerSecond,
      };
      await this.db.transaction((trx) => this.repo.saveSettings(trx, next, this.clock.now()));
      this.overrides = next;
    });
    this.kick();
    return this.overview();
  }

  // ---- internals --------------------------------------------------------------------------

  private async expireDue(): Promise<void> {
    const now = this.clock.now();
    const expired = this.state.expiredActive(now);
    const idle = this.state.idleWaiting(now - this.config.queue.waitingIdleSeconds * 1000);
    if (expired.length === 0 && idle.length === 0) return;
    await this.db.transaction(async (trx) => {
      await this.repo.end(trx, expired, 'ACTIVE', 'EXPIRED', 'PASS_EXPIRED', now);
      await this.repo.end(trx, idle, 'WAITING', 'EXPIRED', 'IDLE', now);
    });
    // Either ended now or already ended by a confirmed reservation: gone from the live set.
    for (const seq of expired) this.state.end(seq);
    for (const seq of idle) this.state.end(seq);
  }

  private async admit(): Promise<void> {
    const now = this.clock.now();
    const perSecond = this.admitPerSecond;
    const n = Math.min(this.maxActive - this.state.activeCount, this.meter.allowance(now, perSecond), this.state.waitingCount);
    if (n <= 0) {
      this.meter.observe(now, 0, this.state.waitingCount > 0, perSecond);
      return;
    }
    const batch = this.state.headWaiting(n);
    const expiresAtMs = this.passExpiry(now);
    const admitted = await this.db.transaction((trx) => this.repo.activateThrough(trx, batch[batch.length - 1], now, expiresAtMs));
    if (admitted.length !== batch.length) {
      this.logger.warn({ expected: batch.length, admitted: admitted.length }, 'queue index out of step with the database; reloading');
      this.meter.record(now, admitted.length, perSecond);
      await this.reload();
      return;
    }
    for (const seq of batch) this.state.activate(seq, expiresAtMs);
    this.meter.record(now, batch.length, perSecond);
    this.meter.observe(now, batch.length, this.state.waitingCount > 0, perSecond);
  }

  /** Applies what the database says about these tokens to the index (only ever ends them). */
  private async reconcile(seqs: number[]): Promise<void> {
    try {
      const rows = await this.repo.findBySeqs(seqs);
      let freed = false;
      for (const row of rows) {
        if (row.status === 'WAITING' || row.status === 'ACTIVE') continue;
        const status = this.state.statusOf(row.seq);
        if (status) {
          freed ||= status === 'ACTIVE';
          this.state.end(row.seq);
        }
      }
      if (freed) this.kick();
    } catch (err) {
      // The pass expiry still frees the slot; the next expiry round drops the ticket.
      this.logger.warn({ err }, 'queue index reconcile failed');
    }
  }

  /** Rebuilds the index from the database. Call under the lock. */
  private async reload(): Promise<void> {
    const now = this.clock.now();
    this.overrides = await this.repo.loadSettings();
    const { waiting, active } = await this.repo.loadLive();
    const state = new QueueState();
    // Nobody could poll while the process was down: idle time counts from now. Active tokens
    // arrived before the waiting ones, so adding them first lets the index's window grow forwards only.
    for (const row of active) state.add(liveTicketFromRow(row, now));
    for (const row of waiting) state.add(liveTicketFromRow(row, now));
    this.state = state;
    this.meter.restore(await this.repo.activationsSince(now - 60_000), now, this.admitPerSecond);
  }

  /** Runs `work` after every earlier locked operation has finished. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lockTail.then(work);
    this.lockTail = run.catch(() => undefined);
    return run;
  }

  /** Runs an admission cycle soon, so a freed slot goes to the next user without waiting for the timer. */
  private kick(): void {
    if (this.kickPending) return;
    this.kickPending = true;
    setImmediate(() => {
      this.kickPending = false;
      this.tick().catch((err) => this.logger.debug({ err }, 'queue admission kick failed'));
    });
  }

  /** Past its idle limit (waiting) or its pass expiry (active): as good as ended. */
  private isOver(t: LiveTicket, now: number): boolean {
    if (t.status === 'WAITING') return now - t.lastSeenMs >= this.config.queue.waitingIdleSeconds * 1000;
    return now >= (t.expiresAtMs ?? 0);
  }

  /** Pass expiry on a whole second, so the pass (JWT `exp` has second precision) and the slot end together. */
  private passExpiry(now: number): number {
    return Math.floor((now + this.config.queue.activeTtlSeconds * 1000) / 1000) * 1000;
  }

  /** Slots free at least as passes expire, so the admission rate never falls below this in the long run. */
  private expectedRate(): number {
    const floor = Math.min(this.admitPerSecond, this.maxActive / this.config.queue.activeTtlSeconds);
    return this.meter.expectedRate(this.admitPerSecond, floor);
  }

  /** The response for a live ticket; it also starts the interval the next poll is held to. */
  private answer(t: LiveTicket, now: number): TicketView {
    this.state.touch(t.seq, now);
    const view = this.view(t, now);
    this.state.recordPoll(t.seq, now, view.pollAfterSeconds * 1000);
    return view;
  }

  private view(t: LiveTicket, now: number): TicketView {
    if (t.status === 'ACTIVE') {
      const expiresAtMs = t.expiresAtMs ?? now;
      const pass = this.state.passOf(t.seq, () => this.passes.issue(t.userId, t.token, expiresAtMs));
      const remaining = Math.ceil((expiresAtMs - now) / 1000);
      return {
        token: t.token,
        status: 'ACTIVE',
        position: 0,
        estimatedWaitSeconds: 0,
        pollAfterSeconds: clamp(remaining, 1, MAX_POLL_SECONDS),
        pass: { token: pass, expiresAt: new Date(expiresAtMs).toISOString() },
      };
    }
    const position = this.state.positionOf(t.seq);
    const estimatedWaitSeconds = Math.ceil(position / this.expectedRate());
    // Grows with the wait, and stays well inside the idle limit so a well-behaved client is never dropped.
    const maxPoll = clamp(Math.floor(this.config.queue.waitingIdleSeconds / 3), 1, MAX_POLL_SECONDS);
    return { token: t.token, status: 'WAITING', position, estimatedWaitSeconds, pollAfterSeconds: clamp(Math.ceil(estimatedWaitSeconds / 10), 1, maxPoll) };
  }
}

type JoinOutcome = { view: TicketView; created: boolean };

interface PendingJoin {
  userId: number;
  resolve: (outcome: JoinOutcome) => void;
  reject: (err: unknown) => void;
}

interface JoinPlan {
  userId: number;
  joiners: PendingJoin[];
  current: LiveTicket | undefined;
  token: string;
  admitNow: boolean;
  expiresAtMs: number | null;
  seq: number | null;
}

/** Joiners by user, in order of each user's first join (a user who clicked twice gets one token). */
function groupByUser(batch: PendingJoin[]): Map<number, PendingJoin[]> {
  const byUser = new Map<number, PendingJoin[]>();
  for (const j of batch) {
    const list = byUser.get(j.userId);
    if (list) list.push(j);
    else byUser.set(j.userId, [j]);
  }
  return byUser;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function endedView(token: string, status: 'EXPIRED' | 'COMPLETED'): TicketView {
  return { token, status, position: 0, estimatedWaitSeconds: 0, pollAfterSeconds: 0 };
}

function liveTicketFromRow(row: TokenRow, seenAtMs: number): NewLiveTicket {
  return {
    seq: row.seq,
    token: row.token,
    userId: row.user_id,
    status: row.status === 'ACTIVE' ? 'ACTIVE' : 'WAITING',
    createdAtMs: row.created_at_ms,
    seenAtMs,
    expiresAtMs: row.expires_at_ms,
  };
}
