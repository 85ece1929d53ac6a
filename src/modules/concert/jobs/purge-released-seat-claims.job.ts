import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import { every, type Job } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { SeatMapProjection } from '../infrastructure/seat-map.projection';

/** Hourly: drops the seat map's released claims once no late event for them can still arrive (RELEASED_CLAIM_RETENTION_MS). */
@injectable()
export class PurgeReleasedSeatClaimsJob implements Job {
  static readonly schedule = every(3600_000, 'purge-released-seat-claims');

  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(SeatMapProjection) private readonly seatMap: SeatMapProjection,
  ) {}

  async run(): Promise<void> {
    await this.db.transaction((trx) => this.seatMap.purgeReleasedClaims(trx));
  }
}
