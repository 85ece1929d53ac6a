import { inject, injectable } from 'inversify';
import type { Clock } from '../../../../platform/clock/clock';
import type { Logger } from '../../../../platform/logging/logger';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import type { ConcertSettings } from '../../concert.settings';
import { demoConcert } from '../../domain/demo-concert';
import { createConcertRequest } from '../create-concert/create-concert.request.dto';
import { CreateConcertService } from '../create-concert/create-concert.service';

/**
 * On start with SEED_DEMO (default true) and an empty catalogue, creates the demo concert
 * through the same service as `POST /admin/concerts`, so its schedules are published as events.
 */
@injectable()
export class SeedDemoConcertService {
  constructor(
    @inject(PLATFORM.Settings) private readonly settings: ConcertSettings,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(CreateConcertService) private readonly service: CreateConcertService,
  ) {}

  async run(): Promise<void> {
    if (!this.settings.seedDemo) return;
    // The same validation as the HTTP route: the demo is an ordinary concert.
    const request = createConcertRequest.parse(demoConcert(this.clock.now()));
    const created = await this.service.createIfCatalogueEmpty(request);
    if (created)
      this.logger.info(
        { concertId: created.id, schedules: created.schedules.length, seatsPerSchedule: created.schedules[0].totalSeats },
        'demo concert seeded',
      );
  }
}
