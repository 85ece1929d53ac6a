import { DomainError } from '../../platform/domain/domain-error';

/** The queue module's refusals, by stable code. Routes map them to HTTP statuses. */
export const QueueErrors = {
  /** An unknown token and someone else's answer the same: nothing tells which. */
  tokenNotFound: () => new DomainError('QUEUE_TOKEN_NOT_FOUND', 'Queue token not found', 'No queue token of yours matches X-Queue-Token.'),
  /** A status poll much sooner than the last answer advised (`pollAfterSeconds`); `retryAfterSeconds` also becomes `Retry-After`. */
  pollingTooFast: (retryAfterSeconds: number, advisedPollMs: number) =>
    new DomainError('RATE_LIMITED', 'Too many requests', `Polling faster than advised: poll every ${advisedPollMs / 1000} s (pollAfterSeconds).`, {
      retryAfterSeconds,
    }),
  /** A room is made for a published concert only (the queue's copy of the catalogue, from `concert.schedule.published`). */
  concertNotFound: (concertId: number) =>
    new DomainError(
      'CONCERT_NOT_FOUND',
      'Concert not found',
      `No published concert has id ${concertId} (a concert created a moment ago reaches the waiting room within a second: try again).`,
      { concertId },
    ),
  roomNotFound: () => new DomainError('ROOM_NOT_FOUND', 'Waiting room not found', 'No waiting room has this id.'),
  /** One room per concert at a time (closed ones aside). */
  roomExists: (concertId: number, roomId: number) =>
    new DomainError('ROOM_EXISTS', 'Concert already has a waiting room', `Concert ${concertId} already has waiting room ${roomId}; update or close it.`, {
      roomId,
    }),
  roomClosed: () => new DomainError('ROOM_CLOSED', 'Waiting room closed', 'This waiting room is closed; it can no longer be changed.'),
  /** The opening time can change only before the opening. */
  roomAlreadyOpened: () =>
    new DomainError('ROOM_ALREADY_OPENED', 'Waiting room already opened', 'The opening has begun: its time can no longer change (the pre-queue was shuffled).'),
  /** `QUEUE_MAX_ROOMS_PER_USER`: places held in too many rooms at once. */
  tooManyRooms: (limit: number) =>
    new DomainError(
      'QUEUE_ROOM_LIMIT_REACHED',
      'Too many waiting rooms',
      `You already hold places in ${limit} waiting rooms; leave one (DELETE /queue/token) before joining another.`,
      { limit },
    ),
};
