import { useState } from 'preact/hooks';
import { api, type BusStats, type DeadLetter, type ServiceItem, services } from '../api';
import { seconds, when } from '../format';
import { Problem } from '../problem';
import { usePoll } from '../use-poll';

/** The event bus: outbox backlog and lag per module, the services (split mode), dead letters and their replay. */
export function BusPage({ split }: { split: boolean }) {
  const stats = usePoll(() => api<{ items: BusStats[] }>('GET', '/admin/events'), 2000);
  const dead = usePoll(() => api<{ items: DeadLetter[] }>('GET', '/admin/events/dead'), 2000);
  const serviceList = usePoll(() => (split ? services() : Promise.resolve(null)), 2000, [split]);
  const [replayed, setReplayed] = useState<string[]>([]);
  const [replayError, setReplayError] = useState<Error | null>(null);
  const replay = async (id: string) => {
    setReplayError(null);
    try {
      await api('POST', `/admin/events/dead/${encodeURIComponent(id)}/retry`);
      setReplayed((r) => [...r, id]);
      dead.refresh();
      stats.refresh();
    } catch (err) {
      setReplayError(err as Error);
    }
  };
  return (
    <section>
      <h2>Event bus</h2>
      <h3>Outbox per module</h3>
      <Problem error={stats.error} />
      <table data-testid="bus-stats">
        <thead>
          <tr>
            <th>Module</th>
            <th>Outbox backlog</th>
            <th>Oldest undelivered</th>
            <th>Retrying</th>
            <th>Queued behind</th>
            <th>Dead letters</th>
            <th>Relayed (this process)</th>
          </tr>
        </thead>
        <tbody>
          {(stats.value?.items ?? []).map((s) => (
            <tr key={s.module} data-module={s.module}>
              <td>{s.module}</td>
              <td>{s.outboxBacklog}</td>
              <td>{s.oldestUndeliveredAgeMs === null ? '–' : seconds(s.oldestUndeliveredAgeMs / 1000)}</td>
              <td>{s.deliveriesRetrying}</td>
              <td>{s.deliveriesQueued}</td>
              <td class={s.deadLetters > 0 ? 'bad' : ''} data-testid={`dead-count-${s.module}`}>
                {s.deadLetters}
              </td>
              <td>{s.delivered}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {split && <Services list={serviceList.value} error={serviceList.error} />}
      <h3>Dead letters</h3>
      <Problem error={dead.error ?? replayError} />
      {replayed.length > 0 && (
        <p class="applied" data-testid="replayed">
          Replayed: {replayed.join(', ')}. A replayed letter leaves this list once its handler has taken it; if it fails again it is retried and parked anew.
        </p>
      )}
      {(dead.value?.items ?? []).length === 0 ? (
        <p class="muted" data-testid="no-dead-letters">
          No dead letters.
        </p>
      ) : (
        <table data-testid="dead-letters">
          <thead>
            <tr>
              <th>Id</th>
              <th>Subscriber</th>
              <th>Event</th>
              <th>Aggregate</th>
              <th>Attempts</th>
              <th>Error</th>
              <th>Received</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {dead.value!.items.map((d) => (
              <tr key={d.id} data-dead-letter={d.id}>
                <td>{d.id}</td>
                <td>{d.subscriber}</td>
                <td>{d.type}</td>
                <td>{d.aggregateId}</td>
                <td>{d.attempts}</td>
                <td class="error">{d.error ?? '–'}</td>
                <td>{when(d.receivedAt)}</td>
                <td>
                  <button type="button" onClick={() => replay(d.id)} data-testid={`replay-${d.id}`}>
                    Replay
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Services({ list, error }: { list: ServiceItem[] | null; error: Error | null }) {
  return (
    <>
      <h3>Services and consumer lag</h3>
      <Problem error={error} />
      <table data-testid="services">
        <thead>
          <tr>
            <th>Service</th>
            <th>Status</th>
            <th>Pid</th>
            <th>Restarts</th>
            <th>Up for</th>
            <th>Consumer lag (pending / unacknowledged)</th>
            <th>Last error</th>
          </tr>
        </thead>
        <tbody>
          {(list ?? []).map((s) => (
            <tr key={s.name} data-service={s.name}>
              <td>{s.name}</td>
              <td class={s.status === 'up' ? 'good' : 'bad'}>{s.status}</td>
              <td>{s.pid ?? '–'}</td>
              <td data-testid={`restarts-${s.name}`}>{s.restarts}</td>
              <td>{seconds(s.uptimeSeconds)}</td>
              <td>{s.consumerLag ? `${s.consumerLag.pending} / ${s.consumerLag.ackPending}` : '–'}</td>
              <td class="error">{s.lastError ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
