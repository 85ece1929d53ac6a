import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { on } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { AdmissionCycle } from '../infrastructure/admission-cycle';
import { LiveQueue } from '../infrastructure/live-queue';
import { PassRevocations } from '../infrastructure/pass-revocations';
import { QueueRepository } from '../infrastructure/queue.repository';

/**
 * A confirmed reservation ends the buyer's visit: their ACTIVE token becomes COMPLETED, in the
 * subscriber's transaction, and the slot frees. The index is told once that transaction is final,
 * from what the database says (a rolled-back handler changes nothing).
 */
@injectable()
export class CompleteVisitWhenReservationConfirmed implements EventHandler<'reservation.success'> {
  static readonly subscription = on('reservation.success', 'complete-token-on-reservation');

  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(LiveQueue) private readonly live: LiveQueue,
    @inject(AdmissionCycle) private readonly cycle: AdmissionCycle,
    @inject(PassRevocations) private readonly revocations: PassRevocations,
    @inject(QueueRepository) private readonly repo: QueueRepository,
  ) {}

  async handle(event: EventEnvelope<'reservation.success'>, trx: Transaction): Promise<void> {
    const userId = event.payload.userId;
    const completed = await this.repo.completeActiveOfUser(trx, userId, this.clock.now());
    if (completed.length === 0) return;
    // The slot goes to the next in line, so the pass stops shopping; it may still pay for the other seats held on this visit.
    for (const c of completed) await this.revocations.publish(trx, c.token, userId, 'COMPLETED', c.expiresAtMs);
    const seqs = completed.map((c) => c.seq);
    // Also after a rollback (or an attempt PostgreSQL runs again): the index follows what the database says, so it changes only if this committed.
    this.db.afterTransaction(trx, () => void this.reconcile(seqs));
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
}
