import { inject, injectable } from 'inversify';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { DataPlatformSettings } from '../data-platform.settings';
import type { ReservationRecord } from '../domain/reservation-record';

/** A POST the sink did not take. `retryable` is false when the sink refused the record itself (4xx). */
export class SinkError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'SinkError';
  }
}

/** The JSON body POSTed to DATA_PLATFORM_URL for one record. */
export interface SinkPayload {
  reservationId: number;
  userId: number;
  concertId: number;
  concertTitle: string | null;
  artist: string | null;
  venue: string | null;
  scheduleId: number;
  startsAt: string | null;
  seatId: number;
  seatLabel: string;
  amount: number;
  currency: 'KRW';
  paymentId: number;
  confirmedAt: string;
  status: ReservationRecord['status'];
  cancelledAt: string | null;
}

export function toSinkPayload(record: ReservationRecord): SinkPayload {
  return {
    reservationId: record.reservationId,
    userId: record.userId,
    concertId: record.concertId,
    concertTitle: record.concertTitle,
    artist: record.artist,
    venue: record.venue,
    scheduleId: record.scheduleId,
    startsAt: record.startsAt,
    seatId: record.seatId,
    seatLabel: record.seatLabel,
    amount: record.amount,
    currency: 'KRW',
    paymentId: record.paymentId,
    confirmedAt: new Date(record.confirmedAtMs).toISOString(),
    status: record.status,
    cancelledAt: record.cancelledAtMs === null ? null : new Date(record.cancelledAtMs).toISOString(),
  };
}

/**
 * The HTTP side of the sink: one POST per record, with `Idempotency-Key: <reservationId>` so
 * the sink can drop a repeat (a record is re-sent only if the process died between the POST
 * and writing down its outcome).
 */
@injectable()
export class SinkClient {
  constructor(@inject(PLATFORM.Settings) private readonly settings: DataPlatformSettings) {}

  get url(): string | null {
    return this.settings.sinkUrl;
  }

  async post(record: ReservationRecord): Promise<void> {
    const url = this.url;
    if (!url) throw new SinkError('no sink configured (DATA_PLATFORM_URL is unset)', false);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': String(record.reservationId) },
        body: JSON.stringify(toSinkPayload(record)),
        signal: AbortSignal.timeout(this.settings.delivery.requestTimeoutMs),
      });
    } catch (err) {
      throw new SinkError(describeNetworkError(err), true);
    }
    // Read the (small) answer so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return;
    const retryable = response.status >= 500 || response.status === 408 || response.status === 425 || response.status === 429;
    throw new SinkError(`the sink answered HTTP ${response.status}`, retryable);
  }
}

function describeNetworkError(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'the sink did not answer in time';
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message;
    return `could not reach the sink: ${err.message}${detail ? ` (${detail})` : ''}`;
  }
  return `could not reach the sink: ${String(err)}`;
}
