import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import { every, type Job } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { QueueRepository } from '../infrastructure/queue.repository';

/** Ended tokens are kept this long (a late poll still hears EXPIRED or COMPLETED), then deleted. */
const ENDED_TOKEN_RETENTION_MS = 24 * 3600 * 1000;
/** Tokens deleted per transaction, so a big purge never holds the writer for long. */
const PURGE_BATCH = 5000;

@injectable()
export class PurgeEndedTokensJob implements Job {
  static readonly schedule = every(3600_000, 'purge-ended-tokens');

  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(QueueRepository) private readonly repo: QueueRepository,
  ) {}

  async run(): Promise<void> {
    const beforeMs = this.clock.now() - ENDED_TOKEN_RETENTION_MS;
    for (;;) {
      const deleted = await this.db.transaction((trx) => this.repo.purgeEnded(trx, beforeMs, PURGE_BATCH));
      if (deleted < PURGE_BATCH) return;
    }
  }
}
