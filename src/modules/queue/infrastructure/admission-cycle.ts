import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { admissionsDue, idleCutoffMs, passExpiryMs } from '../domain/admission-rules';
import type { QueueSettings } from '../queue.settings';
import { LiveQueue } from './live-queue';
import { QueueRepository } from './queue.repository';
import { RunSoon } from './run-soon';

/**
 * The admission cycle: expire passes and idle waiters, then admit the head of the queue within
 * both limits. Run by the `admit` job every 200 ms, and kicked right after a slot frees so the
 * next in line does not wait for the timer.
 */
@injectable()
export class AdmissionCycle {
  private readonly soon = new RunSoon(
    () => this.run(),
    (err) => this.logger.debug({ err }, 'queue admission kick failed'),
  );

  constructor(
    @inject(PLATFORM.Settings) private readonly settings: QueueSettings,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(LiveQueue) private readonly live: LiveQueue,
    @inject(QueueRepository) private readonly repo: QueueRepository,
  ) {}

  async run(): Promise<void> {
    await this.live.exclusive(async () => {
      await this.expireDue();
      await this.admit();
    });
  }

  /** Runs a cycle soon, so a freed slot goes to the next user without waiting for the timer. */
  kick(): void {
    this.soon.request();
  }

  private async expireDue(): Promise<void> {
    const now = this.clock.now();
    const expired = this.live.state.expiredActive(now);
    const idle = this.live.state.idleWaiting(idleCutoffMs(now, this.settings.waitingIdleSeconds));
    if (expired.length === 0 && idle.length === 0) return;
    await this.db.transaction(async (trx) => {
      await this.repo.end(trx, expired, 'ACTIVE', 'EXPIRED', 'PASS_EXPIRED', now);
      await this.repo.end(trx, idle, 'WAITING', 'EXPIRED', 'IDLE', now);
    });
    // Either ended now or already ended by a confirmed reservation: gone from the live set.
    for (const seq of expired) this.live.state.end(seq);
    for (const seq of idle) this.live.state.end(seq);
  }

  private async admit(): Promise<void> {
    const now = this.clock.now();
    const { live } = this;
    const { maxActive, admitPerSecond } = live.flow;
    const n = admissionsDue(maxActive, live.state.activeCount, live.meter.allowance(now, admitPerSecond), live.state.waitingCount);
    if (n <= 0) {
      live.meter.observe(now, 0, live.state.waitingCount > 0, admitPerSecond);
      return;
    }
    const batch = live.state.headWaiting(n);
    const expiresAtMs = passExpiryMs(now, this.settings.activeTtlSeconds);
    const admitted = await this.db.transaction((trx) => this.repo.activateThrough(trx, batch[batch.length - 1], now, expiresAtMs));
    if (admitted.length !== batch.length) {
      this.logger.warn({ expected: batch.length, admitted: admitted.length }, 'queue index out of step with the database; reloading');
      live.meter.record(now, admitted.length, admitPerSecond);
      await live.reload();
      return;
    }
    for (const seq of batch) live.state.activate(seq, expiresAtMs);
    live.meter.record(now, batch.length, admitPerSecond);
    live.meter.observe(now, batch.length, live.state.waitingCount > 0, admitPerSecond);
  }
}
