import { inject, injectable } from 'inversify';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { nextOverrides } from '../../domain/admission-rules';
import type { QueueOverview } from '../../domain/views';
import { AdmissionCycle } from '../../infrastructure/admission-cycle';
import { LiveQueue } from '../../infrastructure/live-queue';
import { QueueRepository } from '../../infrastructure/queue.repository';
import type { UpdateQueueSettingsRequest } from './update-queue-settings.request.dto';

/** Changes the flow during a sale; persisted, so a restart keeps it. `null` restores the configured value. */
@injectable()
export class UpdateQueueSettingsService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(LiveQueue) private readonly live: LiveQueue,
    @inject(AdmissionCycle) private readonly cycle: AdmissionCycle,
    @inject(QueueRepository) private readonly repo: QueueRepository,
  ) {}

  async update(patch: UpdateQueueSettingsRequest): Promise<QueueOverview> {
    await this.live.exclusive(async () => {
      const next = nextOverrides(this.live.flowOverrides, patch);
      await this.db.transaction((trx) => this.repo.saveSettings(trx, next, this.clock.now()));
      this.live.applyOverrides(next);
    });
    this.cycle.kick();
    return this.live.overview();
  }
}
