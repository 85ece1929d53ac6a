import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../../contracts/events';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { initialEmailState } from '../../domain/email-delivery';
import type { NotificationType } from '../../domain/notification';
import { TICKET_OF_RESERVATION } from '../../infrastructure/admissions.repository';
import { Notifications } from '../../infrastructure/notifications.repository';
import { Projections } from '../../infrastructure/projections.repository';
import { SendEmailsJob } from '../../jobs/send-emails.job';
import type { NotificationSettings } from '../../notification.settings';

export interface BuyerNotice {
  userId: number;
  type: NotificationType;
  reservationId: number;
  amount?: number;
  reason?: string;
}

/**
 * Writes the one notification an event gives its buyer, in the handler's transaction: the inbox
 * drops a redelivered event, and the unique source event id drops anything that slips past it.
 * The e-mail is only queued here (PENDING); the send job talks to the mail server later, outside
 * any transaction, so a down mail server can neither fail a handler nor slow a purchase.
 */
@injectable()
export class NotifyBuyerService {
  constructor(
    @inject(PLATFORM.Settings) private readonly settings: NotificationSettings,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(Notifications) private readonly notifications: Notifications,
    @inject(SendEmailsJob) private readonly emails: SendEmailsJob,
    @inject(Projections) private readonly projections: Projections,
  ) {}

  /**
   * The reservation's e-ticket no longer admits, from the time of the event that says so (a
   * cancellation after confirmation, a refund). Takes turns with a scan of the same ticket.
   */
  async revokeTicket(trx: Transaction, event: EventEnvelope, reservationId: number, userId: number): Promise<void> {
    await this.db.lock(trx, TICKET_OF_RESERVATION, reservationId);
    const occurredAtMs = Date.parse(event.occurredAt);
    await this.projections.revoke(trx, reservationId, userId, Number.isFinite(occurredAtMs) ? occurredAtMs : this.clock.now());
  }

  async notify(trx: Transaction, event: EventEnvelope, notice: BuyerNotice): Promise<void> {
    const emailStatus = initialEmailState(this.settings.smtpUrl !== null);
    const stored = await this.notifications.insert(trx, {
      userId: notice.userId,
      type: notice.type,
      reservationId: notice.reservationId,
      amount: notice.amount ?? null,
      reason: notice.reason ?? null,
      sourceEventId: event.id,
      createdAtMs: this.clock.now(),
      emailStatus,
    });
    // The kick waits for the commit: the job reads the notification outside this transaction.
    if (stored && emailStatus === 'PENDING') this.db.afterTransaction(trx, () => this.emails.noteNew());
  }
}
