import { inject, injectable } from 'inversify';
import CircuitBreaker from 'opossum';
import type { Clock } from '../../../platform/clock/clock';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { DataPlatformSettings } from '../data-platform.settings';
import type { PostOutcome } from '../domain/delivery';
import type { ReservationRecord } from '../domain/reservation-record';
import { SinkClient, SinkError } from './sink-client';

export type CircuitState = 'closed' | 'probe' | 'open';

export type SendOutcome =
  | PostOutcome
  /** The circuit is open: nothing was sent, so the attempt does not count. */
  | { kind: 'not-sent' };

/** Longest delay a Node timer takes; opossum's own reset timer is pushed out of the way with it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The opossum circuit breaker in front of the sink. opossum decides when to open (failure rate
 * over its rolling window, above a minimum volume); how long the circuit stays open is measured
 * on the platform Clock (so tests move time instead of sleeping): after `resetMs`, one probe POST
 * is let through; success closes the circuit, failure opens it for another `resetMs`.
 * A refusal by the sink (4xx) proves the sink is up, so it does not count as a failure.
 */
@injectable()
export class SinkBreaker {
  private readonly breaker: CircuitBreaker<[ReservationRecord], void>;
  private readonly resetMs: number;
  private openedAtMs = 0;

  constructor(
    @inject(SinkClient) client: SinkClient,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(PLATFORM.Settings) settings: DataPlatformSettings,
  ) {
    const { breaker } = settings.delivery;
    this.resetMs = breaker.resetMs;
    this.breaker = new CircuitBreaker((record: ReservationRecord) => client.post(record), {
      name: 'data-platform-sink',
      // Each POST carries its own AbortSignal.timeout.
      timeout: false,
      resetTimeout: MAX_TIMER_MS,
      errorThresholdPercentage: breaker.errorThresholdPercentage,
      volumeThreshold: breaker.volumeThreshold,
      rollingCountTimeout: breaker.rollingWindowMs,
      rollingCountBuckets: 10,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      errorFilter: (err: unknown) => err instanceof SinkError && !err.retryable,
    });
    this.breaker.on('open', () => {
      this.openedAtMs = this.clock.now();
      this.logger.warn({ sink: 'data-platform', resetMs: breaker.resetMs }, 'data-platform sink circuit opened: deliveries paused');
    });
  }

  state(): CircuitState {
    if (this.breaker.closed) return 'closed';
    return this.clock.now() - this.openedAtMs >= this.resetMs ? 'probe' : 'open';
  }

  /** Sends one record through the circuit. In the `probe` state, send one record and wait for it. */
  async send(record: ReservationRecord): Promise<SendOutcome> {
    const state = this.state();
    if (state === 'open') return { kind: 'not-sent' };
    const probing = state === 'probe';
    if (probing) this.breaker.close();
    try {
      await this.breaker.fire(record);
      if (probing) this.logger.info({ sink: 'data-platform' }, 'data-platform sink circuit closed: the sink answers again');
      return { kind: 'delivered' };
    } catch (err) {
      if ((err as { code?: string }).code === 'EOPENBREAKER') return { kind: 'not-sent' };
      const sinkError = err instanceof SinkError ? err : new SinkError(String(err), true);
      // A failed probe opens the circuit again whatever the rolling statistics say.
      if (probing && sinkError.retryable) this.breaker.open();
      return { kind: 'failed', retryable: sinkError.retryable, error: sinkError.message };
    }
  }
}
