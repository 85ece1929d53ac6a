import { randomBytes } from 'node:crypto';
import { inject, injectable } from 'inversify';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../../platform/db/module-database';
import type { Logger } from '../../../../platform/logging/logger';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { isOver, joinAdmitsAtOnce, nextOverrides, passExpiryMs, pollRetryAfterSeconds } from '../../domain/admission-rules';
import type { LiveTicket } from '../../domain/queue-state';
import { endedView, type QueueOverview, type TicketView } from '../../domain/views';
import { QueueErrors } from '../../queue.errors';
import type { QueueSettings } from '../../queue.settings';
import type { FlowPatch, JoinOutcome, QueueStore } from '../../queue-store';
import { AdmissionCycle } from '../admission-cycle';
import { LiveQueue } from '../live-queue';
import { PassRevocations } from '../pass-revocations';
import { QueueRepository } from '../queue.repository';

interface PendingJoin {
  userId: number;
  token?: string;
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

/**
 * The in-memory store (ADR 0008): the index of `LiveQueue`, every change decided under its
 * in-process lock, written in one transaction, applied to the index after the commit. A poll runs
 * no query. The module then runs in one process.
 */
@injectable()
export class MemoryQueueStore implements QueueStore {
  private readonly pendingJoins: PendingJoin[] = [];
  private joinBatchQueued = false;

  constructor(
    @inject(PLATFORM.Settings) private readonly settings: QueueSettings,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(LiveQueue) private readonly live: LiveQueue,
    @inject(AdmissionCycle) private readonly cycle: AdmissionCycle,
    @inject(PassRevocations) private readonly revocations: PassRevocations,
    @inject(QueueRepository) private readonly repo: QueueRepository,
  ) {}

  async restore(): Promise<void> {
    // A Redis-store run before this one inserted the seqs it decided.
    await this.repo.alignSeqSequence(this.db.direct);
    await this.live.exclusive(() => this.live.reload());
  }

  runCycle(): Promise<void> {
    return this.cycle.run();
  }

  async counts(): Promise<{ waiting: number; active: number }> {
    return { waiting: this.live.state.waitingCount, active: this.live.state.activeCount };
  }

  async overview(): Promise<QueueOverview> {
    return this.live.overview();
  }

  async close(): Promise<void> {}

  /** The index is this process's heap: it goes with the store. */
  async discard(): Promise<void> {}

  /**
   * The joins that arrive together (a rush opening) are decided in arrival order under the lock
   * and written in one transaction: one commit and one turn of the lock for the lot, not for each.
   */
  async join(userId: number, token?: string): Promise<JoinOutcome> {
    const existing = this.live.state.liveOf(userId);
    if (existing && !isOver(existing, this.clock.now(), this.settings.waitingIdleSeconds))
      return { view: this.live.answer(existing, this.clock.now()), created: false };
    return new Promise<JoinOutcome>((resolve, reject) => {
      this.pendingJoins.push({ userId, token, resolve, reject });
      if (this.joinBatchQueued) return;
      this.joinBatchQueued = true;
      void this.live.exclusive(() => {
        this.joinBatchQueued = false;
        return this.joinBatch(this.pendingJoins.splice(0));
      });
    });
  }

  /** The hot path of a sale: answered from the index, with no query; only a token the index does not know is looked up. */
  async status(userId: number, token: string): Promise<TicketView> {
    let ticket = this.live.state.byTokenValue(token);
    if (!ticket) {
      const row = await this.repo.findByToken(this.db.direct, token);
      if (!row || row.user_id !== userId) throw QueueErrors.tokenNotFound();
      if (row.status === 'EXPIRED' || row.status === 'COMPLETED') return endedView(token, row.status);
      // Live in the database but not (yet) in the index: the change that made it is finishing.
      await this.live.exclusive(async () => {
        if (!this.live.state.byTokenValue(token)) await this.live.reload();
      });
      ticket = this.live.state.byTokenValue(token);
      if (!ticket) return endedView(token, 'EXPIRED');
    }
    if (ticket.userId !== userId) throw QueueErrors.tokenNotFound();
    const now = this.clock.now();
    if (isOver(ticket, now, this.settings.waitingIdleSeconds)) {
      this.cycle.kick();
      return endedView(token, 'EXPIRED');
    }
    if (this.settings.pollThrottle) {
      const retryAfterSeconds = pollRetryAfterSeconds(ticket.lastPollMs, ticket.advisedPollMs, now);
      if (retryAfterSeconds !== null) {
        // A refused poll still shows the holder is there.
        this.live.state.touch(ticket.seq, now);
        throw QueueErrors.pollingTooFast(retryAfterSeconds, ticket.advisedPollMs);
      }
    }
    return this.live.answer(ticket, now);
  }

  async leave(userId: number, token: string): Promise<void> {
    const known = this.live.state.byTokenValue(token);
    if (known && known.userId !== userId) throw QueueErrors.tokenNotFound();
    if (!known) {
      const row = await this.repo.findByToken(this.db.direct, token);
      if (!row || row.user_id !== userId) throw QueueErrors.tokenNotFound();
      if (row.status === 'EXPIRED' || row.status === 'COMPLETED') return;
    }
    await this.live.exclusive(async () => {
      const now = this.clock.now();
      const row = known ?? (await this.repo.findByToken(this.db.direct, token));
      if (!row) return;
      const ticket = this.live.state.byTokenValue(token);
      const stored = ticket ? null : await this.repo.findByToken(this.db.direct, token);
      const passExpiresAtMs = ticket ? (ticket.status === 'ACTIVE' ? ticket.expiresAtMs : null) : stored?.status === 'ACTIVE' ? stored.expires_at_ms : null;
      await this.db.transaction(async (trx) => {
        const ended = await this.repo.end(trx, [row.seq], 'LIVE', 'EXPIRED', 'LEFT', now);
        // A slot given back must not keep shopping: its pass stops working everywhere.
        if (ended.length > 0 && passExpiresAtMs !== null) await this.revocations.publish(trx, token, userId, 'LEFT', passExpiresAtMs);
      });
      if (ticket) this.live.state.end(ticket.seq);
    });
    this.cycle.kick();
  }

