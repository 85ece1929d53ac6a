import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import { every, type Job } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { QueueRepository } from '../infrastructure/queue.repository';

/** Ended tokens are kept this long (a late poll still hears EXPIRED or COMPLETED), then deleted. */
const ENDED_TOKEN_RETENTION_MS = 24 * 3600 * 1000;

@injectable()
export class PurgeEndedTokensJob implements Job {
  static readonly schedule = every(3600_000, 'purge-ended-tokens');

  constructor(
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(QueueRepository) private readonly repo: QueueRepository,
  ) {}

  async run(): Promise<void> {
    await this.repo.purgeEnded(this.clock.now() - ENDED_TOKEN_RETENTION_MS);
  }
}
