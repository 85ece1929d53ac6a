import { inject, injectable } from 'inversify';
import type { QueueOverview } from '../../domain/views';
import { QUEUE_STORE, type QueueStore } from '../../queue-store';
import type { UpdateQueueSettingsRequest } from './update-queue-settings.request.dto';

/** Changes the flow during a sale; persisted, so a restart keeps it. `null` restores the configured value. */
@injectable()
export class UpdateQueueSettingsService {
  constructor(@inject(QUEUE_STORE) private readonly store: QueueStore) {}

  update(patch: UpdateQueueSettingsRequest): Promise<QueueOverview> {
    return this.store.updateFlow(patch);
  }
}
