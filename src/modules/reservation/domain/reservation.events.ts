/**
 * The reservation's own domain events: what the event store keeps. They are not integration
 * events (those are in src/contracts/events.ts); a command publishes the integration events it
 * owes in the same transaction as the append.
 */
export type ReservationStatus = 'HELD' | 'CONFIRMED' | 'EXPIRED' | 'CANCELLED';

export interface ReservationEventData {
  HoldPlaced: {
    userId: number;
    concertId: number;
    scheduleId: number;
    seatId: number;
    seatLabel: string;
    price: number;
    expiresAt: string;
  };
  HoldExpired: { expiredAt: string };
  HoldCancelled: { cancelledAt: string };
  ReservationConfirmed: { paymentId: number; confirmedAt: string; sagaId: string | null };
  /** A payment arrived that could not confirm the reservation: it must be refunded. */
  ConfirmationFailed: { paymentId: number; reason: ConfirmationFailureReason; sagaId: string | null };
  ReservationCancelled: { paymentId: number; cancelledAt: string };
  /** Its e-ticket admitted the holder at the door (the notification module's `ticket.admitted`): it can no longer be cancelled. */
  TicketUsed: { admittedAt: string };
}

export type ConfirmationFailureReason = 'HOLD_EXPIRED' | 'RESERVATION_CANCELLED' | 'ALREADY_CONFIRMED' | 'OWNER_MISMATCH' | 'AMOUNT_MISMATCH';

export type ReservationEventType = keyof ReservationEventData;

export const RESERVATION_EVENT_TYPES: readonly ReservationEventType[] = [
  'HoldPlaced',
  'HoldExpired',
  'HoldCancelled',
  'ReservationConfirmed',
  'ConfirmationFailed',
  'ReservationCancelled',
  'TicketUsed',
];

export type DomainEvent = { [K in ReservationEventType]: { type: K; data: ReservationEventData[K] } }[ReservationEventType];

/** A domain event as stored: its place in the stream and when it was recorded. */
export type StoredEvent = DomainEvent & { reservationId: number; version: number; occurredAtMs: number };
