import { inject, injectable } from 'inversify';
import nodemailer, { type Transporter } from 'nodemailer';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { NotificationSettings } from '../notification.settings';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** A PNG shown inline in the HTML as `cid:ticket-qr`. */
  qrPng?: Buffer;
  /** The notification it carries, sent as `X-Ticketing-Notification` so a repeat can be told apart. */
  notificationId: number;
}

/** Why the server did not take a message; `retryable` is false for a refusal of this message (5xx). */
export class MailError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'MailError';
  }
}

/** The SMTP client (nodemailer), at SMTP_URL with MAIL_FROM as sender; one implementation, so a plain class. */
@injectable()
export class Mailer {
  private readonly transport: Transporter | null;

  constructor(@inject(PLATFORM.Settings) private readonly settings: NotificationSettings) {
    const { timeoutMs } = settings.mail;
    this.transport =
      settings.smtpUrl === null
        ? null
        : nodemailer.createTransport({
            url: settings.smtpUrl,
            connectionTimeout: timeoutMs,
            greetingTimeout: timeoutMs,
            socketTimeout: timeoutMs,
          } as Parameters<typeof nodemailer.createTransport>[0]);
  }

  get configured(): boolean {
    return this.transport !== null;
  }

  async send(mail: OutgoingMail): Promise<void> {
    if (!this.transport) throw new MailError('SMTP_URL is not set', false);
    try {
      await this.transport.sendMail({
        from: this.settings.mailFrom,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: { 'X-Ticketing-Notification': String(mail.notificationId) },
        attachments: mail.qrPng ? [{ filename: 'ticket.png', content: mail.qrPng, contentType: 'image/png', cid: 'ticket-qr' }] : [],
      });
    } catch (err) {
      const responseCode = (err as { responseCode?: number }).responseCode;
      // 5xx: the server refused this message (no such mailbox, rejected content); anything else may pass later.
      const refused = typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
      throw new MailError(`${(err as Error).message}`.slice(0, 500), !refused);
    }
  }

  close(): void {
    this.transport?.close();
  }
}
