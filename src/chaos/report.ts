import { INVARIANTS, type InvariantName, titleOf, type Verdict } from './checker';
import type { GatewayCounts } from './fake-gateway';
import type { ClientLog } from './workload';

/** One kill as it happened: when it was planned and done (seconds into the fault window), what died, how long until the system was back. */
export interface KillRecord {
  n: number;
  target: string;
  plannedAtMs: number;
  doneAtMs: number;
  what: string;
  /** For the monolith or the supervisor: from the kill until the restarted system was ready again. */
  backAfterMs?: number;
}

export interface RunSummary {
  header: string[];
  schedule: string[];
  kills: KillRecord[];
  /** The queue's Redis state deleted: when (seconds into the window) and how many keys went. */
  redisFlushes: Array<{ doneAtMs: number; keys: number }>;
  clients: ClientLog[];
  gateway: GatewayCounts;
  sink: { accepted: number; refused: number; hung: number };
  settleMs: number;
  verdicts: Record<InvariantName, Verdict>;
  durationMs: number;
  replay: string;
}

const FIRST = 5;

/** The client side in numbers: what the buyers asked and what they were told. */
export function workloadLines(clients: ClientLog[]): string[] {
  const sum = (f: (c: ClientLog) => number) => clients.reduce((n, c) => n + f(c), 0);
  const count = <T>(pick: (c: ClientLog) => T[], where: (t: T) => boolean) => sum((c) => pick(c).filter(where).length);
  return [
    `${clients.length} buyers, ${sum((c) => c.counts.visits)} visits, ${sum((c) => c.counts.requests)} requests`,
    `holds: ${sum((c) => c.holds.length)} told HELD, ${sum((c) => c.counts.holdRefused)} refused (seat taken, limit), ${sum((c) => c.counts.holdUnknown)} with no answer, ${sum((c) => c.counts.leftHoldsToExpire)} left to expire`,
    `payments: ${count(
      (c) => c.payments,
      (p) => p.outcome === 'paid',
    )} told paid (${count(
      (c) => c.payments,
      (p) => p.outcome === 'paid' && p.via === 'confirm',
    )} by the orchestrated confirm), ${count(
      (c) => c.payments,
      (p) => p.outcome === 'refused',
    )} refused, ${count(
      (c) => c.payments,
      (p) => p.outcome === 'unknown',
    )} with no final answer${unknownCodes(clients)}`,
    `charges: ${count(
      (c) => c.charges,
      (x) => x.outcome === 'credited',
    )} credited, ${count(
      (c) => c.charges,
      (x) => x.outcome === 'declined',
    )} declined, ${count(
      (c) => c.charges,
      (x) => x.outcome === 'unavailable',
    )} gateway unavailable, ${count(
      (c) => c.charges,
      (x) => x.outcome === 'unknown',
    )} outcome unknown to the client (${count(
      (c) => c.charges,
      (x) => x.keyed,
    )} of ${sum((c) => c.charges.length)} with an Idempotency-Key)`,
    `cancellations: ${count(
      (c) => c.cancels,
      (x) => x.outcome === 'cancelled' && !x.afterPaid,
    )} holds and ${count(
      (c) => c.cancels,
      (x) => x.outcome === 'cancelled' && x.afterPaid,
    )} paid reservations cancelled, ${count(
      (c) => c.cancels,
      (x) => x.outcome === 'unknown',
    )} with no final answer; ${sum((c) => c.counts.left)} left the queue`,
  ];
}

/** Why payments were left without a final answer, e.g. ` (QUEUE_PASS_INVALID 4, ECONNRESET 1)`. */
function unknownCodes(clients: ClientLog[]): string {
  const by = new Map<string, number>();
  for (const p of clients.flatMap((c) => c.payments)) if (p.outcome === 'unknown') by.set(p.code ?? '?', (by.get(p.code ?? '?') ?? 0) + 1);
  return by.size ? ` (${[...by].map(([code, n]) => `${code} ${n}`).join(', ')})` : '';
}

export function renderReport(s: RunSummary): string {
  const failed = INVARIANTS.filter((name) => !s.verdicts[name].ok);
  const lines = [...s.header, '', 'Fault schedule:', ...s.schedule.map((l) => `  ${l}`), '', `Kills done: ${s.kills.length}`];
  for (const k of s.kills)
    lines.push(
      `  ${String(k.n).padStart(3)} planned ${(k.plannedAtMs / 1000).toFixed(1)} s, done ${(k.doneAtMs / 1000).toFixed(1)} s: ${k.what}${k.backAfterMs === undefined ? '' : `, ready again after ${(k.backAfterMs / 1000).toFixed(1)} s`}`,
    );
  if (s.redisFlushes.length) {
    lines.push('', `Queue Redis state deleted: ${s.redisFlushes.length} times`);
    for (const f of s.redisFlushes) lines.push(`  at ${(f.doneAtMs / 1000).toFixed(1)} s: ${f.keys} keys`);
  }
  lines.push('', 'Workload:', ...workloadLines(s.clients).map((l) => `  ${l}`));
  const g = s.gateway;
  lines.push(
    '',
    `Fake payment gateway: ${g.approved} approved, ${g.declined} declined, ${g.answered503} answered 503, ${g.heldPastTimeout} answers held past the timeout, ${g.slow} slow decisions, ${g.statusCalls} status calls`,
    `Fake data-platform sink: ${s.sink.accepted} POSTs taken, ${s.sink.refused} answered 503, ${s.sink.hung} never answered`,
    `Settled ${(s.settleMs / 1000).toFixed(1)} s after the fault window`,
    '',
    'Invariants:',
  );
  for (const name of INVARIANTS) {
    const v = s.verdicts[name];
    lines.push(`  ${v.ok ? 'PASS' : 'FAIL'} ${name}: ${titleOf(name)}`, `       ${v.checked}`);
    for (const note of v.notes) lines.push(`       note: ${note}`);
    if (!v.ok) {
      lines.push(`       ${v.offenders.length} offences; the first ${Math.min(FIRST, v.offenders.length)}:`);
      for (const o of v.offenders.slice(0, FIRST)) lines.push(`         - ${o}`);
    }
  }
  lines.push(
    '',
    `Result: ${failed.length === 0 ? 'PASS' : `FAIL (${failed.join(', ')})`} after ${(s.durationMs / 1000).toFixed(0)} s, ${s.kills.length} kills survived`,
    `Replay: ${s.replay}`,
  );
  return `${lines.join('\n')}\n`;
}
