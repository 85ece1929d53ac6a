import type { Request } from 'express';
import type { ZodType, z } from 'zod';
import type { AuthUser } from '../auth/access-token';
import type { IdempotentCall } from '../idempotency/idempotency-store';
import type { HttpResult } from './http-result';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** `staff`: a `STAFF` or an `ADMIN` (the door). */
export type Access = 'public' | 'user' | 'staff' | 'admin';

export interface ResponseSpec {
  description: string;
  schema?: ZodType;
  /** Media type when the body is not JSON (e.g. `text/html`); documented as a string body. */
  contentType?: string;
  /** An example body, shown in the API documentation. */
  example?: unknown;
}

export interface HandlerInput<B, P, Q> {
  body: B;
  params: P;
  query: Q;
  /** Set on every route whose access is not public. */
  user: AuthUser;
  header(name: string): string | undefined;
  req: Request;
  /** On an idempotent route called with an Idempotency-Key: lets the handler store its answer with its effect. */
  idempotency?: IdempotentCall;
}

export type { HttpResult } from './http-result';

/**
 * One HTTP endpoint, declared as data: the platform mounts it with its checks in the spec's
 * order (authentication, role, queue pass, input, then the handler's business rules), and the
 * same declaration feeds the API documentation.
 */
export interface RouteDefinition<B extends ZodType = ZodType, P extends ZodType = ZodType, Q extends ZodType = ZodType> {
  method: HttpMethod;
  /** Express syntax: `/ticketing/reservations/:id`. */
  path: string;
  summary: string;
  /** Longer Markdown text for the API documentation. */
  description?: string;
  tags: string[];
  access: Access;
  /**
   * Requires a valid `X-Queue-Pass` bound to the caller. `checkout` (paying) also takes a pass
   * whose visit ended in a purchase, so a buyer can pay for every seat held during the visit.
   */
  queuePass?: true | 'checkout';
  /**
   * With `queuePass`: the concert this request is about, from the module's own data (null when it
   * cannot tell, e.g. an unknown id the handler will refuse). Run after the input is validated;
   * a pass of another concert's waiting room (or the default room's pass for a concert with a
   * room of its own) is then refused with 403 `QUEUE_PASS_INVALID`.
   */
  passConcert?: (input: HandlerInput<z.infer<B>, z.infer<P>, z.infer<Q>>) => Promise<number | null>;
  /** Honours `Idempotency-Key`. */
  idempotent?: boolean;
  /** Largest accepted JSON body for this route (default BODY_LIMIT_BYTES). Only routes with a `body` read one. */
  bodyLimitBytes?: number;
  /** Most values (containers and separators) the body may hold (default 1 000): what bounds the memory a parse takes. */
  bodyMaxValues?: number;
  /** Per-IP limit for credential endpoints. */
  rateLimited?: boolean;
  /**
   * The domain error codes this route may answer, with their HTTP status. A DomainError whose
   * code is not here is a bug (answered 500 and logged). The map also documents the route's
   * problems; `responses[status].description` describes them in prose.
   */
  errors?: Record<string, number>;
  /** Documented request headers other than the standard ones. */
  headers?: Array<{ name: string; required: boolean; description: string }>;
  body?: B;
  /** An example request body for the API documentation; it must pass `body`. */
  bodyExample?: z.input<B>;
  params?: P;
  query?: Q;
  responses: Record<number, ResponseSpec>;
  handle(input: HandlerInput<z.infer<B>, z.infer<P>, z.infer<Q>>): Promise<HttpResult>;
}

/** Keeps the handler's input types tied to the declared schemas. */
export function defineRoute<
  B extends ZodType = ZodType<undefined>,
  P extends ZodType = ZodType<Record<string, never>>,
  Q extends ZodType = ZodType<Record<string, never>>,
>(route: RouteDefinition<B, P, Q>): RouteDefinition {
  return route as unknown as RouteDefinition;
}
