import { MODULE_NAMES, type ModuleName } from '../platform/config/config';
import { Prng } from './prng';

export type Topology = 'monolith' | 'split';

/**
 * What a kill -9 hits: the monolith's one process, or in the split topology a service or the
 * supervisor (which is also the gateway); with several queue replicas, one of them (`queue-<n>`).
 */
export type KillTarget = 'server' | 'supervisor' | ModuleName | `queue-${number}`;

/** The system's shape as far as the schedule is concerned: with a Redis queue store its state is flushed now and then. */
export interface ScheduleShape {
  topology: Topology;
  /** Queue processes in the split topology (1 unless the queue store is Redis). */
  queueReplicas: number;
  /** Times the waiting room's Redis state is deleted during the window (0 with the in-memory store). */
  redisFlushes: number;
}

export interface Kill {
  /** When, from the start of the fault window. */
  atMs: number;
  target: KillTarget;
  /** How long the runner waits before it starts a killed monolith or supervisor again (a service the supervisor restarts itself). */
  restartAfterMs: number;
}

/**
 * The fake payment gateway's behaviour in a phase:
 * - `ok`: approves at once (a few declines);
 * - `slow`: takes the charge as PENDING and decides (approves) only well past the client's timeout;
 * - `error`: most calls answer 503 and charge nothing;
 * - `charge-then-timeout`: most charges are approved at once, and the answer is held back past the timeout.
 */
export type GatewayMode = 'ok' | 'slow' | 'error' | 'charge-then-timeout';
/** The fake data-platform sink's behaviour in a phase: takes records, answers 503, or never answers. */
export type SinkMode = 'ok' | 'fail' | 'hang';

export interface Phase<M extends string> {
  fromMs: number;
  toMs: number;
  mode: M;
}

export interface FaultSchedule {
  seed: number;
  topology: Topology;
  /** Length of the fault window; after it every fault is off and the system settles. */
  windowMs: number;
  kills: Kill[];
  /** When the queue's Redis state is deleted, from the start of the window. */
  redisFlushes: number[];
  gateway: Array<Phase<GatewayMode>>;
  sink: Array<Phase<SinkMode>>;
}

const GATEWAY_WEIGHTS: Record<GatewayMode, number> = { ok: 40, slow: 20, error: 20, 'charge-then-timeout': 20 };
const SINK_WEIGHTS: Record<SinkMode, number> = { ok: 50, fail: 30, hang: 20 };

/** In the split topology, the supervisor is one target among the services (each replica counting as one). */
function splitTargets(queueReplicas: number): KillTarget[] {
  const services = MODULE_NAMES.flatMap((m): KillTarget[] =>
    m === 'queue' && queueReplicas > 1 ? Array.from({ length: queueReplicas }, (_, i) => `queue-${i + 1}` as const) : [m],
  );
  return [...services, 'supervisor'];
}

/**
 * The whole fault schedule of a run, from the seed, the topology, the number of kills and the
 * window alone: the same arguments give the same schedule, on any machine. Kills fall one in each
 * of `kills` equal slots of the window, at a random instant of the slot's middle 80 %, so two
 * kills are never closer than a fifth of a slot; gateway and sink phases of random length and
 * mode tile the window, the last second of it always `ok`.
 */
export function faultSchedule(seed: number, shapeOrTopology: ScheduleShape | Topology, kills: number, windowMs: number): FaultSchedule {
  const shape: ScheduleShape = typeof shapeOrTopology === 'string' ? { topology: shapeOrTopology, queueReplicas: 1, redisFlushes: 0 } : shapeOrTopology;
  const { topology } = shape;
  const root = new Prng(seed);
  const killRng = root.fork('kills');
  const gatewayRng = root.fork('gateway');
  const sinkRng = root.fork('sink');
  const flushRng = root.fork('redis-flushes');
  const slot = windowMs / Math.max(1, kills);
  const targets = splitTargets(shape.queueReplicas);
  const schedule: FaultSchedule = { seed, topology, windowMs, kills: [], redisFlushes: [], gateway: [], sink: [] };
  for (let i = 0; i < kills; i += 1) {
    const atMs = Math.round(i * slot + slot * (0.1 + 0.8 * killRng.next()));
    const target: KillTarget = topology === 'monolith' ? 'server' : killRng.pick(targets);
    schedule.kills.push({ atMs, target, restartAfterMs: killRng.int(0, 1500) });
  }
  // Anywhere in the window but its last tenth, so that the last rebuild is seen working before the checks.
  for (let i = 0; i < shape.redisFlushes; i += 1) schedule.redisFlushes.push(flushRng.int(0, Math.round(windowMs * 0.9)));
  schedule.redisFlushes.sort((a, b) => a - b);
  schedule.gateway = phases(gatewayRng, windowMs, GATEWAY_WEIGHTS, 'ok', 2_000, 8_000);
  schedule.sink = phases(sinkRng, windowMs, SINK_WEIGHTS, 'ok', 3_000, 12_000);
  return schedule;
}

function phases<M extends string>(rng: Prng, windowMs: number, weights: Record<M, number>, calm: M, minMs: number, maxMs: number): Array<Phase<M>> {
  const out: Array<Phase<M>> = [];
  const end = Math.max(0, windowMs - 1000);
  for (let from = 0; from < end; ) {
    const to = Math.min(end, from + rng.int(minMs, maxMs));
    const mode = rng.weighted(weights);
    const last = out[out.length - 1];
    if (last && last.mode === mode) last.toMs = to;
    else out.push({ fromMs: from, toMs: to, mode });
    from = to;
  }
  out.push({ fromMs: end, toMs: Number.POSITIVE_INFINITY, mode: calm });
  return out;
}

/** The mode of the phase `elapsedMs` falls in (the calm mode before the window and after it). */
export function modeAt<M extends string>(phases: ReadonlyArray<Phase<M>>, elapsedMs: number): M {
  for (const p of phases) if (elapsedMs >= p.fromMs && elapsedMs < p.toMs) return p.mode;
  return phases[phases.length - 1].mode;
}

/** The schedule as the lines printed at the start of a run and written into its report. */
export function describeSchedule(s: FaultSchedule): string[] {
  const seconds = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : 'end');
  const lines = [`seed ${s.seed}, topology ${s.topology}, fault window ${seconds(s.windowMs)} s, ${s.kills.length} kills`];
  for (const [i, k] of s.kills.entries())
    lines.push(
      `  kill ${String(i + 1).padStart(3)} at ${seconds(k.atMs).padStart(6)} s: kill -9 ${k.target}${k.target === 'server' || k.target === 'supervisor' ? `, restarted after ${k.restartAfterMs} ms` : ''}`,
    );
  if (s.redisFlushes.length) lines.push(`  queue Redis state deleted at: ${s.redisFlushes.map((ms) => `${seconds(ms)} s`).join(', ')}`);
  lines.push(`  payment gateway: ${s.gateway.map((p) => `${seconds(p.fromMs)}–${seconds(p.toMs)} s ${p.mode}`).join(', ')}`);
  lines.push(`  data-platform sink: ${s.sink.map((p) => `${seconds(p.fromMs)}–${seconds(p.toMs)} s ${p.mode}`).join(', ')}`);
  return lines;
}
