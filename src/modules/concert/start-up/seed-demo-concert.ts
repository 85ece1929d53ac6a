import { inject, injectable } from 'inversify';
import type { AppConfig } from '../../../platform/config/config';
import type { Clock } from '../../../platform/clock/clock';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { createConcertRequest } from '../commands/create-concert/create-concert.request.dto';
import type { CreateConcertService } from '../commands/create-concert/create-concert.service';
import { CONCERT } from '../concert.di-tokens';
import { demoConcert } from './demo-concert';

/**
 * On start with SEED_DEMO (default true) and an empty catalogue, creates the demo concert
 * through the same service as `POST /admin/concerts`, so its schedules are published as events.
 */
@injectable()
export class SeedDemoConcert {
  constructor(
    @inject(PLATFORM.Config) private readonly config: AppConfig,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(CONCERT.CreateConcertService) private readonly service: CreateConcertService,
  ) {}

  async run(): Promise<void> {
    if (!this.config.seedDemo) return;
    // The same validation as the HTTP route: the demo is an ordinary concert.
    const request = createConcertRequest.parse(demoConcert(this.clock.now()));
    const created = await this.service.createIfCatalogueEmpty(request);
    if (created) this.logger.info({ concertId: created.id, schedules: created.schedules.length, seatsPerSchedule: created.schedules[0].totalSeats }, 'demo concert seeded');
  }
}
