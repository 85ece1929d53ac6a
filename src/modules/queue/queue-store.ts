import type { Transaction } from '../../platform/db/module-database';
import type { QueueOverview, TicketView } from './domain/views';

export type JoinOutcome = { view: TicketView; created: boolean };

/** What `PATCH /admin/queue` may change: an absent field keeps the current override, `null` restores the configured value. */
export interface FlowPatch {
  maxActive?: number | null;
  admitPerSecond?: number | null;
}

/**
 * The waiting room's live state: where a poll is answered from and where every decision against
 * the cap, the rate and the order is taken. The module database stays the record in both
 * implementations (ADR 0008, ADR 0011):
 * - `memory` (default): an index in this process, rebuilt from the database at start-up; the
 *   module then runs in one process;
 * - `redis` (`QUEUE_STORE=redis`): the live state in Redis, each decision one Lua script, so any
 *   number of replicas share it; rebuilt from the database when Redis has lost it.
 * The use cases (commands, queries, the handler, the jobs) only delegate to it.
 */
export interface QueueStore {
  /** Start-up: (re)build the live state from the database. */
  restore(): Promise<void>;
  /**
   * `POST /queue/token`: the caller's live token, or a new one at the back of the queue. `token`:
   * the one to use for a new token (a pre-queue token placed at its room's opening keeps the
   * token its holder already polls with); joins called one after another, without waiting, are
   * placed in that order.
   */
  join(userId: number, token?: string): Promise<JoinOutcome>;
  /** `GET /queue/status`: throws `QUEUE_TOKEN_NOT_FOUND` or `RATE_LIMITED`. */
  status(userId: number, token: string): Promise<TicketView>;
  /** `DELETE /queue/token`; repeating it is harmless. */
  leave(userId: number, token: string): Promise<void>;
  /** The admission cycle: expire passes and idle waiters, then admit the head within both limits. */
  runCycle(): Promise<void>;
  /** `reservation.success`, in the subscriber's transaction: the user's active token becomes COMPLETED. */
  completeVisit(userId: number, trx: Transaction): Promise<void>;
  overview(): Promise<QueueOverview>;
  updateFlow(patch: FlowPatch): Promise<QueueOverview>;
  /** For the gauges: the latest counts known (no I/O for the in-memory store). */
  counts(): Promise<{ waiting: number; active: number }>;
  /** Releases connections (the platform is stopping). */
  close(): Promise<void>;
  /** Its room was closed (its tokens ended in the database): the live state is deleted, then connections released. */
  discard(): Promise<void>;
}

export const QUEUE_STORE = Symbol.for('queue.QueueStore');
