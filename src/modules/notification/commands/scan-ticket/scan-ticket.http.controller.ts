import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { scanTicketRequest } from './scan-ticket.request.dto';
import type { ScanTicketService } from './scan-ticket.service';

const admissionSchema = z.object({
  reservationId: z.number().int(),
  concert: z.object({ id: z.number().int(), title: z.string(), artist: z.string(), venue: z.string() }).nullable(),
  schedule: z.object({ id: z.number().int(), startsAt: z.string().nullable() }),
  seat: z.object({ id: z.number().int(), label: z.string().nullable() }),
  holder: z.object({ id: z.number().int(), name: z.string().nullable() }),
  admittedAt: z.string(),
});

export function scanTicketRoute(service: ScanTicketService): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/tickets/scan',
    summary: 'Check an e-ticket at the door: admits once',
    description:
      'Verifies the code’s signature without asking anyone, then admits the holder the first time. A second scan of the same ticket is 409 `TICKET_ALREADY_USED` with `firstUsedAt`; a cancelled or refunded reservation’s ticket is 409 `TICKET_REVOKED`; a forged or altered code is 400 `TICKET_INVALID`. Two doors scanning one ticket at once: one is admitted.',
    tags: ['tickets'],
    access: 'staff',
    body: scanTicketRequest,
    bodyLimitBytes: 1024,
    errors: { TICKET_INVALID: 400, TICKET_ALREADY_USED: 409, TICKET_REVOKED: 409 },
    responses: {
      200: { description: 'Admitted: who, to what, where', schema: admissionSchema },
      400: { description: 'TICKET_INVALID: not a code this platform signed (forged, altered, malformed)' },
      409: { description: 'TICKET_ALREADY_USED (with `firstUsedAt`) or TICKET_REVOKED (with `revokedAt`)' },
    },
    handle: async ({ body, user }) => ({ status: 200, body: await service.scan(user.id, body.code) }),
  });
}
