import { randomBytes } from 'node:crypto';
import { inject, injectable } from 'inversify';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import type { Logger } from '../../../../platform/logging/logger';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { isOver, joinAdmitsAtOnce, passExpiryMs } from '../../domain/admission-rules';
import type { LiveTicket } from '../../domain/queue-state';
import type { TicketView } from '../../domain/views';
import { LiveQueue } from '../../infrastructure/live-queue';
import { QueueRepository } from '../../infrastructure/queue.repository';
import type { QueueSettings } from '../../queue.settings';

export type JoinOutcome = { view: TicketView; created: boolean };

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

/**
 * `POST /queue/token`: the caller's live token, or a new one at the back of the queue. The joins
 * that arrive together (a rush opening) are decided in arrival order under the lock and written in
 * one transaction: one commit and one turn of the lock for the lot, not for each.
 */
@injectable()
export class TakeTokenService {
  private readonly pendingJoins: PendingJoin[] = [];
  private joinBatchQueued = false;

  constructor(
    @inject(PLATFORM.Settings) private readonly settings: QueueSettings,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(LiveQueue) private readonly live: LiveQueue,
    @inject(QueueRepository) private readonly repo: QueueRepository,
  ) {}

  async join(userId: number): Promise<JoinOutcome> {
    const existing = this.live.state.liveOf(userId);
    if (existing && !isOver(existing, this.clock.now(), this.settings.waitingIdleSeconds))
      return { view: this.live.answer(existing, this.clock.now()), created: false };
    return new Promise<JoinOutcome>((resolve, reject) => {
      this.pendingJoins.push({ userId, resolve, reject });
      if (this.joinBatchQueued) return;
      this.joinBatchQueued = true;
      void this.live.exclusive(() => {
        this.joinBatchQueued = false;
        return this.joinBatch(this.pendingJoins.splice(0));
      });
    });
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
        plans.push({ userId, joiners, current, token: randomBytes(32).toString('base64url'), admitNow: false, expiresAtMs: null, seq: null });
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
