import { inject, injectable } from 'inversify';
import { backoffDelayMs } from '../../../platform/bus/backoff';
import type { Clock } from '../../../platform/clock/clock';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { DATA_PLATFORM } from '../data-platform.di-tokens';
import type { DataPlatformMetrics } from '../data-platform.metrics';
import type { DataPlatformOptions } from '../data-platform.options';
import type { DeliveryResult, ReservationRecord, ReservationRecords } from '../reservation-records.repository';
import type { SendOutcome, SinkBreaker } from '../sink/sink-breaker';
import type { SinkClient } from '../sink/sink-client';

/** Batches one pass may deliver before yielding to the next run. */
const MAX_BATCHES_PER_PASS = 50;

/**
 * Delivers stored records to DATA_PLATFORM_URL, on its own schedule and outside any
 * transaction: read what is due, POST it (a few at a time, through the circuit breaker), then
 * write every outcome of the batch in one transaction. A failed POST is retried with
 * exponential backoff and jitter (next_attempt_at_ms per record); after `maxAttempts` the record
 * is FAILED and retried only every `failedRetryMs`. Nothing here can fail an event handler or
 * a reservation: the handlers only insert rows.
 */
@injectable()
export class RecordDeliverer {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private newRecords = false;

  constructor(
    @inject(DATA_PLATFORM.Records) private readonly records: ReservationRecords,
    @inject(DATA_PLATFORM.SinkBreaker) private readonly breaker: SinkBreaker,
    @inject(DATA_PLATFORM.SinkClient) private readonly client: SinkClient,
    @inject(DATA_PLATFORM.Metrics) private readonly metrics: DataPlatformMetrics,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(DATA_PLATFORM.Options) private readonly options: DataPlatformOptions,
  ) {}

  get enabled(): boolean {
    return this.client.url !== null;
  }

  /** The state a new record starts in. */
  initialDelivery(): 'PENDING' | 'DISABLED' {
    return this.enabled ? 'PENDING' : 'DISABLED';
  }

  /** Called by a handler that stored a record: the next commit kicks a delivery pass. */
  noteNewRecord(): void {
    this.newRecords = true;
  }

  /** Commit listener of the module database. */
  afterCommit(): void {
    if (!this.newRecords) return;
    this.newRecords = false;
    void this.run().catch((err) => this.logger.warn({ err }, 'data-platform delivery pass failed'));
  }

  /**
   * Runs a delivery pass. Passes never overlap: a call during a pass waits for it and then runs
   * one more (so a caller always gets a pass that started after its call).
   */
  run(): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    if (!this.running) {
      this.running = this.pass().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.run();
      });
    return this.queued;
  }

  private async pass(): Promise<void> {
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch += 1) {
      const state = this.breaker.state();
      if (state === 'open') return;
      // A probe is one record: the circuit closes only once the sink has taken it.
      const due = await this.records.dueForDelivery(this.clock.now(), state === 'probe' ? 1 : this.options.batchSize);
      if (due.length === 0) return;
      const { results, interrupted } = await this.send(due);
      await this.records.recordDeliveryResults(results, this.clock.now());
      if (interrupted) return;
      if (state === 'closed' && due.length < this.options.batchSize) return;
    }
  }

  private async send(due: ReservationRecord[]): Promise<{ results: DeliveryResult[]; interrupted: boolean }> {
    const results: DeliveryResult[] = [];
    let next = 0;
    let interrupted = false;
    const worker = async () => {
      while (!interrupted && next < due.length) {
        const record = due[next];
        next += 1;
        const outcome = await this.breaker.send(record);
        if (outcome.kind === 'not-sent') {
          interrupted = true;
          return;
        }
        this.metrics.sinkPosts.inc({ outcome: outcome.kind === 'delivered' ? 'delivered' : outcome.retryable ? 'failed' : 'refused' });
        results.push(this.resultOf(record, outcome));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, due.length) }, worker));
    return { results, interrupted };
  }

  private resultOf(record: ReservationRecord, outcome: Exclude<SendOutcome, { kind: 'not-sent' }>): DeliveryResult {
    if (outcome.kind === 'delivered') return { reservationId: record.reservationId, outcome: 'DELIVERED' };
    const now = this.clock.now();
    const attempts = record.deliveryAttempts + 1;
    const exhausted = !outcome.retryable || attempts >= this.options.maxAttempts || record.delivery === 'FAILED';
    if (exhausted) {
      if (record.delivery !== 'FAILED') {
        this.logger.warn({ reservationId: record.reservationId, attempts, err: outcome.error }, 'data-platform record FAILED; it will be retried slowly');
      }
      const slow = this.options.failedRetryMs;
      return { reservationId: record.reservationId, outcome: 'FAILED', error: outcome.error, nextAttemptAtMs: now + Math.round(slow * (0.75 + Math.random() * 0.5)) };
    }
    this.logger.debug({ reservationId: record.reservationId, attempts, err: outcome.error }, 'data-platform delivery failed; will retry');
    return { reservationId: record.reservationId, outcome: 'PENDING', error: outcome.error, nextAttemptAtMs: now + backoffDelayMs(attempts, this.options.retryBaseMs) };
  }
}
