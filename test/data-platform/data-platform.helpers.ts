import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type TestAgent from 'supertest/lib/agent';
import type { EventEnvelope, EventPayload } from '../../src/contracts/events';
import type { ReservationFeedItem } from '../../src/modules/data-platform/queries/list-reservations/list-reservations.query';
import type { Outbox } from '../../src/platform/bus/outbox';
import type { Platform } from '../../src/platform/platform';
import { PLATFORM } from '../../src/platform/platform.di-tokens';

/** The modules these tests need: the publishers of the events, auth for the admin, and the data platform. */
export const DATA_PLATFORM_TEST_MODULES = 'auth,concert,reservation,data-platform';

export interface ConfirmedInput {
  reservationId: number;
  userId?: number;
  concertId?: number;
  scheduleId?: number;
  seatId?: number;
  seatLabel?: string;
  price?: number;
  paymentId?: number;
  confirmedAt?: string;
}

export function confirmedPayload(input: ConfirmedInput): EventPayload<'reservation.success'> {
  return {
    reservationId: input.reservationId,
    userId: input.userId ?? 7,
    concertId: input.concertId ?? 1,
    scheduleId: input.scheduleId ?? 10,
    seatId: input.seatId ?? 1000 + input.reservationId,
    seatLabel: input.seatLabel ?? `A-${input.reservationId}`,
    price: input.price ?? 50_000,
    paymentId: input.paymentId ?? 5000 + input.reservationId,
    confirmedAt: input.confirmedAt ?? '2030-03-01T10:00:00.000Z',
  };
}

/** Publishes through the reservation module's outbox, as the reservation module would. */
export async function publishConfirmed(platform: Platform, ...inputs: ConfirmedInput[]): Promise<EventEnvelope<'reservation.success'>[]> {
  const outbox = platform.container('reservation').get<Outbox>(PLATFORM.Outbox);
  return platform.database('reservation').transaction(async (trx) => {
    const envelopes: EventEnvelope<'reservation.success'>[] = [];
    for (const input of inputs) {
      const payload = confirmedPayload(input);
      envelopes.push(await outbox.publish(trx, 'reservation.success', payload.reservationId, payload));
    }
    return envelopes;
  });
}

export async function publishCancelled(
  platform: Platform,
  reservationId: number,
  previousStatus: 'HELD' | 'CONFIRMED',
): Promise<EventEnvelope<'reservation.cancelled'>> {
  const outbox = platform.container('reservation').get<Outbox>(PLATFORM.Outbox);
  return platform.database('reservation').transaction((trx) =>
    outbox.publish(trx, 'reservation.cancelled', reservationId, {
      reservationId,
      userId: 7,
      scheduleId: 10,
      seatId: 1000 + reservationId,
      previousStatus,
      paymentId: previousStatus === 'CONFIRMED' ? 5000 + reservationId : null,
    }),
  );
}

export async function publishSchedule(platform: Platform, facts: { concertId: number; scheduleId: number; title: string; startsAt: string }): Promise<void> {
  const outbox = platform.container('concert').get<Outbox>(PLATFORM.Outbox);
  await platform.database('concert').transaction((trx) =>
    outbox.publish(trx, 'concert.schedule.published', facts.scheduleId, {
      ...facts,
      artist: 'The Testers',
      venue: 'Hall 1',
      seats: [{ seatId: 1, label: 'A-1', price: 50_000 }],
    }),
  );
}

/** An item of GET /data-platform/reservations, as the module declares it. */
export type FeedItem = ReservationFeedItem;

export interface FeedPage {
  items: FeedItem[];
  page: number;
  pageSize: number;
  total: number;
  summary: { count: number; revenue: number };
}

export async function feed(httpAgent: TestAgent, auth: { Authorization: string }, query: Record<string, string | number> = {}): Promise<FeedPage> {
  const res = await httpAgent.get('/data-platform/reservations').query(query).set(auth);
  if (res.status !== 200) throw new Error(`feed failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as FeedPage;
}

/** Every record of the feed (all statuses), by reservation id. */
export async function allRecords(httpAgent: TestAgent, auth: { Authorization: string }): Promise<Map<number, FeedItem>> {
  const page = await feed(httpAgent, auth, { status: 'ALL', pageSize: 500 });
  return new Map(page.items.map((item) => [item.reservationId, item]));
}

export interface SinkRequest {
  idempotencyKey: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
  status: number;
}

/** A local data-platform sink: answers `status` (settable) and remembers every request. */
export class TestSink {
  status = 200;
  readonly requests: SinkRequest[] = [];
  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = this.status;
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = { unparsable: true };
        }
        this.requests.push({ idempotencyKey: req.headers['idempotency-key'] as string | undefined, contentType: req.headers['content-type'], body, status });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status < 300 }));
      });
    });
  }

  static async start(): Promise<TestSink> {
    const sink = new TestSink();
    await new Promise<void>((resolve) => sink.server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/ingest`;
  }

  /** Idempotency keys the sink accepted (2xx), with how many times each was accepted. */
  accepted(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.requests) if (r.status < 300 && r.idempotencyKey !== undefined) counts.set(r.idempotencyKey, (counts.get(r.idempotencyKey) ?? 0) + 1);
    return counts;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A URL on which nothing listens (connection refused). */
export async function refusedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/ingest`;
}
