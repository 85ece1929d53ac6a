import { z } from 'zod';
import { parseInput } from '../../platform/http/validation';
import type { RoomView } from './domain/room-view';
import type { QueueOverview, TicketView } from './domain/views';

/** 32 random bytes, base64url: what `POST /queue/token` hands out. */
const QUEUE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const queueTokenHeaderSchema = z.object({
  'x-queue-token': z
    .string({ error: (issue) => (issue.input === undefined ? 'X-Queue-Token header is required' : 'must be a string') })
    .regex(QUEUE_TOKEN_PATTERN, 'must be the 43-character token returned by POST /queue/token'),
});

/** Reads and validates `X-Queue-Token`; a missing or malformed header is a 400 naming it. */
export function queueTokenFrom(header: (name: string) => string | undefined): string {
  return parseInput(queueTokenHeaderSchema, { 'x-queue-token': header('x-queue-token') }, 'headers')['x-queue-token'];
}

export const queueTokenHeaderDoc = {
  name: 'X-Queue-Token',
  required: true,
  description: 'The token returned by POST /queue/token.',
};

export const ticketViewSchema = z.object({
  token: z.string(),
  status: z.enum(['PRE_QUEUE', 'WAITING', 'ACTIVE', 'EXPIRED', 'COMPLETED']).describe('PRE_QUEUE: before the room opens (no position yet)'),
  position: z.number().int().describe('1-based place among waiting tokens; 0 unless WAITING'),
  estimatedWaitSeconds: z.number().int().describe('From the observed admission rate (moving average)'),
  pollAfterSeconds: z.number().int().describe('Poll again after this many seconds (0: nothing left to wait for)'),
  pass: z
    .object({ token: z.string().describe('Send as X-Queue-Pass'), expiresAt: z.string() })
    .optional()
    .describe('Only when ACTIVE: the signed queue pass'),
  opensAt: z.string().optional().describe('Only in the pre-queue: when the sale opens; every pre-queue token then gets a random place'),
}) satisfies z.ZodType<TicketView>;

export const roomViewSchema = z.object({
  id: z.number().int(),
  concertId: z.number().int(),
  opensAt: z.string().nullable().describe('When the sale opens (null: open from its creation)'),
  maxActive: z.number().int(),
  admitPerSecond: z.number().int(),
  paused: z.boolean().describe('Paused: nobody new is let in; those in keep shopping'),
  state: z.enum(['SCHEDULED', 'OPENING', 'OPEN', 'CLOSED']),
  createdAt: z.string(),
  openedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  preQueue: z.number().int().describe('Pre-queue tokens not yet placed in the queue'),
  waiting: z.number().int(),
  active: z.number().int(),
  admissionsPerMinute: z.number().int().describe('Admissions in the last 60 seconds'),
  estimatedAdmissionsPerSecond: z.number().describe('The admission rate the room’s estimates use'),
  lastInLineWaitSeconds: z.number().int().describe('Estimated wait of the last in line (0 when nobody waits)'),
  oldestWaitSeconds: z.number().int().describe('How long the head of the room’s queue has been waiting'),
}) satisfies z.ZodType<RoomView>;

export const queueOverviewSchema = z.object({
  waiting: z.number().int(),
  active: z.number().int(),
  maxActive: z.number().int(),
  admitPerSecond: z.number().int(),
  admissionsPerMinute: z.number().int().describe('Admissions in the last 60 seconds'),
  oldestWaitSeconds: z.number().int().describe('How long the head of the queue has been waiting'),
  estimatedAdmissionsPerSecond: z.number(),
  lastInLineWaitSeconds: z.number().int().describe('Estimated wait of the last in line, as its own status poll would say (0 when nobody waits)'),
  activeTtlSeconds: z.number().int(),
  waitingIdleSeconds: z.number().int(),
  defaults: z.object({ maxActive: z.number().int(), admitPerSecond: z.number().int() }).describe('The configured values a null in PATCH returns to'),
}) satisfies z.ZodType<QueueOverview>;
