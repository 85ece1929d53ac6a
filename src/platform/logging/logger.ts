import pino, { type DestinationStream, type Logger } from 'pino';
import { currentContext } from '../context/request-context';

export type { Logger };

/**
 * Structured JSON logs. Every line carries the correlation id of the request or event being
 * handled. Secrets never reach a line: known sensitive keys are redacted wherever they appear.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const ctx = currentContext();
        return ctx ? { correlationId: ctx.correlationId } : {};
      },
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'accessToken',
          '*.accessToken',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'headers["x-queue-pass"]',
          'secret',
          '*.secret',
          'passwordHash',
          '*.passwordHash',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
