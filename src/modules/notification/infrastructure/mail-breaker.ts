import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { type CircuitState, ClockedBreaker } from '../../../platform/resilience/clocked-breaker';
import type { SendOutcome } from '../domain/email-delivery';
import type { NotificationSettings } from '../notification.settings';
import { MailError, Mailer, type OutgoingMail } from './mailer';

const retryable = (err: unknown): boolean => !(err instanceof MailError) || err.retryable;

/**
 * The circuit breaker in front of the mail server: a server that fails half of at least 5
 * messages in 30 s is left alone for 15 s (on the platform Clock), then probed with one message.
 * A refusal of one message (5xx) proves the server is up and does not count.
 */
@injectable()
export class MailBreaker {
  private readonly breaker: ClockedBreaker<[OutgoingMail]>;

  constructor(
    @inject(Mailer) mailer: Mailer,
    @inject(PLATFORM.Clock) clock: Clock,
    @inject(PLATFORM.Logger) logger: Logger,
    @inject(PLATFORM.Settings) settings: NotificationSettings,
  ) {
    this.breaker = new ClockedBreaker(
      'mail-server',
      (mail: OutgoingMail) => mailer.send(mail),
      settings.mail.breaker,
      clock,
      logger,
      (err) => !retryable(err),
    );
  }

  state(): CircuitState {
    return this.breaker.state();
  }

  async send(mail: OutgoingMail): Promise<SendOutcome> {
    const outcome = await this.breaker.fire(retryable, mail);
    if (outcome.kind === 'done') return { kind: 'sent' };
    if (outcome.kind === 'not-sent') return outcome;
    return { kind: 'failed', retryable: retryable(outcome.error), error: String((outcome.error as Error)?.message ?? outcome.error) };
  }
}
