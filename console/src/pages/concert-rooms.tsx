import { useState } from 'preact/hooks';
import { api, type Concert, type RoomView } from '../api';
import { FlowFields } from '../flow-fields';
import { Problem } from '../problem';
import { usePoll } from '../use-poll';

/** An ISO instant as the value of a `datetime-local` input (the operator's local time), and back. */
const toLocalInput = (iso: string | null): string => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const fromLocalInput = (value: string): string => new Date(value).toISOString();

/** Runs one room change, keeping what the API answered (the room as now in force) or its refusal. */
function useRoomAction(onDone: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [applied, setApplied] = useState<RoomView | null>(null);
  const run = async (method: string, path: string, body?: unknown) => {
    setBusy(true);
    setError(null);
    try {
      setApplied(await api<RoomView>(method, path, body));
      onDone();
      return true;
    } catch (err) {
      setError(err as Error);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, applied, run, fail: setError };
}

/**
 * The concerts' own rooms (`/admin/queue/rooms`): each a card with its state, its counts and its
 * controls (flow, opening time, pause/resume, close), and a form to open a room for a concert.
 */
export function ConcertRooms() {
  const rooms = usePoll(() => api<{ items: RoomView[] }>('GET', '/admin/queue/rooms'), 2000);
  const concerts = usePoll(() => api<{ items: Concert[] }>('GET', '/ticketing/search/concerts?pageSize=100'), 10_000);
  const titleOf = (id: number) => concerts.value?.items.find((c) => c.id === id)?.title ?? `concert ${id}`;
  return (
    <>
      <Problem error={rooms.error} />
      {(rooms.value?.items ?? []).map((r) => (
        <ConcertRoomCard key={r.id} room={r} title={titleOf(r.concertId)} onChanged={rooms.refresh} />
      ))}
      <NewRoomForm
        concerts={concerts.value?.items ?? []}
        taken={new Set((rooms.value?.items ?? []).filter((r) => r.state !== 'CLOSED').map((r) => r.concertId))}
        onCreated={rooms.refresh}
      />
    </>
  );
}

function ConcertRoomCard({ room, title, onChanged }: { room: RoomView; title: string; onChanged: () => void }) {
  const [maxActive, setMaxActive] = useState('');
  const [admitPerSecond, setAdmitPerSecond] = useState('');
  const [opensAt, setOpensAt] = useState('');
  const action = useRoomAction(onChanged);
  const path = `/admin/queue/rooms/${room.id}`;
  const closed = room.state === 'CLOSED';
  const submit = async (e: Event) => {
    e.preventDefault();
    const patch: Record<string, unknown> = {};
    if (maxActive.trim() !== '') patch.maxActive = Number(maxActive);
    if (admitPerSecond.trim() !== '') patch.admitPerSecond = Number(admitPerSecond);
    if (opensAt !== '') patch.opensAt = fromLocalInput(opensAt);
    if (Object.keys(patch).length === 0) return action.fail(new Error('Give a new max active, admissions per second and/or opening time.'));
    if (await action.run('PATCH', path, patch)) {
      setMaxActive('');
      setAdmitPerSecond('');
      setOpensAt('');
    }
  };
  return (
    <article class="card" data-testid={`room-${room.id}`}>
      <h3>
        {title}{' '}
        <span class={`state state-${room.state.toLowerCase()}`} data-testid={`room-${room.id}-state`}>
          {room.state}
          {room.paused ? ' · PAUSED' : ''}
        </span>
      </h3>
      <table class="settings">
        <tbody>
          <tr>
            <th>Opens</th>
            <td data-testid={`room-${room.id}-opens-at`} colSpan={2}>
              {room.opensAt ? new Date(room.opensAt).toLocaleString() : 'at once'}
            </td>
          </tr>
          <tr>
            <th>Max active</th>
            <td data-testid={`room-${room.id}-max-active`} colSpan={2}>
              {room.maxActive}
            </td>
          </tr>
          <tr>
            <th>Admissions per second</th>
            <td data-testid={`room-${room.id}-admit-per-second`} colSpan={2}>
              {room.admitPerSecond}
            </td>
          </tr>
          <tr>
            <th>Now</th>
            <td colSpan={2} data-testid={`room-${room.id}-counts`}>
              {room.preQueue} in the pre-queue, {room.waiting} waiting, {room.active} active
            </td>
          </tr>
        </tbody>
      </table>
      {!closed && (
        <form onSubmit={submit} class="row">
          <FlowFields
            maxActive={maxActive}
            admitPerSecond={admitPerSecond}
            onMaxActive={setMaxActive}
            onAdmitPerSecond={setAdmitPerSecond}
            maxActiveTestId={`room-${room.id}-max-active-input`}
            admitTestId={`room-${room.id}-admit-input`}
          />
          {room.state === 'SCHEDULED' && (
            <label>
              Opening time
              <input
                type="datetime-local"
                value={opensAt || toLocalInput(room.opensAt)}
                onInput={(e) => setOpensAt(e.currentTarget.value)}
                data-testid={`room-${room.id}-opens-at-input`}
              />
            </label>
          )}
          <button type="submit" disabled={action.busy} data-testid={`room-${room.id}-apply`}>
            Apply
          </button>
          <button
            type="button"
            disabled={action.busy}
            onClick={() => action.run('POST', `${path}/${room.paused ? 'resume' : 'pause'}`)}
            data-testid={`room-${room.id}-pause`}
          >
            {room.paused ? 'Resume admissions' : 'Pause admissions'}
          </button>
          <button
            type="button"
            class="danger"
            disabled={action.busy}
            onClick={() =>
              window.confirm(`Close the room of ${title}? Its waiting fans' tokens end and its passes stop working.`) && action.run('POST', `${path}/close`)
            }
            data-testid={`room-${room.id}-close`}
          >
            Close room
          </button>
        </form>
      )}
      {action.applied && (
        <p class="applied" data-testid={`room-${room.id}-applied`}>
          Applied: {action.applied.state}
          {action.applied.paused ? ' (paused)' : ''}, max active {action.applied.maxActive}, {action.applied.admitPerSecond} admissions per second
          {action.applied.opensAt ? `, opens ${new Date(action.applied.opensAt).toLocaleString()}` : ''}.
        </p>
      )}
      <Problem error={action.error} />
    </article>
  );
}

function NewRoomForm({ concerts, taken, onCreated }: { concerts: Concert[]; taken: Set<number>; onCreated: () => void }) {
  const free = concerts.filter((c) => !taken.has(c.id));
  const [concertId, setConcertId] = useState('');
  const [opensAt, setOpensAt] = useState('');
  const [maxActive, setMaxActive] = useState('100');
  const [admitPerSecond, setAdmitPerSecond] = useState('10');
  const action = useRoomAction(onCreated);
  const submit = async (e: Event) => {
    e.preventDefault();
    const chosen = concertId || String(free[0]?.id ?? '');
    if (!chosen) return action.fail(new Error('Every concert already has a room.'));
    const body: Record<string, unknown> = { concertId: Number(chosen), maxActive: Number(maxActive), admitPerSecond: Number(admitPerSecond) };
    if (opensAt !== '') body.opensAt = fromLocalInput(opensAt);
    if (await action.run('POST', '/admin/queue/rooms', body)) setOpensAt('');
  };
  return (
    <article class="card" data-testid="new-room">
      <h3>Open a room for a concert</h3>
      <form onSubmit={submit} class="row">
        <label>
          Concert
          <select value={concertId} onChange={(e) => setConcertId(e.currentTarget.value)} data-testid="new-room-concert">
            {free.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title} ({c.id})
              </option>
            ))}
          </select>
        </label>
        <label>
          Opening time (empty: at once)
          <input type="datetime-local" value={opensAt} onInput={(e) => setOpensAt(e.currentTarget.value)} data-testid="new-room-opens-at" />
        </label>
        <FlowFields
          maxActive={maxActive}
          admitPerSecond={admitPerSecond}
          onMaxActive={setMaxActive}
          onAdmitPerSecond={setAdmitPerSecond}
          maxActiveTestId="new-room-max-active"
          admitTestId="new-room-admit"
        />
        <button type="submit" disabled={action.busy} data-testid="new-room-create">
          Create room
        </button>
      </form>
      <Problem error={action.error} />
    </article>
  );
}
