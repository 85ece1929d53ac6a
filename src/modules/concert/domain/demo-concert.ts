const DAY_MS = 24 * 3600 * 1000;
const SEATS_PER_ROW = 30;
/** Rows front to back with their price grade (won). */
const GRADES: Array<{ rows: string[]; price: number }> = [
  { rows: ['A', 'B'], price: 150_000 }, // VIP
  { rows: ['C', 'D', 'E', 'F'], price: 110_000 }, // R
  { rows: ['G', 'H', 'I', 'J'], price: 88_000 }, // S
];

/** A concert as `POST /admin/concerts` takes it; the seeding command validates it with the same schema. */
export interface ConcertDraft {
  title: string;
  artist: string;
  venue: string;
  schedules: Array<{ startsAt: string; seats: Array<{ label: string; price: number }> }>;
}

/**
 * The demo concert seeded into an empty catalogue: three evening performances about a month
 * from `nowMs`, 300 seats each (rows A–J × 30) at VIP 150 000 / R 110 000 / S 88 000 won.
 */
export function demoConcert(nowMs: number): ConcertDraft {
  const seats = GRADES.flatMap(({ rows, price }) =>
    rows.flatMap((row) => Array.from({ length: SEATS_PER_ROW }, (_, i) => ({ label: `${row}-${i + 1}`, price }))),
  );
  // 19:00 in Seoul (UTC+9) is 10:00 UTC.
  const firstDay = Math.floor(nowMs / DAY_MS) * DAY_MS + 30 * DAY_MS;
  const schedules = [0, 1, 2].map((d) => ({ startsAt: new Date(firstDay + d * DAY_MS + 10 * 3600 * 1000).toISOString(), seats }));
  return { title: 'Starlight Symphony Tour 2026', artist: 'Aurora Han & The Night Orchestra', venue: 'KSPO Dome, Seoul', schedules };
}
