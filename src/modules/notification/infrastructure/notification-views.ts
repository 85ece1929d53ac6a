import { inject, injectable } from 'inversify';
import type { Db } from '../../../platform/db/module-database';
import { renderMessage } from '../domain/messages';
import type { NotificationType, StoredNotification } from '../domain/notification';
import { NotificationFactsReader } from './notification-facts';

/** A notification as its user reads it (`notificationViewSchema` documents it). */
export interface NotificationView {
  id: number;
  type: NotificationType;
  title: string;
  body: string;
  reservationId: number;
  ticketCode?: string;
  createdAt: string;
  readAt?: string;
}

/** Renders notifications for the API: now, from the module's copies as they are now, in each user's language. */
@injectable()
export class NotificationViews {
  constructor(@inject(NotificationFactsReader) private readonly facts: NotificationFactsReader) {}

  async of(q: Db, notifications: StoredNotification[]): Promise<NotificationView[]> {
    const gathered = await this.facts.gather(q, notifications);
    return notifications.map((n) => {
      const g = gathered.get(n.id)!;
      const message = renderMessage({ type: n.type, locale: g.locale, reservationId: n.reservationId, reason: n.reason, facts: g.facts });
      return {
        id: n.id,
        type: n.type,
        title: message.title,
        body: message.text,
        reservationId: n.reservationId,
        ...(g.facts.ticketCode === null ? {} : { ticketCode: g.facts.ticketCode }),
        createdAt: new Date(n.createdAtMs).toISOString(),
        ...(n.readAtMs === null ? {} : { readAt: new Date(n.readAtMs).toISOString() }),
      };
    });
  }
}
