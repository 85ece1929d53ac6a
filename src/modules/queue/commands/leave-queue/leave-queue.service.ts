import { inject, injectable } from 'inversify';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { AdmissionCycle } from '../../infrastructure/admission-cycle';
import { LiveQueue } from '../../infrastructure/live-queue';
import { PassRevocations } from '../../infrastructure/pass-revocations';
import { QueueRepository } from '../../infrastructure/queue.repository';
import { QueueErrors } from '../../queue.errors';

/** `DELETE /queue/token`: leave the queue (or give back an active slot). Repeating it is harmless. */
@injectable()
export class LeaveQueueService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(LiveQueue) private readonly live: LiveQueue,
    @inject(AdmissionCycle) private readonly cycle: AdmissionCycle,
    @inject(PassRevocations) private readonly revocations: PassRevocations,
    @inject(QueueRepository) private readonly repo: QueueRepository,
  ) {}

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
}
