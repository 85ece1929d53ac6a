import CircuitBreaker from 'opossum';
import type { Clock } from '../clock/clock';
import type { Logger } from '../logging/logger';

export type CircuitState = 'closed' | 'probe' | 'open';

export interface BreakerTuning {
  /** Failed calls (in %) over the rolling window that open the circuit... */
  errorThresholdPercentage: number;
  /** ...once at least this many calls were made in the window. */
  volumeThreshold: number;
  rollingWindowMs: number;
  /** How long an open circuit lets nothing through before one probe call. */
  resetMs: number;
}

export type BreakerOutcome = { kind: 'done' } | { kind: 'not-sent' } | { kind: 'failed'; error: unknown };

/** Longest delay a Node timer takes; opossum's own reset timer is pushed out of the way with it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * An opossum circuit breaker in front of an outside service (a sink, a mail server), with its
 * open period measured on the platform Clock (so tests move time instead of sleeping). opossum
 * decides when to open (failure rate over its rolling window, above a minimum volume); after
 * `resetMs` open, one probe call is let through: success closes the circuit, failure opens it
 * again. `isRefusal(err)` names failures that prove the service is up (a refusal of this one
 * request): they do not count towards opening.
 */
export class ClockedBreaker<A extends unknown[]> {
  private readonly breaker: CircuitBreaker<A, void>;
  private openedAtMs = 0;

  constructor(
    private readonly name: string,
    call: (...args: A) => Promise<void>,
    private readonly tuning: BreakerTuning,
    private readonly clock: Clock,
    private readonly logger: Logger,
    isRefusal: (err: unknown) => boolean,
  ) {
    this.breaker = new CircuitBreaker(call, {
      name,
      // Each call carries its own timeout.
      timeout: false,
      resetTimeout: MAX_TIMER_MS,
      errorThresholdPercentage: tuning.errorThresholdPercentage,
      volumeThreshold: tuning.volumeThreshold,
      rollingCountTimeout: tuning.rollingWindowMs,
      rollingCountBuckets: 10,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      errorFilter: isRefusal,
    });
    this.breaker.on('open', () => {
      this.openedAtMs = this.clock.now();
      this.logger.warn({ circuit: name, resetMs: tuning.resetMs }, `${name} circuit opened: calls paused`);
    });
  }

  state(): CircuitState {
    if (this.breaker.closed) return 'closed';
    return this.clock.now() - this.openedAtMs >= this.tuning.resetMs ? 'probe' : 'open';
  }

  /** One call through the circuit. In the `probe` state, make one call and wait for it. */
  async fire(isRetryable: (err: unknown) => boolean, ...args: A): Promise<BreakerOutcome> {
    const state = this.state();
    if (state === 'open') return { kind: 'not-sent' };
    const probing = state === 'probe';
    if (probing) this.breaker.close();
    try {
      await this.breaker.fire(...args);
      if (probing) this.logger.info({ circuit: this.name }, `${this.name} circuit closed: it answers again`);
      return { kind: 'done' };
    } catch (err) {
      if ((err as { code?: string }).code === 'EOPENBREAKER') return { kind: 'not-sent' };
      // A failed probe opens the circuit again whatever the rolling statistics say.
      if (probing && isRetryable(err)) this.breaker.open();
      return { kind: 'failed', error: err };
    }
  }
}
