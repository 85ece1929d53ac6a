export const RECORD_STATUSES = ['CONFIRMED', 'CANCELLED'] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];

/** PENDING → DELIVERED, or FAILED after the fast retries (still retried slowly); DISABLED: no sink configured. */
export const DELIVERY_STATES = ['PENDING', 'DELIVERED', 'FAILED', 'DISABLED'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** One confirmed reservation as the data platform keeps it, with the catalogue facts it knows. */
export interface ReservationRecord {
  reservationId: number;
  userId: number;
  concertId: number;
  scheduleId: number;
  seatId: number;
  seatLabel: string;
  amount: number;
  paymentId: number;
  confirmedAtMs: number;
  receivedAtMs: number;
  status: RecordStatus;
  cancelledAtMs: number | null;
  delivery: DeliveryState;
  deliveryAttempts: number;
  nextAttemptAtMs: number | null;
  lastDeliveryError: string | null;
  deliveredAtMs: number | null;
  /** From the catalogue copy; null while concert.schedule.published has not arrived (no order across aggregates). */
  concertTitle: string | null;
  artist: string | null;
  venue: string | null;
  startsAt: string | null;
}

/** What a handler stores: the record's facts, before any delivery happened. */
export type NewRecord = Pick<
  ReservationRecord,
  | 'reservationId'
  | 'userId'
  | 'concertId'
  | 'scheduleId'
  | 'seatId'
  | 'seatLabel'
  | 'amount'
  | 'paymentId'
  | 'confirmedAtMs'
  | 'receivedAtMs'
  | 'status'
  | 'cancelledAtMs'
> & { sourceEventId: string; delivery: 'PENDING' | 'DISABLED' };
