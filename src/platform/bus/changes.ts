/** How a wait ends: with what the check found, or with null once the time is up (or the process stops). */
export interface WaitOptions {
  timeoutMs: number;
  /** Re-check at least this often, for changes no notice reports (another process, a timer). Default 250 ms. */
  pollMs?: number;
  /** Ends the wait early (shutdown). */
  signal?: AbortSignal;
}

import { setMaxListeners } from 'node:events';
import { EventEmitter2 } from 'eventemitter2';

const DEFAULT_POLL_MS = 250;

/**
 * The one way to wait for something to happen to an aggregate: "resolve when this aggregate
 * changes in this module, or at the deadline". A module's state changes either publish an
 * event (the outbox notices it when the transaction ends) or come from an event its inbox handled
 * (the inbox notices it): both wake the waiters of that (module, aggregate), which then run their
 * own check against the module's database. A notice means "look again", never "it changed", so a
 * rolled-back write or another aggregate's noise costs one check and nothing else. Because the
 * check reads the database, and a poll runs whatever the notices say, the wait gives the same
 * answer when the writer runs in another process; notices only make it prompt.
 */
export class Changes {
  /** In-process notices, one event name per (module, aggregate); listeners never throw. */
  private readonly notices = new EventEmitter2({ wildcard: false, maxListeners: 0, ignoreErrors: true });

  constructor(private readonly shutdown?: AbortSignal) {
    // Every wait in progress listens to the shutdown (a rush has thousands of them): not a leak.
    if (shutdown) setMaxListeners(0, shutdown);
  }

  /** Something about `aggregateId` in `module` may have changed (after a transaction ended). */
  notify(module: string, aggregateId: string | number): void {
    this.notices.emit(key(module, aggregateId));
  }

  /**
   * Runs `check` now and again at every notice (and every `pollMs`) until it returns a value
   * other than null or undefined, which the wait resolves with; null when `timeoutMs` passes or
   * the wait is aborted. The watch starts before the first check, so a change between the check
   * and the wait is not missed.
   */
  async waitUntil<T>(module: string, aggregateId: string | number, check: () => Promise<T | null | undefined>, options: WaitOptions): Promise<T | null> {
    const deadline = Date.now() + options.timeoutMs;
    const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    const signals = [options.signal, this.shutdown].filter((s): s is AbortSignal => s !== undefined);
    const k = key(module, aggregateId);
    let noticed = false;
    let wake: (() => void) | null = null;
    const onNotice = () => {
      noticed = true;
      wake?.();
    };
    this.notices.on(k, onNotice);
    for (const s of signals) s.addEventListener('abort', onNotice);
    try {
      for (;;) {
        noticed = false;
        const found = await check();
        if (found !== null && found !== undefined) return found;
        const left = deadline - Date.now();
        if (left <= 0 || signals.some((s) => s.aborted)) return null;
        if (noticed) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => wake?.(), Math.min(left, pollMs));
          wake = () => {
            clearTimeout(timer);
            wake = null;
            resolve();
          };
        });
      }
    } finally {
      this.notices.off(k, onNotice);
      for (const s of signals) s.removeEventListener('abort', onNotice);
    }
  }

  /** Waits in progress on one aggregate (for tests and gauges). */
  waitingOn(module: string, aggregateId: string | number): number {
    return this.notices.listenerCount(key(module, aggregateId));
  }
}

function key(module: string, aggregateId: string | number): string {
  return `${module}\u0000${aggregateId}`;
}
