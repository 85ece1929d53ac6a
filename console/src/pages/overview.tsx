import { useRef, useState } from 'preact/hooks';
import { api, metricsText, type QueueOverview, type RoomView, sumSamples } from '../api';
import { TimeChart } from '../chart';
import { rate, seconds } from '../format';
import { Problem } from '../problem';
import { Tile } from '../tile';
import { usePoll } from '../use-poll';

const WINDOW_SECONDS = 5 * 60;
const HTTP_COUNT = 'http_request_duration_seconds_count';

export interface Sample {
  at: number;
  overview: QueueOverview;
  joinsPerSecond: number | null;
  pollsPerSecond: number | null;
  /** Per waiting room (its id; "0" the default room): joins and polls per second since the last sample. */
  roomRates: Record<string, { joins: number; polls: number }>;
}

interface Counts {
  joins: number;
  polls: number;
  /** `queue_joins_total` / `queue_polls_total` by room, summed over the queue processes. */
  byRoom: Record<string, { joins: number; polls: number }>;
}

/** The samples of a counter with a `room` label, summed by room over every text. */
function byRoom(texts: string[], name: string): Record<string, number> {
  const out: Record<string, number> = {};
  const pattern = new RegExp(`^${name}\\{room="(\\d+)"\\} (\\S+)$`, 'gm');
  for (const text of texts) for (const m of text.matchAll(pattern)) out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  return out;
}

/** Joins (`POST /queue/token`) and status polls (`GET /queue/status`) served so far, from the queue processes' own metrics. */
async function queueRequestCounts(paths: string[]): Promise<Counts> {
  const texts = await Promise.all(paths.map(metricsText));
  const sum = (method: string, route: string) => texts.reduce((n, t) => n + sumSamples(t, HTTP_COUNT, { method, route }), 0);
  const joins = byRoom(texts, 'queue_joins_total');
  const polls = byRoom(texts, 'queue_polls_total');
  const rooms: Counts['byRoom'] = {};
  for (const room of new Set([...Object.keys(joins), ...Object.keys(polls)])) rooms[room] = { joins: joins[room] ?? 0, polls: polls[room] ?? 0 };
  return { joins: sum('POST', '/queue/token'), polls: sum('GET', '/queue/status'), byRoom: rooms };
}

/**
 * Samples the sale every second for as long as the operator is logged in (whichever page is shown),
 * keeping the last five minutes for the charts.
 */
export function useSaleHistory(queueMetrics: string[]): { samples: Sample[]; error: Error | null } {
  const history = useRef<Sample[]>([]);
  const last = useRef<({ at: number } & Counts) | null>(null);
  const [, setTick] = useState(0);
  const { error } = usePoll(async () => {
    const [overview, counts] = await Promise.all([api<QueueOverview>('GET', '/admin/queue'), queueRequestCounts(queueMetrics).catch(() => null)]);
    const at = Date.now() / 1000;
    let joinsPerSecond: number | null = null;
    let pollsPerSecond: number | null = null;
    const roomRates: Sample['roomRates'] = {};
    const previous = last.current;
    if (counts && previous && at > previous.at) {
      const dt = at - previous.at;
      // A restarted replica starts its counters again: never a negative rate.
      const perSecond = (now: number, before: number) => Math.max(0, (now - before) / dt);
      joinsPerSecond = perSecond(counts.joins, previous.joins);
      pollsPerSecond = perSecond(counts.polls, previous.polls);
      for (const [room, c] of Object.entries(counts.byRoom)) {
        const before = previous.byRoom[room] ?? { joins: 0, polls: 0 };
        roomRates[room] = { joins: perSecond(c.joins, before.joins), polls: perSecond(c.polls, before.polls) };
      }
    }
    if (counts) last.current = { at, ...counts };
    history.current = [...history.current.filter((s) => s.at > at - WINDOW_SECONDS), { at, overview, joinsPerSecond, pollsPerSecond, roomRates }];
    setTick((n) => n + 1);
    return overview;
  }, 1000);
  return { samples: history.current, error };
}

