import { z } from 'zod';
import { NOTIFICATION_TYPES } from './domain/notification';
import type { NotificationView } from './infrastructure/notification-views';

/** One notification as its user reads it, in their language. */
export const notificationViewSchema = z.object({
  id: z.number().int(),
  type: z.enum(NOTIFICATION_TYPES),
  title: z.string(),
  body: z.string().describe('Plain text'),
  reservationId: z.number().int(),
  /** A confirmation's e-ticket code (also in the reservation's GET, with its QR image). */
  ticketCode: z.string().optional(),
  createdAt: z.string(),
  readAt: z.string().optional(),
}) satisfies z.ZodType<NotificationView>;
