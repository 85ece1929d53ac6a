import { z } from 'zod';

/**
 * Schemas for the parts of a request every module reads the same way. Path and query values
 * arrive as text: an integer is accepted only in its one canonical decimal spelling, so `045`,
 * `45.0`, `0x2d`, `4.5e1` or ` 45` are refused instead of being read as 45.
 */
export function integerText(options: { min?: number; max?: number } = {}) {
  const min = options.min ?? 1;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const what = min === 1 && max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer from ${min} to ${max}`;
  return z
    .string(`must be ${what}`)
    .regex(/^(0|-?[1-9][0-9]{0,15})$/, `must be ${what}, written in plain decimal digits`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be ${what}`).max(max, `must be ${what}`));
}

/** Characters a name shown to people never needs: control characters (NUL included) and format characters (bidi overrides, zero-width marks). */
const INVISIBLE = /[\p{Cc}\p{Cf}]/u;

/** Trimmed, non-empty text of at most `max` characters without control or format characters. */
export function plainText(max: number, required?: { error: (issue: { input?: unknown }) => string }) {
  return z
    .string(required)
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !INVISIBLE.test(v), 'must not contain control characters (such as NUL) or invisible formatting characters (such as bidi overrides)');
}