/** The sale as it happens: the waiting room's numbers every second and charts of the last five minutes. */
export function OverviewPage({ samples, error }: { samples: Sample[]; error: Error | null }) {
  const now = samples[samples.length - 1];
  const o = now?.overview;
  const t = samples.map((s) => s.at);
  const people = [t, samples.map((s) => s.overview.waiting), samples.map((s) => s.overview.active)];
  const rates = [
    t,
    samples.map((s) => s.overview.admissionsPerMinute / 60),
    samples.map((s) => s.joinsPerSecond ?? 0),
    samples.map((s) => s.pollsPerSecond ?? 0),
  ];
  return (
    <section>
      <h2>Sale overview</h2>
      <Problem error={error} />
      <h3>Default room (every concert without a room of its own)</h3>
      <div class="tiles">
        <Tile label="Waiting" value={o ? String(o.waiting) : '–'} testId="waiting" />
        <Tile label="Active" value={o ? `${o.active} / ${o.maxActive}` : '–'} testId="active" />
        <Tile
          label="Admitted per second (last minute)"
          value={o ? `${rate(o.admissionsPerMinute / 60)} (${o.admissionsPerMinute} in 1 min)` : '–'}
          testId="admitted-rate"
        />
        <Tile label="Observed admission rate" value={o ? `${rate(o.estimatedAdmissionsPerSecond)} / s` : '–'} testId="observed-rate" />
        <Tile label="Joins per second" value={rate(now?.joinsPerSecond ?? null)} testId="joins-rate" />
        <Tile label="Polls per second" value={rate(now?.pollsPerSecond ?? null)} testId="polls-rate" />
        <Tile label="Estimated wait of the last in line" value={o ? seconds(o.lastInLineWaitSeconds) : '–'} testId="last-wait" />
        <Tile label="Head of the line has waited" value={o ? seconds(o.oldestWaitSeconds) : '–'} testId="oldest-wait" />
      </div>
      <div class="charts">
        <TimeChart
          title="People"
          testId="people-chart"
          series={[
            { label: 'waiting', stroke: '#d9480f' },
            { label: 'active', stroke: '#1971c2' },
          ]}
          data={people}
        />
        <TimeChart
          title="Per second"
          testId="rates-chart"
          series={[
            { label: 'admitted', stroke: '#2f9e44' },
            { label: 'joins', stroke: '#7048e8' },
            { label: 'polls', stroke: '#868e96' },
          ]}
          data={rates}
        />
      </div>
      <ConcertRoomsNow rates={now?.roomRates ?? {}} />
    </section>
  );
}

/** Each concert's own room, as it is now (polled every second while shown). */
function ConcertRoomsNow({ rates }: { rates: Sample['roomRates'] }) {
  const { value, error } = usePoll(() => api<{ items: RoomView[] }>('GET', '/admin/queue/rooms'), 1000);
  const rooms = (value?.items ?? []).filter((r) => r.state !== 'CLOSED');
  return (
    <>
      <h3>Concert rooms</h3>
      <Problem error={error} />
      {rooms.length === 0 ? (
        <p class="muted" data-testid="no-concert-rooms">
          No concert has a room of its own: every sale goes through the default room.
        </p>
      ) : (
        <table class="settings" data-testid="concert-rooms-now">
          <thead>
            <tr>
              <th>Concert</th>
              <th>State</th>
              <th>Opens</th>
              <th>Pre-queue</th>
              <th>Waiting</th>
              <th>Active / max</th>
              <th>Admitted per second (last minute)</th>
              <th>Admissions per second (set)</th>
              <th>Joins per second</th>
              <th>Polls per second</th>
              <th>Estimated wait of the last in line</th>
              <th>Head of the line has waited</th>
            </tr>
          </thead>
          <tbody>
            {rooms.map((r) => (
              <tr key={r.id} data-testid={`room-now-${r.id}`}>
                <td>{r.concertId}</td>
                <td>{r.paused ? `${r.state} · PAUSED` : r.state}</td>
                <td>{r.opensAt ? new Date(r.opensAt).toLocaleString() : '–'}</td>
                <td>{r.preQueue}</td>
                <td>{r.waiting}</td>
                <td>
                  {r.active} / {r.maxActive}
                </td>
                <td>{rate(r.admissionsPerMinute / 60)}</td>
                <td>{r.admitPerSecond}</td>
                <td data-testid={`room-now-${r.id}-joins`}>{rate(rates[String(r.id)]?.joins ?? null)}</td>
                <td data-testid={`room-now-${r.id}-polls`}>{rate(rates[String(r.id)]?.polls ?? null)}</td>
                <td>{seconds(r.lastInLineWaitSeconds)}</td>
                <td>{seconds(r.oldestWaitSeconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
