import { z } from 'zod';
import { AppError } from '../http/app-error';
import { problemFrom } from '../http/problem';
import type { RouteDefinition } from '../http/route';

/** RFC 9457 problem details as this API sends them (`src/platform/http/problem.ts`). */
export const fieldErrorSchema = z.object({
  field: z.string().meta({ description: 'Where the offending value is: `body.email`, `params.id`, `query.limit`, `headers.idempotency-key`' }),
  message: z.string(),
});

export const problemSchema = z
  .looseObject({
    type: z.string().meta({ description: 'A URI reference naming the problem type, e.g. `/problems/validation-failed`' }),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional(),
    code: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/)
      .meta({ description: 'Stable UPPER_SNAKE identifier: branch on this, not on `title`' }),
    correlationId: z.string().optional().meta({ description: 'Same value as the `x-correlation-id` response header' }),
    errors: z.array(fieldErrorSchema).optional().meta({ description: 'Present on 400 VALIDATION_FAILED: one entry per offending field' }),
    retryAfterSeconds: z.number().optional().meta({ description: 'Present on 429: seconds to wait (also in `Retry-After`)' }),
  })
  .meta({ description: 'RFC 9457 problem details (`application/problem+json`). Extension members may be added.' });

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** One status of an operation's responses, possibly covering several problem codes. */
export interface ProblemCase {
  status: number;
  code: string;
  description: string;
  /** Response headers (component names) this case may carry. */
  headers?: string[];
}

/** The problems the platform itself may answer for a route, from its declaration. */
export function platformProblems(route: RouteDefinition): ProblemCase[] {
  const cases: ProblemCase[] = [];
  const hasInput = Boolean(route.body || route.params || route.query || route.idempotent);
  if (hasInput) {
    cases.push({
      status: 400,
      code: 'VALIDATION_FAILED',
      description:
        'The input does not match the schema (or the body is not JSON, holds too many values or nests too deep); `errors` lists every offending field. Nothing was changed.',
    });
  }
  if (route.access !== 'public')
    cases.push({ status: 401, code: 'UNAUTHORIZED', description: 'The bearer token is missing, invalid or expired.', headers: ['WWW-Authenticate'] });
  if (route.access === 'admin') cases.push({ status: 403, code: 'FORBIDDEN', description: 'The caller is not an ADMIN.' });
  if (route.access === 'staff') cases.push({ status: 403, code: 'FORBIDDEN', description: 'The caller is neither STAFF nor an ADMIN.' });
  if (route.queuePass) {
    cases.push({ status: 403, code: 'QUEUE_PASS_REQUIRED', description: 'Behind the waiting room: `X-Queue-Pass` is missing.' });
    cases.push({
      status: 403,
      code: 'QUEUE_PASS_INVALID',
      description:
        route.queuePass === 'checkout'
          ? 'The queue pass is forged, expired, belongs to another user, or was given up by leaving the waiting room (a pass whose visit ended with a purchase still pays here).'
          : 'The queue pass is forged, expired, belongs to another user, or its visit is over (its holder left the waiting room, or bought).',
    });
  }
  if (route.params && !route.responses[404])
    cases.push({ status: 404, code: 'NOT_FOUND', description: 'Nothing exists at this address (or it is not yours).' });
  if (route.idempotent) {
    cases.push({
      status: 409,
      code: 'IDEMPOTENCY_IN_FLIGHT',
      description: 'A request with this `Idempotency-Key` is still running; retry after `Retry-After`.',
      headers: ['Retry-After'],
    });
    cases.push({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED', description: 'This `Idempotency-Key` was used with a different request.' });
  }
  if (route.body) {
    const limit = route.bodyLimitBytes === undefined ? '`BODY_LIMIT_BYTES`' : `${route.bodyLimitBytes} bytes`;
    cases.push({ status: 413, code: 'PAYLOAD_TOO_LARGE', description: `The body is larger than ${limit}.` });
    cases.push({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', description: 'The body is not `application/json` in UTF-8, or is compressed.' });
  }
  if (route.rateLimited)
    cases.push({
      status: 429,
      code: 'RATE_LIMITED',
      description: 'Too many attempts from this address; wait `Retry-After` seconds.',
      headers: ['Retry-After'],
    });
  cases.push({ status: 500, code: 'INTERNAL_ERROR', description: 'Something went wrong on our side; the correlation id finds the log lines.' });
  return cases;
}

/** Problem codes named in a route's own response description (`409: EMAIL_TAKEN ...`). */
export function codesIn(description: string): string[] {
  return [...new Set(description.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? [])];
}

const DEFAULT_CODES: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  402: 'PAYMENT_REQUIRED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  410: 'GONE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

export function defaultCode(status: number): string {
  return DEFAULT_CODES[status] ?? `HTTP_${status}`;
}

/** An example problem body rendered by the same code that renders real ones. */
export function exampleProblem(status: number, code: string, detail: string): Record<string, unknown> {
  const title = code
    .toLowerCase()
    .split('_')
    .map((w, i) => (i === 0 ? w[0].toUpperCase() + w.slice(1) : w))
    .join(' ');
  // A description that is only the code says nothing more: the title stands in for the detail.
  const rest = detail.replace(code, '').replace(/^[\s:;,.()\u2013\u2014-]+|[\s()]+$/g, '');
  const extra = code === 'VALIDATION_FAILED' ? { errors: [{ field: 'body.email', message: 'must be a valid e-mail address' }] } : {};
  return { ...problemFrom(new AppError(status, code, title, rest ? detail : `${title}.`, extra)), correlationId: '6f1c2b9e-0d4a-4f57-9a0e-2c51f0a7d3b1' };
}
