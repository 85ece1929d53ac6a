import { inject, injectable } from 'inversify';
import { backoffDelayMs } from '../../../platform/bus/backoff';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { every } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { type DataPlatformSettings, DELIVERY_TUNING, type DeliveryTuning } from '../data-platform.settings';
import { afterPost, type DeliveryResult, type RetryPolicy } from '../domain/delivery';
import type { ReservationRecord } from '../domain/reservation-record';
import { DataPlatformMetrics } from '../infrastructure/data-platform.metrics';
import { ReservationRecords } from '../infrastructure/reservation-records.repository';
import { SinkBreaker } from '../infrastructure/sink-breaker';

/** Batches one pass may deliver before yielding to the next run. */
const MAX_BATCHES_PER_PASS = 50;

/**
 * Delivers stored records to DATA_PLATFORM_URL, on its own schedule and outside any
 * transaction: read what is due, POST it (a few at a time, through the circuit breaker), then
 * write every outcome of the batch in one transaction. A failed POST is retried with
 * exponential backoff and jitter (next_attempt_at_ms per record); after `maxAttempts` the record
 * is FAILED and retried only every `failedRetryMs` (domain/delivery.ts decides). Nothing here can
 * fail an event handler or a reservation: the handlers only insert rows.
 */
@injectable()
export class DeliverRecordsJob {
  static readonly schedule = every(DELIVERY_TUNING.deliveryIntervalMs, 'deliver-records');

  private readonly tuning: Readonly<DeliveryTuning>;
  private readonly retries: RetryPolicy;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private newRecords = false;

  constructor(
    @inject(PLATFORM.Settings) private readonly settings: DataPlatformSettings,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(ReservationRecords) private readonly records: ReservationRecords,
    @inject(SinkBreaker) private readonly breaker: SinkBreaker,
    @inject(DataPlatformMetrics) private readonly metrics: DataPlatformMetrics,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
  ) {
    this.tuning = settings.delivery;
    const { maxAttempts, retryBaseMs, failedRetryMs } = this.tuning;
    this.retries = { maxAttempts, failedRetryMs, backoffMs: (attempts) => backoffDelayMs(attempts, retryBaseMs) };
  }

  /** Called by the handler that stored a record: the next commit kicks a delivery pass. */
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
    if (this.settings.sinkUrl === null) return Promise.resolve();
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
      const due = await this.records.dueForDelivery(this.db.direct, this.clock.now(), state === 'probe' ? 1 : this.tuning.batchSize);
      if (due.length === 0) return;
      const { results, interrupted } = await this.send(due);
      if (results.length > 0) {
        const nowMs = this.clock.now();
        await this.db.transaction((trx) => this.records.recordDeliveryResults(trx, results, nowMs));
      }
      if (interrupted) return;
      if (state === 'closed' && due.length < this.tuning.batchSize) return;
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
        this.metrics.countPost(outcome);
        const result = afterPost(record, outcome, this.clock.now(), this.retries);
        if (result.outcome !== 'DELIVERED') this.logFailure(record, result);
        results.push(result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.tuning.concurrency, due.length) }, worker));
    return { results, interrupted };
  }

  private logFailure(record: ReservationRecord, result: Exclude<DeliveryResult, { outcome: 'DELIVERED' }>): void {
    const attempts = record.deliveryAttempts + 1;
    if (result.outcome === 'PENDING') {
      this.logger.debug({ reservationId: record.reservationId, attempts, err: result.error }, 'data-platform delivery failed; will retry');
    } else if (record.delivery !== 'FAILED') {
      this.logger.warn({ reservationId: record.reservationId, attempts, err: result.error }, 'data-platform record FAILED; it will be retried slowly');
    }
  }
}
