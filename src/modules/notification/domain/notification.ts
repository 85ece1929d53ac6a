/** What a notification tells the buyer: one kind per event it comes from. */
export const NOTIFICATION_TYPES = ['CONFIRMED', 'CANCELLED', 'EXPIRED', 'REFUNDED', 'FAILED'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const LOCALES = ['ko', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
/** The language of a user who chose none, or whom this module has not heard of yet. */
export const DEFAULT_LOCALE: Locale = 'ko';

/** E-mail of one notification: PENDING → SENT, or FAILED; DISABLED when no SMTP_URL was set when it was made. */
export const EMAIL_STATES = ['PENDING', 'SENT', 'FAILED', 'DISABLED'] as const;
export type EmailState = (typeof EMAIL_STATES)[number];

export interface StoredNotification {
  id: number;
  userId: number;
  type: NotificationType;
  reservationId: number;
  /** The amount the event named (price paid, refund); null: the seat's price from the catalogue copy. */
  amount: number | null;
  reason: string | null;
  createdAtMs: number;
  readAtMs: number | null;
  emailStatus: EmailState;
  emailAttempts: number;
}

/** What is known of the reservation a notification is about, gathered from the module's copies at the time it is shown or sent. */
export interface NotificationFacts {
  concertTitle: string | null;
  artist: string | null;
  venue: string | null;
  startsAt: string | null;
  seatLabel: string | null;
  amount: number | null;
  /** Set for a confirmation: the e-ticket to show. */
  ticketCode: string | null;
}

/** A rendered notification in the user's language: a title, a plain-text body, and the same as HTML. */
export interface RenderedMessage {
  title: string;
  text: string;
  html: string;
}
