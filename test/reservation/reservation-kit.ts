import type { EventEnvelope, EventPayload, EventType } from '../../src/contracts/events';
import { Outbox } from '../../src/platform/bus/outbox';
import type { ModuleName } from '../../src/platform/config/config';
import type { Platform } from '../../src/platform/platform';
import { PLATFORM } from '../../src/platform/platform.di-tokens';
import { eventually, queuePassFor, type TestApp, type TestUser } from '../support/test-app';

/** Publishes an event as if `module` had (through that module's own outbox, in its own transaction). */
export async function publishAs<T extends EventType>(
  platform: Platform,
  module: ModuleName,
  type: T,
  aggregateId: string | number,
  payload: EventPayload<T>,
): Promise<EventEnvelope<T>> {
  const outbox = platform.container(module).get<Outbox>(PLATFORM.Outbox);
  return platform.database(module).transaction((trx) => outbox.publish(trx, type, aggregateId, payload));
}

let nextId = 7000;

export interface TestSchedule {
  concertId: number;
  scheduleId: number;
  seats: Array<{ seatId: number; label: string; price: number }>;
}

/**
 * Puts a schedule in the reservation module's catalogue copy the way production does: a
 * `concert.schedule.published` event (from the concert module's outbox when it runs here).
 */
export async function publishSchedule(app: TestApp, seatCount = 5, price = 50_000): Promise<TestSchedule> {
  const take = () => {
    nextId += 1;
    return nextId;
  };
  const concertId = take();
  const scheduleId = take();
  const seats = Array.from({ length: seatCount }, (_, i) => ({ seatId: take(), label: `A${i + 1}`, price: price + i * 1000 }));
  const publisher: ModuleName = app.platform.moduleNames.includes('concert') ? 'concert' : 'reservation';
  await publishAs(app.platform, publisher, 'concert.schedule.published', scheduleId, {
    concertId,
    scheduleId,
    title: 'Test concert',
    artist: 'Test artist',
    venue: 'Test hall',
    startsAt: '2031-05-01T19:00:00.000Z',
    seats,
  });
  await eventually(
    async () => Boolean(await app.platform.database('reservation').knex('catalogue_schedules').where({ schedule_id: scheduleId }).first()),
    app.platform,
  );
  return { concertId, scheduleId, seats };
}

export function hold(app: TestApp, user: TestUser, body: unknown) {
  return app.http
    .post('/ticketing/reservations/new')
    .set(user.auth)
    .set(queuePassFor(app.platform, user.id))
    .send(body as object);
}

/** Integration events the reservation module published, in outbox order, optionally for one reservation. */
export async function published<T extends EventType>(app: TestApp, type: T, reservationId?: number): Promise<Array<EventPayload<T>>> {
  const q = app.platform.database('reservation').knex('outbox').where({ type }).orderBy('seq');
  if (reservationId !== undefined) q.andWhere({ aggregate_id: String(reservationId) });
  const rows: Array<{ payload: string }> = await q;
  return rows.map((r) => JSON.parse(r.payload));
}

export async function tableCount(app: TestApp, table: string): Promise<number> {
  const row = await app.platform.database('reservation').knex(table).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

let paymentIds = 90_000;
export const newPaymentId = () => (paymentIds += 1);

/** A `payment.success` as the payment module publishes it (choreography: no saga). */
export async function paymentSucceeded(
  app: TestApp,
  reservation: { id: number; userId: number; price: number },
  paymentId = newPaymentId(),
  sagaId: string | null = null,
) {
  const publisher: ModuleName = app.platform.moduleNames.includes('payment') ? 'payment' : 'reservation';
  const envelope = await publishAs(app.platform, publisher, 'payment.success', reservation.id, {
    paymentId,
    reservationId: reservation.id,
    userId: reservation.userId,
    amount: reservation.price,
    sagaId,
  });
  return { paymentId, envelope };
}

/**
 * A `payment.success` the payment module recorded (and committed to its outbox) at `paidAtMs`,
 * delivered only now: as when the reservation service was down between the payment and its
 * handling. The envelope's `occurredAt` is `paidAtMs`.
 */
export async function paymentSucceededAt(
  app: TestApp,
  reservation: { id: number; userId: number; price: number },
  paidAtMs: number,
  paymentId = newPaymentId(),
) {
  const publisher: ModuleName = app.platform.moduleNames.includes('payment') ? 'payment' : 'reservation';
  const db = app.platform.database(publisher);
  const outboxThen = new Outbox(db, { now: () => paidAtMs });
  const payload = { paymentId, reservationId: reservation.id, userId: reservation.userId, amount: reservation.price, sagaId: null };
  const envelope = await db.transaction((trx) => outboxThen.publish(trx, 'payment.success', reservation.id, payload));
  return { paymentId, envelope };
}
