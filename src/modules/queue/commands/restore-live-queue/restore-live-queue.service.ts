import { inject, injectable } from 'inversify';
import { LiveQueue } from '../../infrastructure/live-queue';
import { PassRevocations } from '../../infrastructure/pass-revocations';

/** Start-up: rebuild the index from the database, and re-apply the revoked passes to this process's checker. */
@injectable()
export class RestoreLiveQueueService {
  constructor(
    @inject(LiveQueue) private readonly live: LiveQueue,
    @inject(PassRevocations) private readonly revocations: PassRevocations,
  ) {}

  async run(): Promise<void> {
    await this.live.exclusive(() => this.live.reload());
    await this.revocations.reapplyUnexpired();
  }
}
