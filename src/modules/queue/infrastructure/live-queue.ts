import { inject, injectable } from 'inversify';
import type { QueuePasses } from '../../../platform/auth/queue-pass';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { AdmissionMeter } from '../domain/admission-meter';
import { admissionRateFloor, effectiveFlow, estimatedWaitSeconds, type Flow, type FlowOverrides } from '../domain/admission-rules';
import { type LiveTicket, type NewLiveTicket, QueueState } from '../domain/queue-state';
import { activeView, oldestWaitSeconds, type QueueOverview, type TicketView, waitingView } from '../domain/views';
import type { QueueSettings } from '../queue.settings';
import { QUEUE_ROOM, type RoomScope } from '../queue-room';
import { QueueRepository, type TokenRow } from './queue.repository';

/**
 * The waiting room's live state, in memory: the index of live tokens (`QueueState`), the
 * admission meter and the operator's flow overrides. The database is the record
 * ([ADR 0008](../../../../docs/adr/0008-queue-live-state-in-memory.md)); this is an index kept in
 * step with it, so the hot path (a status poll) runs no query.
 *
 * Every change that admits, or that must be decided against the index (join, leave, admission,
 * expiry, settings), runs one at a time under `exclusive`: decide from the index (with the rules
 * of domain/), write in one transaction, apply to the index after the commit. The only change made
 * outside the lock is `reservation.success` completing a token, which can only free a slot; the
 * index learns it from the database once that commit is final. The queue module therefore runs in
 * one process (it owns an embedded SQLite database anyway).
 */
@injectable()
export class LiveQueue {
  private index = new QueueState();
  readonly meter = new AdmissionMeter();
  private overrides: FlowOverrides = { maxActive: null, admitPerSecond: null };
  /** The flow in force (configured, or overridden): kept, not recomputed, since every poll reads it. */
  private current: Flow;
  private lockTail: Promise<unknown> = Promise.resolve();

  constructor(
    @inject(PLATFORM.Settings) private readonly settings: QueueSettings,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.QueuePasses) private readonly passes: QueuePasses,
    @inject(QueueRepository) private readonly repo: QueueRepository,
    @inject(QUEUE_ROOM) private readonly room: RoomScope,
  ) {
    this.current = effectiveFlow(settings, this.overrides);
  }

  /** The index; replaced whole by a rebuild, so read it through here each time. */
  get state(): QueueState {
    return this.index;
  }

  get flow(): Flow {
    return this.current;
  }

  get flowOverrides(): FlowOverrides {
    return this.overrides;
  }

  /** After the transaction that stored them has committed. */
  applyOverrides(overrides: FlowOverrides): void {
    this.overrides = overrides;
    this.current = effectiveFlow(this.settings, overrides);
  }

  /** Runs `work` after every earlier locked operation has finished. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lockTail.then(work);
    this.lockTail = run.catch(() => undefined);
    return run;
  }

  /** Rebuilds the index from the database. Call under the lock, outside any transaction. */
  async reload(): Promise<void> {
    const now = this.clock.now();
    this.applyOverrides(await this.repo.loadSettings(this.db.direct));
    const { waiting, active } = await this.repo.loadLive(this.db.direct);
    const state = new QueueState();
    // Nobody could poll while the process was down: idle time counts from now. Active tokens
    // arrived before the waiting ones, so adding them first lets the index's window grow forwards only.
    for (const row of active) state.add(liveTicketFromRow(row, now));
    for (const row of waiting) state.add(liveTicketFromRow(row, now));
    this.index = state;
    this.meter.restore(await this.repo.activationsSince(this.db.direct, now - 60_000), now, this.current.admitPerSecond);
  }

  /** Admissions per second to expect: the observed average, within the configured rate and the floor. */
  expectedRate(): number {
    const { maxActive, admitPerSecond } = this.current;
    return this.meter.expectedRate(admitPerSecond, admissionRateFloor(maxActive, admitPerSecond, this.settings.activeTtlSeconds));
  }

  /** The response for a live ticket; it also starts the interval the next poll is held to. */
  answer(t: LiveTicket, now: number): TicketView {
    this.index.touch(t.seq, now);
    const view = this.view(t, now);
    this.index.recordPoll(t.seq, now, view.pollAfterSeconds * 1000);
    return view;
  }

  overview(): QueueOverview {
    const now = this.clock.now();
    return {
      waiting: this.index.waitingCount,
      active: this.index.activeCount,
      maxActive: this.current.maxActive,
      admitPerSecond: this.current.admitPerSecond,
      admissionsPerMinute: this.meter.admissionsInLastMinute(now),
      oldestWaitSeconds: oldestWaitSeconds(this.index.oldestWaitingSince(), now),
      estimatedAdmissionsPerSecond: Math.round(this.expectedRate() * 100) / 100,
      lastInLineWaitSeconds: this.index.waitingCount === 0 ? 0 : estimatedWaitSeconds(this.index.waitingCount, this.expectedRate()),
      activeTtlSeconds: this.settings.activeTtlSeconds,
      waitingIdleSeconds: this.settings.waitingIdleSeconds,
      defaults: { maxActive: this.settings.maxActive, admitPerSecond: this.settings.admitPerSecond },
    };
  }

  private view(t: LiveTicket, now: number): TicketView {
    if (t.status === 'ACTIVE') {
      const expiresAtMs = t.expiresAtMs ?? now;
      // Minted on first read and kept with the admission: a poll signs nothing.
      const pass = this.index.passOf(t.seq, () => this.passes.issue(t.userId, t.token, expiresAtMs, this.room.concertId));
      return activeView(t.token, pass, expiresAtMs, now);
    }
    return waitingView(t.token, this.index.positionOf(t.seq), this.expectedRate(), this.settings.waitingIdleSeconds);
  }
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
