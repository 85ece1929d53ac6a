import { DomainError } from '../domain/domain-error';
import { AppError } from './app-error';

/** An undeclared code: the route's `errors` map is missing it (a bug), so it is not an answer the client was promised. */
export class UndeclaredDomainError extends Error {
  constructor(
    readonly error: DomainError,
    where: string,
  ) {
    super(`${where} answered domain error ${error.code}, which its errors map does not declare`);
    this.name = 'UndeclaredDomainError';
  }
}

/** The HTTP answer to a domain error, by the status the route declared for its code. */
export function problemFor(error: DomainError, statuses: Readonly<Record<string, number>> | undefined, where: string): AppError {
  const status = statuses?.[error.code];
  if (status === undefined) throw new UndeclaredDomainError(error, where);
  const retryAfter = error.retryAfterSeconds ?? error.extra.retryAfterSeconds;
  const headers = typeof retryAfter === 'number' ? { 'Retry-After': String(Math.max(1, Math.ceil(retryAfter))) } : undefined;
  return new AppError(status, error.code, error.title, error.detail, error.extra, headers);
}

/** Turns a DomainError into its route's problem; anything else passes through. */
export function asHttpError(err: unknown, statuses: Readonly<Record<string, number>> | undefined, where: string): unknown {
  return err instanceof DomainError ? problemFor(err, statuses, where) : err;
}
