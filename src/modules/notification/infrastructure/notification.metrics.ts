import { inject, injectable } from 'inversify';
import type { Counter } from 'prom-client';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import type { Metrics } from '../../../platform/metrics/metrics';
import type { ModuleMetrics } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { SendOutcome } from '../domain/email-delivery';
import { EMAIL_STATES } from '../domain/notification';
import { MailBreaker } from './mail-breaker';
import { Notifications } from './notifications.repository';

/** The module's Prometheus series: e-mails by state (sent, failed, pending, disabled), send outcomes, circuit state. */
@injectable()
export class NotificationMetrics implements ModuleMetrics {
  private sends: Counter<'outcome'> | undefined;

  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(Notifications) private readonly notifications: Notifications,
    @inject(MailBreaker) private readonly breaker: MailBreaker,
  ) {}

  register(metrics: Metrics): void {
    metrics.gauge('notification_emails', 'Notification e-mails by state (PENDING, SENT, FAILED; DISABLED without SMTP_URL)', ['state'], async (g) => {
      const counts = await this.notifications.countByEmailState(this.db.direct);
      for (const state of EMAIL_STATES) g.set({ state }, counts[state]);
    });
    metrics.gauge('notification_mail_circuit_open', '1 while the mail server circuit is open (e-mails paused)', [], (g) => {
      g.set(this.breaker.state() === 'closed' ? 0 : 1);
    });
    this.sends = metrics.counter('notification_mail_sends_total', 'Messages handed to the mail server, by outcome', ['outcome']);
  }

  /** A refusal of one message (5xx) is told apart from a failure: it proves the server is up. */
  countSend(outcome: Exclude<SendOutcome, { kind: 'not-sent' }>): void {
    this.sends?.inc({ outcome: outcome.kind === 'sent' ? 'sent' : outcome.retryable ? 'failed' : 'refused' });
  }
}
