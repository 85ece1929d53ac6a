import { DomainError } from '../../platform/domain/domain-error';

/** The reservation module's refusals, by stable code. Routes map them to HTTP statuses. */
export const ReservationErrors = {
  scheduleNotFound: (scheduleId: number) => new DomainError('SCHEDULE_NOT_FOUND', 'Schedule not found', `There is no schedule ${scheduleId}.`),
  seatNotFound: (scheduleId: number, seatId: number) => new DomainError('SEAT_NOT_FOUND', 'Seat not found', `Schedule ${scheduleId} has no seat ${seatId}.`),
  /** The seat has a live claim (held or sold), found by the hold's read or by the claim's primary key. */
  seatUnavailable: () => new DomainError('SEAT_UNAVAILABLE', 'Seat unavailable', 'This seat is held or sold.'),
  holdLimitReached: (live: number, limit: number) =>
    new DomainError('HOLD_LIMIT_REACHED', 'Hold limit reached', `You already hold ${live} seat(s), the most allowed at once (${limit}).`, { limit }),
  /** Also for another user's reservation: nothing tells it exists. */
  reservationNotFound: (id: number) => new DomainError('RESERVATION_NOT_FOUND', 'Reservation not found', `You have no reservation ${id}.`),
  notCancellable: (status: string) =>
    new DomainError('RESERVATION_NOT_CANCELLABLE', 'Reservation not cancellable', `A ${status} reservation cannot be cancelled.`, {
      reservationStatus: status,
    }),
  ticketUsed: (id: number, admittedAt: string) =>
    new DomainError(
      'TICKET_ALREADY_USED',
      'Ticket already used',
      `The ticket of reservation ${id} admitted its holder at ${admittedAt}: a used ticket is not refunded.`,
      {
        admittedAt,
      },
    ),
  /** A rule broken by our own code (only a HELD hold whose time is up is expired): no route answers it. */
  notExpirable: (id: number, status: string, until: string) =>
    new DomainError('RESERVATION_NOT_EXPIRABLE', 'Reservation not expirable', `Reservation ${id} is ${status} until ${until}`),
  /** Confirming (paying) what cannot be paid: not the caller's, not a live hold, or refused by the saga. */
  notPayable: (detail: string, extra: Record<string, unknown> = {}) => new DomainError('RESERVATION_NOT_PAYABLE', 'Reservation not payable', detail, extra),
  /** The confirm saga's payment was refused for want of points: nothing was debited. */
  insufficientBalance: (detail: string, extra: Record<string, unknown> = {}) => new DomainError('INSUFFICIENT_BALANCE', 'Insufficient balance', detail, extra),
  /** Also for another user's saga. */
  sagaNotFound: (id: string) => new DomainError('SAGA_NOT_FOUND', 'Saga not found', `You have no saga ${id}.`),
  /** Every attempt of a load–decide–append met a concurrent append: reported, never silently dropped. */
  concurrentModification: () =>
    new DomainError('CONCURRENT_MODIFICATION', 'Concurrent modification', 'The reservation was changed by another request at the same time; retry.'),
};
