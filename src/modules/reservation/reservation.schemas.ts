import { z } from 'zod';
import { integerText } from '../../platform/http/input-schemas';
import type { ReservationView } from './domain/reservation.view';

/** `/ticketing/reservations/:id` and the routes under it. */
export const reservationIdParams = z.strictObject({ id: integerText() });

/** What the API shows of a reservation (domain/reservation.view.ts builds it). */
export const reservationViewSchema = z.object({
  id: z.number().int(),
  status: z.enum(['HELD', 'CONFIRMED', 'EXPIRED', 'CANCELLED']),
  userId: z.number().int(),
  concertId: z.number().int(),
  scheduleId: z.number().int(),
  seatId: z.number().int(),
  seatLabel: z.string(),
  price: z.number().int(),
  expiresAt: z.string(),
  paymentId: z.number().int().nullable(),
  confirmedAt: z.string().nullable(),
  createdAt: z.string(),
}) satisfies z.ZodType<ReservationView>;

/** A confirmed reservation's e-ticket: the signed code, and the same code as a QR image. */
export const ticketSchema = z.object({
  code: z.string().describe('The signed ticket code (TICKET_SECRET): reservation, schedule, seat and holder; scanned at the door'),
  qrSvg: z.string().describe('The code as a QR code, an SVG document'),
});

/** One reservation as its owner reads it: a confirmed one carries its e-ticket. */
export const reservationWithTicketSchema = reservationViewSchema.extend({ ticket: ticketSchema.optional() });

const stepName = z.enum(['PAY', 'CONFIRM', 'NOTIFY', 'REFUND']);

/** What the API shows of a confirm saga (`sagaView` in domain/confirm-saga.ts builds it). */
export const sagaViewSchema = z.object({
  id: z.uuid(),
  reservationId: z.number().int(),
  status: z.enum(['RUNNING', 'COMPENSATING', 'COMPLETED', 'FAILED', 'COMPENSATED']),
  currentStep: stepName.nullable(),
  completedSteps: z.array(stepName),
  steps: z.array(z.object({ name: stepName, status: z.enum(['STARTED', 'DONE', 'FAILED', 'TIMED_OUT']), at: z.string(), detail: z.string().optional() })),
  paymentId: z.number().int().nullable(),
  amount: z.number().int(),
  failure: z.object({ code: z.string(), detail: z.string().nullable() }).nullable(),
  deadlineAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