  /** The index is told once the bus's transaction is final, from what the database says (a rolled-back handler changes nothing). */
  async completeVisit(userId: number, trx: Transaction): Promise<void> {
    const seqs = await this.revocations.completeVisit(trx, userId, this.clock.now());
    // Also after a rollback (or an attempt PostgreSQL runs again): the index follows what the database says, so it changes only if this committed.
    if (seqs.length > 0) this.db.afterTransaction(trx, () => void this.reconcile(seqs));
  }

  async updateFlow(patch: FlowPatch): Promise<QueueOverview> {
    await this.live.exclusive(async () => {
      const next = nextOverrides(this.live.flowOverrides, patch);
      await this.db.transaction((trx) => this.repo.saveSettings(trx, next, this.clock.now()));
      this.live.applyOverrides(next);
    });
    this.cycle.kick();
    return this.live.overview();
  }

  /** Applies what the database says about these tokens to the index (only ever ends them). */
  private async reconcile(seqs: number[]): Promise<void> {
    try {
      const rows = await this.repo.findBySeqs(this.db.direct, seqs);
      let freed = false;
      for (const row of rows) {
        if (row.status === 'WAITING' || row.status === 'ACTIVE') continue;
        const status = this.live.state.statusOf(row.seq);
        if (status) {
          freed ||= status === 'ACTIVE';
          this.live.state.end(row.seq);
        }
      }
      if (freed) this.cycle.kick();
    } catch (err) {
      // The pass expiry still frees the slot; the next expiry round drops the ticket.
      this.logger.warn({ err }, 'queue index reconcile failed');
    }
  }

  private async joinBatch(batch: PendingJoin[]): Promise<void> {
    const now = this.clock.now();
    const { live } = this;
    const plans: JoinPlan[] = [];
    try {
      for (const [userId, joiners] of groupByUser(batch)) {
        const current = live.state.liveOf(userId);
        if (current && !isOver(current, now, this.settings.waitingIdleSeconds)) {
          const view = live.answer(current, now);
          for (const j of joiners) j.resolve({ view, created: false });
          continue;
        }
        plans.push({
          userId,
          joiners,
          current,
          token: joiners[0].token ?? randomBytes(32).toString('base64url'),
          admitNow: false,
          expiresAtMs: null,
          seq: null,
        });
      }
      if (plans.length === 0) return;
      // The batch's own earlier joiners count as if they were already in.
      const { maxActive, admitPerSecond } = live.flow;
      const admitNow = joinAdmitsAtOnce(plans.length, live.state.waitingCount, live.state.activeCount, maxActive, live.meter.allowance(now, admitPerSecond));
      for (let i = 0; i < admitNow; i++) {
        plans[i].admitNow = true;
        plans[i].expiresAtMs = passExpiryMs(now, this.settings.activeTtlSeconds);
      }
      // PostgreSQL may run this work again after a serialization failure, so it changes nothing
      // outside the transaction: the seqs of the attempt that committed are given to the plans after it.
      const seqs = await this.db.transaction(async (trx) => {
        const inserted: Array<number | null> = [];
        for (const p of plans) {
          if (p.current) await this.repo.end(trx, [p.current.seq], 'LIVE', 'EXPIRED', p.current.status === 'ACTIVE' ? 'PASS_EXPIRED' : 'IDLE', now);
          inserted.push(
            await this.repo.insertLive(trx, {
              token: p.token,
              userId: p.userId,
              status: p.admitNow ? 'ACTIVE' : 'WAITING',
              createdAtMs: now,
              expiresAtMs: p.expiresAtMs,
            }),
          );
        }
        return inserted;
      });
      plans.forEach((p, i) => {
        p.seq = seqs[i];
      });
      for (const p of plans) if (p.current) live.state.end(p.current.seq);
      if (plans.some((p) => p.seq === null)) {
        // The database holds a live token the index does not know: trust the database.
        this.logger.warn({ users: plans.filter((p) => p.seq === null).map((p) => p.userId) }, 'queue index out of step with the database; reloading');
        await live.reload();
      } else {
        for (const p of plans)
          live.state.add({
            seq: p.seq!,
            token: p.token,
            userId: p.userId,
            status: p.admitNow ? 'ACTIVE' : 'WAITING',
            createdAtMs: now,
            seenAtMs: now,
            expiresAtMs: p.expiresAtMs,
          });
        if (admitNow > 0) live.meter.record(now, admitNow, admitPerSecond);
      }
      for (const p of plans) {
        const ticket = live.state.liveOf(p.userId);
        if (!ticket) throw new Error(`Live queue token of user ${p.userId} not found after joining`);
        const view = live.answer(ticket, now);
        for (const j of p.joiners) j.resolve({ view, created: p.seq !== null });
      }
    } catch (err) {
      // Nothing of a failed batch was committed (or the index was rebuilt): every joiner not yet answered hears of it.
      for (const j of batch) j.reject(err);
    }
  }
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
