import type http from 'node:http';
import { json, LocalServer, readBody } from './fake-gateway';
import type { SinkMode } from './schedule';

/** What the fake sink received for one reservation. */
export interface SinkRecord {
  reservationId: number;
  userId: number;
  amount: number;
  /** POSTs received, and of them the ones it answered 200 to. */
  posts: number;
  accepted: number;
}

/**
 * A local stand-in for the data platform's external sink (`DATA_PLATFORM_URL`): it takes each
 * POSTed record, answers 503, or never answers (until the data platform gives up on the request),
 * as the fault schedule's sink phase says at the moment of the POST.
 */
export class FakeSink {
  readonly records = new Map<number, SinkRecord>();
  readonly counts = { accepted: 0, refused: 0, hung: 0 };
  private readonly server = new LocalServer((req, res) => this.handle(req, res));

  constructor(private readonly mode: () => SinkMode) {}

  /** Listens; the URL to give the data platform (DATA_PLATFORM_URL). */
  async listen(): Promise<string> {
    return `${await this.server.listen()}/records`;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const payload = JSON.parse((await readBody(req)) || '{}') as { reservationId?: number; userId?: number; amount?: number };
    if (typeof payload.reservationId !== 'number') return json(res, 400, { reason: 'no reservationId' });
    const record = this.records.get(payload.reservationId) ?? {
      reservationId: payload.reservationId,
      userId: Number(payload.userId),
      amount: Number(payload.amount),
      posts: 0,
      accepted: 0,
    };
    this.records.set(record.reservationId, record);
    record.posts += 1;
    const mode = this.mode();
    if (mode === 'hang') {
      // Never answered: the data platform's own timeout ends the request.
      this.counts.hung += 1;
      return;
    }
    if (mode === 'fail') {
      this.counts.refused += 1;
      return json(res, 503, { reason: 'sink down (chaos)' });
    }
    record.accepted += 1;
    this.counts.accepted += 1;
    json(res, 200, { ok: true });
  }
}
