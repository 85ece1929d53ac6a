import { z } from 'zod';
import { MAX_TICKET_CODE_LENGTH } from '../../../../platform/tickets/ticket-codes';

export const scanTicketRequest = z.strictObject({
  /** The code as the QR image or the confirmation shows it. */
  code: z.string().min(1).max(MAX_TICKET_CODE_LENGTH),
});
