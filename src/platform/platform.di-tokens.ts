/** Services the platform binds; module containers inherit them from the root container. */
export const PLATFORM = {
  Clock: Symbol.for('platform.Clock'),
  Logger: Symbol.for('platform.Logger'),
  /** The one way to wait for an aggregate to change (see Changes). */
  Changes: Symbol.for('platform.Changes'),
  AccessTokens: Symbol.for('platform.AccessTokens'),
  QueuePasses: Symbol.for('platform.QueuePasses'),
  /** E-ticket codes: signing and offline verification (TICKET_SECRET). */
  TicketCodes: Symbol.for('platform.TicketCodes'),
  Metrics: Symbol.for('platform.Metrics'),
  /** An AbortSignal aborted when the process starts stopping: long waits (long-polls) end early on it. */
  Shutdown: Symbol.for('platform.Shutdown'),
  /** Bound in each module's own container: that module's database. */
  Database: Symbol.for('platform.Database'),
  /** Bound in each module's own container: that module's outbox. */
  Outbox: Symbol.for('platform.Outbox'),
  /** Bound in each module's own container: that module's own settings (see ModuleSettings). */
  Settings: Symbol.for('platform.Settings'),
  /** Bound in each module's own container: where that module's Idempotency-Keys live. */
  Idempotency: Symbol.for('platform.Idempotency'),
} as const;
