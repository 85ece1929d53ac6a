import { inject, injectable } from 'inversify';
import { QueuePasses } from '../../../platform/auth/queue-pass';
import type { Outbox } from '../../../platform/bus/outbox';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { QueueRepository } from './queue.repository';

/**
 * The cap must mean what it says, so a pass whose slot is given back (`LEFT`) or whose visit ended
 * with a purchase (`COMPLETED`) stops working before it expires: the kernel's pass checker in every
 * process learns it from `queue.pass.revoked`.
 */
@injectable()
export class PassRevocations {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.QueuePasses) private readonly passes: QueuePasses,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(QueueRepository) private readonly repo: QueueRepository,
  ) {}

  /** In the transaction that ends the token. */
  async publish(trx: Transaction, token: string, userId: number, reason: 'LEFT' | 'COMPLETED', expiresAtMs: number): Promise<void> {
    const passId = QueuePasses.passIdOf(token);
    await this.outbox.publish(trx, 'queue.pass.revoked', passId, { passId, userId, reason, expiresAt: new Date(expiresAtMs).toISOString() });
  }

  /**
   * `reservation.success`, in the subscriber's transaction: the user's active token becomes
   * COMPLETED and its pass is revoked (the slot goes to the next in line, so the pass stops
   * shopping; it may still pay for the other seats held on this visit). Returns the tokens' seqs.
   */
  async completeVisit(trx: Transaction, userId: number, nowMs: number): Promise<number[]> {
    const completed = await this.repo.completeActiveOfUser(trx, userId, nowMs);
    for (const c of completed) await this.publish(trx, c.token, userId, 'COMPLETED', c.expiresAtMs);
    return completed.map((c) => c.seq);
  }

  /**
   * Start-up: this process's pass checker forgot them when it stopped; the database still knows
   * (other processes keep their own copy from the bus).
   */
  async reapplyUnexpired(): Promise<void> {
    for (const r of await this.repo.revokedPasses(this.db.direct, this.clock.now())) this.passes.revoke(QueuePasses.passIdOf(r.token), r.reason, r.expiresAtMs);
  }
}
