import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { type NotificationView, NotificationViews } from '../../infrastructure/notification-views';
import { Notifications } from '../../infrastructure/notifications.repository';

export interface NotificationPage {
  items: NotificationView[];
  nextCursor?: string;
}

/** The caller's notifications, newest first, a page at a time (the cursor is the last id shown). */
@injectable()
export class ListNotificationsQuery {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(Notifications) private readonly notifications: Notifications,
    @inject(NotificationViews) private readonly views: NotificationViews,
  ) {}

  async list(userId: number, cursor: number | null, limit: number): Promise<NotificationPage> {
    const rows = await this.notifications.pageOf(this.db.direct, userId, cursor, limit + 1);
    const page = rows.slice(0, limit);
    const items = await this.views.of(this.db.direct, page);
    return rows.length > limit ? { items, nextCursor: String(page[page.length - 1].id) } : { items };
  }
}
