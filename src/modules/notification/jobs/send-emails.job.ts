import { inject, injectable } from 'inversify';
import { backoffDelayMs } from '../../../platform/bus/backoff';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { every } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { ticketQrPng } from '../../../platform/tickets/ticket-codes';
import { afterSend, type EmailResult, type EmailRetryPolicy, recipientUnknown } from '../domain/email-delivery';
import { renderMessage } from '../domain/messages';
import type { StoredNotification } from '../domain/notification';
import { MailBreaker } from '../infrastructure/mail-breaker';
import { NotificationMetrics } from '../infrastructure/notification.metrics';
import { type Gathered, NotificationFactsReader } from '../infrastructure/notification-facts';
import { Notifications } from '../infrastructure/notifications.repository';
import { MAIL_TUNING, type NotificationSettings } from '../notification.settings';

/** Batches one pass may send before yielding to the next run. */
const MAX_BATCHES_PER_PASS = 20;

/**
 * E-mails the notifications (SMTP_URL), on its own schedule and outside any transaction: read what
 * is due, render each in its user's language, hand it to the server through the circuit breaker
 * (a few at a time), then write the batch's outcomes in one transaction. A failure is retried with
 * exponential backoff and jitter; after `maxAttempts`, or a refusal of the message, it is FAILED.
 */
@injectable()
export class SendEmailsJob {
  static readonly schedule = every(MAIL_TUNING.sendIntervalMs, 'send-emails');

  private readonly retries: EmailRetryPolicy;
  private pass: Promise<void> | null = null;
  private again = false;
  private fresh = false;

  constructor(
    @inject(PLATFORM.Settings) private readonly settings: NotificationSettings,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(Notifications) private readonly notifications: Notifications,
    @inject(NotificationFactsReader) private readonly facts: NotificationFactsReader,
    @inject(MailBreaker) private readonly breaker: MailBreaker,
    @inject(NotificationMetrics) private readonly metrics: NotificationMetrics,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
  ) {
    const { maxAttempts, retryBaseMs } = settings.mail;
    this.retries = { maxAttempts, backoffMs: (attempts) => backoffDelayMs(attempts, retryBaseMs) };
  }

  /** A notification with an e-mail to send has been written: the next commit kicks a pass. */
  noteNew(): void {
    this.fresh = true;
  }

  /** Commit listener of the module database. */
  afterCommit(): void {
    if (!this.fresh) return;
    this.fresh = false;
    this.run().catch((err) => this.logger.warn({ err }, 'notification e-mail pass failed'));
  }

  /** Runs a pass; a call during a pass makes one more run after it (passes never overlap). */
  async run(): Promise<void> {
    if (this.settings.smtpUrl === null) return;
    if (this.pass) {
      this.again = true;
      return this.pass;
    }
    this.pass = (async () => {
      try {
        do {
          this.again = false;
          await this.sendDue();
        } while (this.again);
      } finally {
        this.pass = null;
      }
    })();
    return this.pass;
  }

  private async sendDue(): Promise<void> {
    const { batchSize } = this.settings.mail;
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch += 1) {
      const state = this.breaker.state();
      if (state === 'open') return;
      const due = await this.notifications.dueForEmail(this.db.direct, this.clock.now(), state === 'probe' ? 1 : batchSize);
      if (due.length === 0) return;
      const gathered = await this.facts.gather(this.db.direct, due);
      const { results, interrupted } = await this.sendAll(due, gathered);
      if (results.length > 0) {
        const nowMs = this.clock.now();
        await this.db.transaction((trx) => this.notifications.recordEmailResults(trx, results, nowMs));
      }
      if (interrupted || due.length < batchSize) return;
    }
  }

  private async sendAll(due: StoredNotification[], gathered: Map<number, Gathered>): Promise<{ results: EmailResult[]; interrupted: boolean }> {
    const results: EmailResult[] = [];
    const queue = [...due];
    let interrupted = false;
    const worker = async () => {
      for (let n = queue.shift(); n && !interrupted; n = queue.shift()) {
        const result = await this.sendOne(n, gathered.get(n.id)!);
        if (result === null) interrupted = true;
        else results.push(result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.settings.mail.concurrency, due.length) }, worker));
    return { results, interrupted };
  }

  /** Null when the circuit opened meanwhile: nothing was sent. */
  private async sendOne(n: StoredNotification, g: Gathered): Promise<EmailResult | null> {
    const { recipientPollMs, recipientWaitMs } = this.settings.mail;
    if (g.recipient === null) return recipientUnknown(n.id, n.emailAttempts, n.createdAtMs, this.clock.now(), recipientPollMs, recipientWaitMs);
    const message = renderMessage({ type: n.type, locale: g.locale, reservationId: n.reservationId, reason: n.reason, facts: g.facts });
    const outcome = await this.breaker.send({
      to: g.recipient.email,
      subject: message.title,
      text: message.text,
      html: message.html,
      qrPng: g.facts.ticketCode === null ? undefined : await ticketQrPng(g.facts.ticketCode),
      notificationId: n.id,
    });
    if (outcome.kind === 'not-sent') return null;
    this.metrics.countSend(outcome);
    const result = afterSend(n.id, n.emailAttempts, outcome, this.clock.now(), this.retries);
    if (result.status === 'FAILED') this.logger.warn({ notificationId: n.id, err: result.error }, 'notification e-mail FAILED');
    else if (result.status === 'PENDING') this.logger.debug({ notificationId: n.id, err: result.error }, 'notification e-mail failed; will retry');
    return result;
  }
}
