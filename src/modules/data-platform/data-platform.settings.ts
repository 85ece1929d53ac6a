import { envVar } from '../../platform/config/config';
import { moduleSettings } from '../../platform/config/module-settings';

/**
 * Tuning of the sink delivery. Module constants rather than environment variables: the spec
 * names only DATA_PLATFORM_URL, and these defaults suit any sink that answers within seconds.
 */
export interface DeliveryTuning {
  /** How often the delivery job runs (it is also kicked right after a new record commits). */
  deliveryIntervalMs: number;
  /** Records read per batch; a pass goes on batch after batch while records are due. */
  batchSize: number;
  /** POSTs in flight at once within a batch. */
  concurrency: number;
  /** Per-POST timeout (AbortSignal.timeout). */
  requestTimeoutMs: number;
  /** Fast retries (exponential backoff with jitter from retryBaseMs) before a record is FAILED. */
  maxAttempts: number;
  retryBaseMs: number;
  /** A FAILED record is still retried, at this slow pace (± jitter), until the sink takes it. */
  failedRetryMs: number;
  breaker: {
    /** Failed POSTs (in %) over the rolling window that open the circuit... */
    errorThresholdPercentage: number;
    /** ...once at least this many POSTs were made in the window. */
    volumeThreshold: number;
    rollingWindowMs: number;
    /** How long an open circuit sends nothing before one probe POST is let through. */
    resetMs: number;
  };
}

export const DELIVERY_TUNING: Readonly<DeliveryTuning> = {
  deliveryIntervalMs: 500,
  batchSize: 100,
  concurrency: 4,
  requestTimeoutMs: 5000,
  maxAttempts: 10,
  retryBaseMs: 1000,
  failedRetryMs: 10 * 60_000,
  breaker: { errorThresholdPercentage: 50, volumeThreshold: 5, rollingWindowMs: 30_000, resetMs: 15_000 },
};

export interface DataPlatformSettings {
  /** DATA_PLATFORM_URL; null: no sink, records are stored as DISABLED and nothing is sent. */
  sinkUrl: string | null;
  delivery: Readonly<DeliveryTuning>;
}

export const dataPlatformSettings = moduleSettings(
  { DATA_PLATFORM_URL: envVar.url.optional() },
  (v): DataPlatformSettings => ({ sinkUrl: v.DATA_PLATFORM_URL ?? null, delivery: DELIVERY_TUNING }),
);
