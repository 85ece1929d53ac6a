import { z } from 'zod';
import { moduleSettings } from '../../platform/config/module-settings';

/**
 * Tuning of the e-mail sender. Module constants rather than environment variables (the spec names
 * only SMTP_URL and MAIL_FROM), like the data-platform sink's.
 */
export interface MailTuning {
  /** How often the send job runs (it is also kicked right after a new notification commits). */
  sendIntervalMs: number;
  /** Notifications read per batch. */
  batchSize: number;
  /** Messages handed to the server at once within a batch. */
  concurrency: number;
  /** Connection, greeting and socket timeouts of one SMTP exchange. */
  timeoutMs: number;
  /** Attempts (exponential backoff with jitter from retryBaseMs) before an e-mail is FAILED. */
  maxAttempts: number;
  retryBaseMs: number;
  /** An e-mail whose recipient is not known yet waits this long between looks, and gives up after `recipientWaitMs`. */
  recipientPollMs: number;
  recipientWaitMs: number;
  breaker: { errorThresholdPercentage: number; volumeThreshold: number; rollingWindowMs: number; resetMs: number };
}

export const MAIL_TUNING: Readonly<MailTuning> = {
  sendIntervalMs: 500,
  batchSize: 50,
  concurrency: 4,
  timeoutMs: 10_000,
  maxAttempts: 8,
  retryBaseMs: 1000,
  recipientPollMs: 2000,
  recipientWaitMs: 10 * 60_000,
  breaker: { errorThresholdPercentage: 50, volumeThreshold: 5, rollingWindowMs: 30_000, resetMs: 15_000 },
};

export interface NotificationSettings {
  /** SMTP_URL (`smtp://` or `smtps://`, credentials in the URL); null: notifications are in-app only. */
  smtpUrl: string | null;
  /** MAIL_FROM: the sender of every e-mail. */
  mailFrom: string;
  mail: Readonly<MailTuning>;
}

/** `Name <address>` or a bare address, on one line (no header can be smuggled in through it). */
const sender = z
  .string()
  .max(200)
  .regex(/^(?:[^\r\n<>]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, 'must be an e-mail address, or "Name <address>"');

export const notificationSettings = moduleSettings(
  {
    SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
    MAIL_FROM: sender.default('Ticketing <no-reply@ticketing.local>'),
  },
  (v): NotificationSettings => ({ smtpUrl: v.SMTP_URL ?? null, mailFrom: v.MAIL_FROM, mail: MAIL_TUNING }),
);
