import type { ZodType } from 'zod';
import { errors, type FieldError } from './app-error';

/** Parses one part of a request; any problem becomes a 400 naming the offending fields. */
export function parseInput<T>(schema: ZodType<T> | undefined, value: unknown, location: 'body' | 'params' | 'query' | 'headers'): T {
  if (!schema) return value as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fieldErrors: FieldError[] = result.error.issues.map((issue) => ({
    field: [location, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw errors.validation(fieldErrors);
}
