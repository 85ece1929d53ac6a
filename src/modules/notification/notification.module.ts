import type { ModuleDatabase } from '../../platform/db/module-database';
import { defineModule } from '../../platform/module/module-definition';
import { PLATFORM } from '../../platform/platform.di-tokens';
import { markReadRoute } from './commands/mark-read/mark-read.http.controller';
import { MarkReadService } from './commands/mark-read/mark-read.service';
import { scanTicketRoute } from './commands/scan-ticket/scan-ticket.http.controller';
import { ScanTicketService } from './commands/scan-ticket/scan-ticket.service';
import { CopyCatalogueWhenSchedulePublished } from './event-handlers/copy-catalogue-when-schedule-published.handler';
import { CopyReservationWhenHeld } from './event-handlers/copy-reservation-when-held.handler';
import { CopyUserWhenRegistered } from './event-handlers/copy-user-when-registered.handler';
import { NotifyWhenPaymentRefunded } from './event-handlers/notify-when-payment-refunded.handler';
import { NotifyWhenReservationCancelled } from './event-handlers/notify-when-reservation-cancelled.handler';
import { NotifyWhenReservationConfirmed } from './event-handlers/notify-when-reservation-confirmed.handler';
import { NotifyWhenReservationExpired } from './event-handlers/notify-when-reservation-expired.handler';
import { NotifyWhenReservationFailed } from './event-handlers/notify-when-reservation-failed.handler';
import { Mailer } from './infrastructure/mailer';
import { NotificationMetrics } from './infrastructure/notification.metrics';
import { SendEmailsJob } from './jobs/send-emails.job';
import { notificationSettings } from './notification.settings';
import { listNotificationsRoute } from './queries/list-notifications/list-notifications.http.controller';
import { ListNotificationsQuery } from './queries/list-notifications/list-notifications.query';

export const notificationModule = defineModule({
  name: 'notification',
  settings: notificationSettings,
  routes: (c) => [listNotificationsRoute(c.get(ListNotificationsQuery)), markReadRoute(c.get(MarkReadService)), scanTicketRoute(c.get(ScanTicketService))],
  handlers: [
    CopyUserWhenRegistered,
    CopyCatalogueWhenSchedulePublished,
    CopyReservationWhenHeld,
    NotifyWhenReservationConfirmed,
    NotifyWhenReservationCancelled,
    NotifyWhenReservationExpired,
    NotifyWhenPaymentRefunded,
    NotifyWhenReservationFailed,
  ],
  jobs: [SendEmailsJob],
  metrics: NotificationMetrics,
  async onStart(c) {
    // Besides its schedule, a send pass is kicked by the commit that stored a new notification.
    const emails = c.get(SendEmailsJob);
    c.get<ModuleDatabase>(PLATFORM.Database).onCommit(() => emails.afterCommit());
  },
  async onStop(c) {
    c.get(Mailer).close();
  },
});
