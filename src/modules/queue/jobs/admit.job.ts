import { inject, injectable } from 'inversify';
import { every, type Job } from '../../../platform/module/module-definition';
import { RoomStores } from '../infrastructure/room-stores';

/** Admission cycle, in the default room and in every open room: expire passes and idle waiters, then admit the head of the queue within both limits. */
@injectable()
export class AdmitJob implements Job {
  static readonly schedule = every(200, 'admit');

  constructor(@inject(RoomStores) private readonly stores: RoomStores) {}

  async run(): Promise<void> {
    const stores = await this.stores.everyStore();
    const failed = (await Promise.allSettled(stores.map((s) => s.runCycle()))).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
