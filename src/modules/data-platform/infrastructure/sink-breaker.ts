import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { type CircuitState, ClockedBreaker } from '../../../platform/resilience/clocked-breaker';
import type { DataPlatformSettings } from '../data-platform.settings';
import type { PostOutcome } from '../domain/delivery';
import type { ReservationRecord } from '../domain/reservation-record';
import { SinkClient, SinkError } from './sink-client';

export type { CircuitState };

export type SendOutcome =
  | PostOutcome
  /** The circuit is open: nothing was sent, so the attempt does not count. */
  | { kind: 'not-sent' };

const retryable = (err: unknown): boolean => !(err instanceof SinkError) || err.retryable;

/**
 * The circuit breaker in front of the sink (the kernel's `ClockedBreaker`: opossum decides when to
 * open, the platform Clock how long it stays open, then one probe POST). A refusal by the sink
 * (4xx) proves the sink is up, so it does not count as a failure.
 */
@injectable()
export class SinkBreaker {
  private readonly breaker: ClockedBreaker<[ReservationRecord]>;

  constructor(
    @inject(SinkClient) client: SinkClient,
    @inject(PLATFORM.Clock) clock: Clock,
    @inject(PLATFORM.Logger) logger: Logger,
    @inject(PLATFORM.Settings) settings: DataPlatformSettings,
  ) {
    this.breaker = new ClockedBreaker(
      'data-platform-sink',
      (record: ReservationRecord) => client.post(record),
      settings.delivery.breaker,
      clock,
      logger,
      (err) => !retryable(err),
    );
  }

  state(): CircuitState {
    return this.breaker.state();
  }

  /** Sends one record through the circuit. In the `probe` state, send one record and wait for it. */
  async send(record: ReservationRecord): Promise<SendOutcome> {
    const outcome = await this.breaker.fire(retryable, record);
    if (outcome.kind === 'done') return { kind: 'delivered' };
    if (outcome.kind === 'not-sent') return outcome;
    const sinkError = outcome.error instanceof SinkError ? outcome.error : new SinkError(String(outcome.error), true);
    return { kind: 'failed', retryable: sinkError.retryable, error: sinkError.message };
  }
}
