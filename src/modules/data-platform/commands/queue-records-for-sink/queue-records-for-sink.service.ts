import { inject, injectable } from 'inversify';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import type { Logger } from '../../../../platform/logging/logger';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import type { DataPlatformSettings } from '../../data-platform.settings';
import { ReservationRecords } from '../../infrastructure/reservation-records.repository';

/** Run at start-up: with DATA_PLATFORM_URL set, records stored while there was no sink (DISABLED) become PENDING. */
@injectable()
export class QueueRecordsForSinkService {
  constructor(
    @inject(PLATFORM.Settings) private readonly settings: DataPlatformSettings,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(ReservationRecords) private readonly records: ReservationRecords,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
  ) {}

  async run(): Promise<void> {
    if (this.settings.sinkUrl === null) return;
    const nowMs = this.clock.now();
    const queued = await this.db.transaction((trx) => this.records.queueUndelivered(trx, nowMs));
    if (queued > 0) this.logger.info({ queued }, 'data-platform: records stored without a sink are queued for DATA_PLATFORM_URL');
  }
}
