/**
 * A refusal by a module's rules, named by a stable UPPER_SNAKE code. Domain code and use cases
 * throw (or return) these and know nothing of HTTP: each route declares which codes it may
 * answer and with which status (`defineRoute({ errors: { SEAT_UNAVAILABLE: 409 } })`), and the
 * same map documents them in OpenAPI.
 */
export class DomainError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    readonly title: string,
    readonly detail: string,
    /** Extra members of the problem body (numbers the client can act on). A `retryAfterSeconds` member also becomes `Retry-After`. */
    readonly extra: Record<string, unknown> = {},
    /** When the client should try again, for `Retry-After`, where the body does not say it itself. */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
    this.name = 'DomainError';
  }
}
