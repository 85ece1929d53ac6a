import { injectable } from 'inversify';
import type { Db, Transaction } from '../../../platform/db/module-database';
import type { SeatStatus } from '../domain/seat-map';

export interface ConcertSummary {
  id: number;
  title: string;
  artist: string;
  venue: string;
}

export interface ScheduleView {
  id: number;
  concertId: number;
  startsAt: string;
  totalSeats: number;
  availableSeats: number;
}

export interface SeatView {
  id: number;
  label: string;
  price: number;
  status: SeatStatus;
}

/**
 * Seats per INSERT statement: 3 bound values a row keeps a statement far below SQLite's
 * variable limit (32 766) while a 5 000-seat schedule still takes only 10 statements.
 */
const SEAT_INSERT_CHUNK = 500;

interface ScheduleRow {
  id: number;
  concert_id: number;
  starts_at_ms: number;
  total_seats: number;
  available_seats: number;
}

const scheduleView = (row: ScheduleRow): ScheduleView => ({
  id: row.id,
  concertId: row.concert_id,
  startsAt: new Date(Number(row.starts_at_ms)).toISOString(),
  totalSeats: row.total_seats,
  availableSeats: row.available_seats,
});

/** Concerts, schedules and seats in the concert module's own database. */
@injectable()
export class CatalogueRepository {
  async insertConcert(trx: Transaction, concert: Omit<ConcertSummary, 'id'>, nowMs: number): Promise<number> {
    const [row]: Array<{ id: number }> = await trx('concerts')
      .insert({ ...concert, created_at_ms: nowMs })
      .returning('id');
    return row.id;
  }

  async insertSchedule(trx: Transaction, concertId: number, startsAtMs: number, totalSeats: number, nowMs: number): Promise<number> {
    const [row]: Array<{ id: number }> = await trx('schedules')
      .insert({ concert_id: concertId, starts_at_ms: startsAtMs, total_seats: totalSeats, available_seats: totalSeats, created_at_ms: nowMs })
      .returning('id');
    return row.id;
  }

  /** Inserts a schedule's seats in chunks; returns their ids in the order given. */
  async insertSeats(trx: Transaction, scheduleId: number, seats: Array<{ label: string; price: number }>): Promise<number[]> {
    const idByLabel = new Map<string, number>();
    for (let i = 0; i < seats.length; i += SEAT_INSERT_CHUNK) {
      const chunk = seats.slice(i, i + SEAT_INSERT_CHUNK).map((s) => ({ schedule_id: scheduleId, label: s.label, price: s.price }));
      // RETURNING gives no row order guarantee: match ids back by label (unique per schedule).
      const rows: Array<{ id: number; label: string }> = await trx('seats').insert(chunk).returning(['id', 'label']);
      for (const row of rows) idByLabel.set(row.label, row.id);
    }
    return seats.map((s) => {
      const id = idByLabel.get(s.label);
      if (id === undefined) throw new Error(`seat ${s.label} was not inserted`);
      return id;
    });
  }

  async countConcerts(q: Db): Promise<number> {
    const row = await q('concerts').count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async listConcerts(q: Db, limit: number, offset: number): Promise<ConcertSummary[]> {
    return q('concerts').select('id', 'title', 'artist', 'venue').orderBy('id').limit(limit).offset(offset);
  }

  async concertExists(q: Db, concertId: number): Promise<boolean> {
    return (await q('concerts').where({ id: concertId }).first('id')) !== undefined;
  }

  async listSchedules(q: Db, concertId: number): Promise<ScheduleView[]> {
    const rows: ScheduleRow[] = await q('schedules')
      .where({ concert_id: concertId })
      .select('id', 'concert_id', 'starts_at_ms', 'total_seats', 'available_seats')
      .orderBy([{ column: 'starts_at_ms' }, { column: 'id' }]);
    return rows.map(scheduleView);
  }

  /** The concert of a schedule (null: no such schedule): what a queue pass must be for. */
  async concertOfSchedule(q: Db, scheduleId: number): Promise<number | null> {
    const row: { concert_id: number } | undefined = await q('schedules').where({ id: scheduleId }).first('concert_id');
    return row?.concert_id ?? null;
  }

  async scheduleExists(q: Db, scheduleId: number): Promise<boolean> {
    return (await q('schedules').where({ id: scheduleId }).first('id')) !== undefined;
  }

  async listSeats(q: Db, scheduleId: number): Promise<SeatView[]> {
    return q('seats').where({ schedule_id: scheduleId }).select('id', 'label', 'price', 'status').orderBy('id');
  }
}
