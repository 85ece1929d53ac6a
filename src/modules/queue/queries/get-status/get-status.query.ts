import { inject, injectable } from 'inversify';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { isOver, pollRetryAfterSeconds } from '../../domain/admission-rules';
import { endedView, type TicketView } from '../../domain/views';
import { AdmissionCycle } from '../../infrastructure/admission-cycle';
import { LiveQueue } from '../../infrastructure/live-queue';
import { QueueRepository } from '../../infrastructure/queue.repository';
import { QueueErrors } from '../../queue.errors';
import type { QueueSettings } from '../../queue.settings';

/**
 * `GET /queue/status`, the hot path of a sale: answered from the index, with no query and no
 * allocation beyond the answer itself; only a token the index does not know is looked up.
 */
@injectable()
export class GetStatusQuery {
  constructor(
    @inject(PLATFORM.Settings) private readonly settings: QueueSettings,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(LiveQueue) private readonly live: LiveQueue,
    @inject(AdmissionCycle) private readonly cycle: AdmissionCycle,
    @inject(QueueRepository) private readonly repo: QueueRepository,
  ) {}

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
}
