import { z } from 'zod';

/**
 * Published integration events: the only thing modules know about each other.
 * Adding an event means adding its payload schema here; publishing or subscribing to anything
 * else, or with another payload shape, does not compile. Subscribers also validate payloads at
 * run time, because across processes the compiler cannot vouch for the sender.
 */
const id = z.number().int().positive();
const won = z.number().int().min(0);
const isoTime = z.string();

export const integrationEvents = {
  'auth.user.registered': {
    version: 1,
    /** `locale` (the language of the user's notifications) came later: an event without it means `ko`. */
    payload: z.object({ userId: id, email: z.string(), name: z.string(), role: z.enum(['USER', 'ADMIN']), locale: z.enum(['ko', 'en']).optional() }),
  },
  /** A schedule with its seats and prices, so reservation, payment and data-platform keep their own copy. */
  /**
   * A queue pass stops working before it expires: its holder left the waiting room (`LEFT`: the
   * pass opens nothing any more) or bought (`COMPLETED`: it may still pay for the seats held
   * during the visit, until `expiresAt`). Every process that checks passes keeps it until then.
   */
  'queue.pass.revoked': {
    version: 1,
    payload: z.object({ passId: z.string().min(1).max(64), userId: id, reason: z.enum(['LEFT', 'COMPLETED']), expiresAt: isoTime }),
  },
  /**
   * A concert's waiting room was created (`inForce: true`) or closed (`false`). Every process that
   * checks passes keeps the concerts with a room in memory: the default room's passes do not open
   * them, and a room's pass opens its concert only.
   */
  'queue.room.changed': {
    version: 1,
    payload: z.object({ roomId: id, concertId: id, inForce: z.boolean() }),
  },
  'concert.schedule.published': {
    version: 1,
    payload: z.object({
      concertId: id,
      scheduleId: id,
      title: z.string(),
      artist: z.string(),
      venue: z.string(),
      startsAt: isoTime,
      seats: z.array(z.object({ seatId: id, label: z.string(), price: won })),
    }),
  },
  /** `concertId`: the concert of the seat (so a payment can check the buyer's queue pass is for it); absent in events written before it was added. */
  'reservation.held': {
    version: 1,
    payload: z.object({ reservationId: id, userId: id, concertId: id.optional(), scheduleId: id, seatId: id, price: won, expiresAt: isoTime }),
  },
  'reservation.expired': {
    version: 1,
    payload: z.object({ reservationId: id, userId: id, scheduleId: id, seatId: id }),
  },
  'reservation.cancelled': {
    version: 1,
    payload: z.object({
      reservationId: id,
      userId: id,
      scheduleId: id,
      seatId: id,
      previousStatus: z.enum(['HELD', 'CONFIRMED']),
      paymentId: id.nullable(),
    }),
  },
  'reservation.success': {
    version: 1,
    payload: z.object({
      reservationId: id,
      userId: id,
      concertId: id,
      scheduleId: id,
      seatId: id,
      seatLabel: z.string(),
      price: won,
      paymentId: id,
      confirmedAt: isoTime,
    }),
  },
  /** Confirming after payment failed (e.g. the hold expired meanwhile): the payment must be refunded. */
  'reservation.failed': {
    version: 1,
    payload: z.object({ reservationId: id, userId: id, paymentId: id, reason: z.string() }),
  },
  /** Orchestrated saga → payment module: debit this amount for this reservation. */
  'payment.requested': {
    version: 1,
    payload: z.object({ sagaId: z.string(), reservationId: id, userId: id, amount: won, expiresAt: isoTime }),
  },
  /** Orchestrated saga → payment module: compensate a payment. */
  'payment.refund-requested': {
    version: 1,
    payload: z.object({ sagaId: z.string(), paymentId: id, reservationId: id, userId: id, reason: z.string() }),
  },
  'payment.success': {
    version: 1,
    payload: z.object({ paymentId: id, reservationId: id, userId: id, amount: won, sagaId: z.string().nullable() }),
  },
  'payment.failed': {
    version: 1,
    payload: z.object({
      reservationId: id,
      userId: id,
      sagaId: z.string().nullable(),
      reason: z.enum(['INSUFFICIENT_BALANCE', 'RESERVATION_NOT_PAYABLE']),
      detail: z.string(),
    }),
  },
  'payment.cancelled': {
    version: 1,
    payload: z.object({ paymentId: id, reservationId: id, userId: id, amount: won, reason: z.string(), sagaId: z.string().nullable() }),
  },
  /** A reservation's e-ticket admitted its holder at the door (its first scan): a used ticket is not refunded. */
  'ticket.admitted': {
    version: 1,
    payload: z.object({ reservationId: id, userId: id, admittedAt: isoTime }),
  },
} as const;

export type IntegrationEventMap = typeof integrationEvents;
export type EventType = keyof IntegrationEventMap;
export type EventPayload<T extends EventType> = z.infer<IntegrationEventMap[T]['payload']>;

export const EVENT_TYPES = Object.keys(integrationEvents) as EventType[];

/** The envelope every event travels in, whatever the transport. */
export interface EventEnvelope<T extends EventType = EventType> {
  id: string;
  type: T;
  version: number;
  /** ISO-8601 time the state change happened. */
  occurredAt: string;
  aggregateId: string;
  correlationId: string;
  causationId: string | null;
  payload: EventPayload<T>;
}

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(integrationEvents, value);
}
