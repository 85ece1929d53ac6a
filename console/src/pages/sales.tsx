import { useState } from 'preact/hooks';
import { api, type Concert, type FeedPage, type Schedule, type Seat, won } from '../api';
import { when } from '../format';
import { Problem } from '../problem';
import { Tile } from '../tile';
import { usePoll } from '../use-poll';

const FEED_PAGE_SIZE = 20;

/** The newest page of the data platform's feed (it lists oldest first), with the summary of everything matching. */
async function latestFeed(filter: string): Promise<FeedPage> {
  const first = await api<FeedPage>('GET', `/data-platform/reservations?pageSize=${FEED_PAGE_SIZE}${filter}`);
  const lastPage = Math.max(1, Math.ceil(first.total / FEED_PAGE_SIZE));
  return lastPage === 1 ? first : api<FeedPage>('GET', `/data-platform/reservations?pageSize=${FEED_PAGE_SIZE}&page=${lastPage}${filter}`);
}

/** Per concert and schedule: the seat map, counts and revenue; and the data platform's feed. */
export function SalesPage() {
  const concerts = usePoll(() => api<{ items: Concert[] }>('GET', '/ticketing/search/concerts?pageSize=100'), 10_000);
  // What the operator picked; until they pick, the first of the list. Derived, not set by an effect:
  // an effect's late default could overwrite a pick made between a render and the effect. A picked
  // schedule of another concert is not in the list, so a new concert starts at its first schedule.
  const [pickedConcertId, setConcertId] = useState<number | null>(null);
  const [pickedScheduleId, setScheduleId] = useState<number | null>(null);
  const list = concerts.value?.items ?? [];
  const concertId = pickedConcertId ?? list[0]?.id ?? null;
  const schedules = usePoll(
    () => (concertId === null ? Promise.resolve({ items: [] as Schedule[] }) : api<{ items: Schedule[] }>('GET', `/admin/concerts/${concertId}/schedules`)),
    5000,
    [concertId],
  );
  const scheduleList = schedules.value?.items ?? [];
  const scheduleId = scheduleList.some((s) => s.id === pickedScheduleId) ? pickedScheduleId : (scheduleList[0]?.id ?? null);
  const allFeed = usePoll(() => latestFeed(''), 3000);
  return (
    <section>
      <h2>Sales</h2>
      <Problem error={concerts.error ?? schedules.error} />
      <div class="row">
        <label>
          Concert
          <select value={concertId ?? ''} onChange={(e) => setConcertId(Number(e.currentTarget.value))} data-testid="concert-select">
            {list.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title} · {c.artist} · {c.venue}
              </option>
            ))}
          </select>
        </label>
        <label>
          Schedule
          <select value={scheduleId ?? ''} onChange={(e) => setScheduleId(Number(e.currentTarget.value))} data-testid="schedule-select">
            {scheduleList.map((s) => (
              <option key={s.id} value={s.id}>
                {when(s.startsAt)} · {s.availableSeats} of {s.totalSeats} available
              </option>
            ))}
          </select>
        </label>
      </div>
      {list.length === 0 && <p class="muted">No concerts yet.</p>}
      {scheduleId !== null && <SeatMap key={scheduleId} scheduleId={scheduleId} />}
      <h3>Data platform feed (every concert)</h3>
      <Problem error={allFeed.error} />
      {allFeed.value && <Feed page={allFeed.value} testId="feed-all" />}
    </section>
  );
}

function SeatMap({ scheduleId }: { scheduleId: number }) {
  const seats = usePoll(() => api<{ items: Seat[] }>('GET', `/admin/schedules/${scheduleId}/seats`), 1500);
  const feed = usePoll(() => latestFeed(`&scheduleId=${scheduleId}`), 3000);
  const items = seats.value?.items ?? [];
  const count = (status: Seat['status']) => items.filter((s) => s.status === status).length;
  const soldValue = items.filter((s) => s.status === 'SOLD').reduce((n, s) => n + s.price, 0);
  return (
    <div>
      <Problem error={seats.error ?? feed.error} />
      <div class="tiles">
        <Tile label="Available" value={String(count('AVAILABLE'))} testId="count-available" />
        <Tile label="Held" value={String(count('HELD'))} testId="count-held" />
        <Tile label="Sold" value={String(count('SOLD'))} testId="count-sold" />
        <Tile label="Sold seats' value" value={won(soldValue)} testId="sold-value" />
        <Tile
          label="Revenue (data platform)"
          value={feed.value ? `${won(feed.value.summary.revenue)} · ${feed.value.summary.count} sales` : '–'}
          testId="schedule-revenue"
        />
      </div>
      <div class="legend">
        <span class="seat AVAILABLE">available</span>
        <span class="seat HELD">held</span>
        <span class="seat SOLD">sold</span>
      </div>
      <div class="seat-grid" data-testid="seat-grid">
        {items.map((s) => (
          <span key={s.id} class={`seat ${s.status}`} title={`${s.label} · ${won(s.price)} · ${s.status}`} data-seat={s.label} data-status={s.status}>
            {s.label}
          </span>
        ))}
      </div>
    </div>
  );
}

function Feed({ page, testId }: { page: FeedPage; testId: string }) {
  return (
    <div data-testid={testId}>
      <p>
        <strong data-testid={`${testId}-summary`}>
          {page.summary.count} confirmed sales · {won(page.summary.revenue)}
        </strong>{' '}
        <span class="muted">(latest {page.items.length} shown)</span>
      </p>
      <table>
        <thead>
          <tr>
            <th>Reservation</th>
            <th>Concert</th>
            <th>Seat</th>
            <th>Amount</th>
            <th>Confirmed</th>
            <th>Status</th>
            <th>Delivery</th>
          </tr>
        </thead>
        <tbody>
          {[...page.items].reverse().map((r) => (
            <tr key={r.reservationId}>
              <td>{r.reservationId}</td>
              <td>{r.concertTitle ?? '–'}</td>
              <td>{r.seatLabel}</td>
              <td>{won(r.amount)}</td>
              <td>{when(r.confirmedAt)}</td>
              <td>{r.status}</td>
              <td>{r.delivery}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
