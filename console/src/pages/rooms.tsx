import { useState } from 'preact/hooks';
import { api, type QueueOverview } from '../api';
import { FlowFields } from '../flow-fields';
import { Problem } from '../problem';
import { usePoll } from '../use-poll';
import { ConcertRooms } from './concert-rooms';

/**
 * The waiting rooms' flow: the default room (`/admin/queue`: every concert without a room of its
 * own), then each concert's own room (`/admin/queue/rooms`) and a form to open one.
 */
export function RoomsPage() {
  const { value: room, error, refresh } = usePoll(() => api<QueueOverview>('GET', '/admin/queue'), 2000);
  const rooms = room ? [{ id: 'default', name: 'Default room (every concert without a room of its own)', overview: room }] : [];
  return (
    <section>
      <h2>Room controls</h2>
      <Problem error={error} />
      {rooms.map((r) => (
        <RoomCard key={r.id} name={r.name} overview={r.overview} onApplied={refresh} />
      ))}
      <ConcertRooms />
    </section>
  );
}

type Patch = { maxActive?: number | null; admitPerSecond?: number | null };

function RoomCard({ name, overview, onApplied }: { name: string; overview: QueueOverview; onApplied: () => void }) {
  const [maxActive, setMaxActive] = useState('');
  const [admitPerSecond, setAdmitPerSecond] = useState('');
  const [applied, setApplied] = useState<QueueOverview | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async (patch: Patch) => {
    setBusy(true);
    setError(null);
    try {
      // The API answers with the settings now in force: that, not the form, is what is shown as applied.
      setApplied(await api<QueueOverview>('PATCH', '/admin/queue', patch));
      setMaxActive('');
      setAdmitPerSecond('');
      onApplied();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const patch: Patch = {};
    if (maxActive.trim() !== '') patch.maxActive = Number(maxActive);
    if (admitPerSecond.trim() !== '') patch.admitPerSecond = Number(admitPerSecond);
    if (Object.keys(patch).length === 0) return setError(new Error('Give a new max active and/or admissions per second.'));
    send(patch);
  };
  const o = overview;
  return (
    <article class="card" data-testid="room-default">
      <h3>{name}</h3>
      <table class="settings">
        <tbody>
          <tr>
            <th>Max active</th>
            <td data-testid="current-max-active">{o.maxActive}</td>
            <td class="muted">default {o.defaults.maxActive}</td>
          </tr>
          <tr>
            <th>Admissions per second</th>
            <td data-testid="current-admit-per-second">{o.admitPerSecond}</td>
            <td class="muted">default {o.defaults.admitPerSecond}</td>
          </tr>
          <tr>
            <th>Now</th>
            <td colSpan={2}>
              {o.waiting} waiting, {o.active} active, {o.admissionsPerMinute} admitted in the last minute
            </td>
          </tr>
        </tbody>
      </table>
      <form onSubmit={submit} class="row">
        <FlowFields
          maxActive={maxActive}
          admitPerSecond={admitPerSecond}
          onMaxActive={setMaxActive}
          onAdmitPerSecond={setAdmitPerSecond}
          maxActiveTestId="max-active-input"
          admitTestId="admit-per-second-input"
        />
        <button type="submit" disabled={busy} data-testid="apply">
          Apply
        </button>
        <button type="button" disabled={busy} onClick={() => send({ maxActive: null, admitPerSecond: null })} data-testid="reset">
          Restore defaults
        </button>
      </form>
      {applied && (
        <p class="applied" data-testid="applied">
          Applied: max active {applied.maxActive}, {applied.admitPerSecond} admissions per second (from the next admission round).
        </p>
      )}
      <Problem error={error} />
      <p class="muted">The default room has no opening time and is not paused: a sale with an opening gets a room of its own, below.</p>
    </article>
  );
}
