/** A failure the client caused or must know about; rendered as an RFC 9457 problem. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'AppError';
  }
}

export interface FieldError {
  field: string;
  message: string;
}

export const errors = {
  validation: (fieldErrors: FieldError[], detail = 'The request is not valid.') =>
    new AppError(400, 'VALIDATION_FAILED', 'Validation failed', detail, { errors: fieldErrors }),
  unauthorized: (detail = 'A valid bearer token is required.') =>
    new AppError(401, 'UNAUTHORIZED', 'Unauthorized', detail, {}, { 'WWW-Authenticate': 'Bearer' }),
  forbidden: (detail = 'Your role does not allow this.') => new AppError(403, 'FORBIDDEN', 'Forbidden', detail),
  notFound: (what = 'Resource', detail?: string) => new AppError(404, 'NOT_FOUND', `${what} not found`, detail ?? `${what} not found.`),
  conflict: (code: string, title: string, detail?: string, extra?: Record<string, unknown>) => new AppError(409, code, title, detail, extra),
  tooManyRequests: (retryAfterSeconds: number, detail = 'Too many requests.') =>
    new AppError(429, 'RATE_LIMITED', 'Too many requests', detail, { retryAfterSeconds }, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) }),
};
