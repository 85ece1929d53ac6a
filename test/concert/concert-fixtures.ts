import type { EventPayload, EventType } from '../../src/contracts/events';
import type { Outbox } from '../../src/platform/bus/outbox';
import { PLATFORM } from '../../src/platform/platform.di-tokens';
import { eventually, type TestApp, type TestUser } from '../support/test-app';

export interface SeatInput {
  label: string;
  price: number;
}

/** `n` seats, … at the given price. */
export function seats(n: number, price = 88_000, prefix = 'A'): SeatInput[] {
  return Array.from({ length: n }, (_, i) => ({ label: `${prefix}-${i + 1}`, price }));
}

export function concertBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: 'Spring Festival',
    artist: 'The Testers',
    venue: 'Olympic Hall, Seoul',
    schedules: [
      { startsAt: '2030-05-01T19:00:00+09:00', seats: [...seats(3, 150_000, 'VIP'), ...seats(5, 88_000, 'S')] },
      { startsAt: '2030-05-02T19:00:00+09:00', seats: seats(4) },
    ],
    ...overrides,
  };
}

export interface CreatedConcert {
  id: number;
  title: string;
  artist: string;
  venue: string;
  schedules: Array<{
    id: number;
    concertId: number;
    startsAt: string;
    totalSeats: number;
    availableSeats: number;
    seats: Array<{ id: number; label: string; price: number }>;
  }>;
}

export async function createConcert(app: TestApp, admin: TestUser, body: Record<string, unknown> = concertBody()): Promise<CreatedConcert> {
  const res = await app.http.post('/admin/concerts').set(admin.auth).send(body);
  if (res.status !== 201) throw new Error(`create concert failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Row counts of every catalogue table and of the concert outbox. */
export async function catalogueCounts(app: TestApp): Promise<Record<string, number>> {
  const knex = app.platform.database('concert').knex;
  const counts: Record<string, number> = {};
  for (const table of ['concerts', 'schedules', 'seats', 'seat_map_claims', 'outbox']) {
    counts[table] = Number((await knex(table).count({ n: '*' }).first())!.n);
  }
  return counts;
}

/** Publishes a reservation event the way the reservation module does: from its outbox, in its database's transaction. */
export async function publishReservationEvent<T extends Extract<EventType, `reservation.${string}`>>(
  app: TestApp,
  type: T,
  payload: EventPayload<T>,
): Promise<string> {
  const outbox = app.platform.container('reservation').get<Outbox>(PLATFORM.Outbox);
  const envelope = await app.platform
    .database('reservation')
    .transaction((trx) => outbox.publish(trx, type, (payload as { reservationId: number }).reservationId, payload));
  return envelope.id;
}

/** Waits until every concert-module subscriber of the event has handled it. */
export async function handledByConcert(app: TestApp, eventId: string): Promise<void> {
  await eventually(async () => {
    const rows = await app.platform.database('concert').knex('inbox').where({ event_id: eventId });
    return rows.length > 0 && rows.every((r) => r.status === 'DONE');
  }, app.platform);
}

/** Per schedule: the stored counters next to the counts of seats in each status. */
export async function assertCountersMatchSeats(app: TestApp): Promise<void> {
  const knex = app.platform.database('concert').knex;
  const schedules = await knex('schedules').select('id', 'total_seats', 'available_seats', 'held_seats', 'sold_seats');
  for (const s of schedules) {
    const rows: Array<{ status: string; n: number }> = await knex('seats').where({ schedule_id: s.id }).select('status').count({ n: '*' }).groupBy('status');
    const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
    const actual = { total: s.total_seats, AVAILABLE: s.available_seats, HELD: s.held_seats, SOLD: s.sold_seats };
    const expected = { total: count('AVAILABLE') + count('HELD') + count('SOLD'), AVAILABLE: count('AVAILABLE'), HELD: count('HELD'), SOLD: count('SOLD') };
    if (JSON.stringify(actual) !== JSON.stringify(expected))
      throw new Error(`schedule ${s.id}: counters ${JSON.stringify(actual)} but seats ${JSON.stringify(expected)}`);
  }
}
