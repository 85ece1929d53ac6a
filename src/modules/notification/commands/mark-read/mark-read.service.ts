import { inject, injectable } from 'inversify';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { type NotificationView, NotificationViews } from '../../infrastructure/notification-views';
import { Notifications } from '../../infrastructure/notifications.repository';
import { NotificationErrors } from '../../notification.errors';

/** Marks one of the caller's notifications read (again: the first reading's time stays); another user's is not found. */
@injectable()
export class MarkReadService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(Notifications) private readonly notifications: Notifications,
    @inject(NotificationViews) private readonly views: NotificationViews,
  ) {}

  async markRead(userId: number, id: number): Promise<NotificationView> {
    const nowMs = this.clock.now();
    const read = await this.db.transaction(async (trx) => {
      await this.notifications.markRead(trx, userId, id, nowMs);
      return this.notifications.findOfUser(trx, userId, id);
    });
    if (!read) throw NotificationErrors.notificationNotFound(id);
    const [view] = await this.views.of(this.db.direct, [read]);
    return view;
  }
}
