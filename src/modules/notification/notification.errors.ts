import { DomainError } from '../../platform/domain/domain-error';

/** The notification module's refusals, by stable code. Routes map them to HTTP statuses. */
export const NotificationErrors = {
  /** Also for another user's notification: whether it exists is not told. */
  notificationNotFound: (id: number) => new DomainError('NOTIFICATION_NOT_FOUND', 'Notification not found', `You have no notification ${id}.`),
  /** Not a code this platform signed: forged, altered, or not a ticket at all. */
  ticketInvalid: () => new DomainError('TICKET_INVALID', 'Ticket invalid', 'This is not a valid e-ticket: its signature does not match.'),
  ticketAlreadyUsed: (reservationId: number, firstUsedAt: string) =>
    new DomainError('TICKET_ALREADY_USED', 'Ticket already used', `The ticket of reservation ${reservationId} was already used at ${firstUsedAt}.`, {
      reservationId,
      firstUsedAt,
    }),
  ticketRevoked: (reservationId: number, revokedAt: string) =>
    new DomainError(
      'TICKET_REVOKED',
      'Ticket revoked',
      `Reservation ${reservationId} was cancelled or refunded at ${revokedAt}: its ticket no longer admits.`,
      {
        reservationId,
        revokedAt,
      },
    ),
};
