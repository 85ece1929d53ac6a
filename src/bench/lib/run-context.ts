import { type Api, bearer, tokenFor, USER_ID_BASE } from './api';
import type { Backend } from './backends';
import type { ServerSetup } from './bench-servers';
import { monotonicMicros, type TimeWindow } from './cpu-profile';
import { checkInvariants, type InvariantReport } from './invariants';
import { hammer, type LoadResult } from './load';
import type { BenchOptions } from './options';
import type { ServerProcess } from './server-process';

/** A span of the run to cut out of a server's CPU profile (`dir` under the data root). */
export type ProfileWindow = TimeWindow & { name: string; dir: string };

export function log(msg: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

export function mb(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}

/** The collectors of the report, shared by the backends of one run. */
export interface RunRecord {
  readonly invariants: InvariantReport[];
  readonly profileWindows: ProfileWindow[];
  /**
   * The rate of every ceiling run, in order. The ceiling is measured again after every scenario,
   * and each scenario is divided by the mean of the ceiling runs just before and just after it:
   * the machine's speed drifts over a run (other tenants, heat) by more than some of the
   * differences we compare. With two backends both run beside the same ceiling server, so every
   * scenario of either is divided by the ceiling runs around it.
   */
  readonly ceilingRuns: number[];
}

export function newRunRecord(): RunRecord {
  return { invariants: [], profileWindows: [], ceilingRuns: [] };
}

/**
 * What the scenarios of one backend share: the started servers and the admin's API, the options,
 * the backend, the collectors of the report (invariant checks, profile windows, ceiling runs:
 * one record for the whole run), and the measuring window of the scenario in progress.
 */
export class RunContext {
  readonly invariants: InvariantReport[];
  readonly profileWindows: ProfileWindow[];
  readonly ceilingRuns: number[];
  private readonly ceilingToken = tokenFor(USER_ID_BASE);
  private clientMark = clientMarkNow();

  constructor(
    readonly options: BenchOptions,
    readonly setup: ServerSetup,
    readonly ceiling: ServerProcess,
    readonly server: ServerProcess,
    readonly api: Api,
    readonly admin: Record<string, string>,
    readonly backend: Backend,
    record: RunRecord = newRunRecord(),
  ) {
    this.invariants = record.invariants;
    this.profileWindows = record.profileWindows;
    this.ceilingRuns = record.ceilingRuns;
  }

  /** Appended to this backend's row names and invariant stages ('' on a SQLite-only run). */
  get label(): string {
    return this.backend.label;
  }

  /** Gives this backend's rows their label and backend (the ceiling's first row has neither). */
  labelled(results: LoadResult[]): LoadResult[] {
    if (!this.label) return results;
    for (const r of results) {
      r.name += this.label;
      r.backend = this.backend.name;
    }
    return results;
  }

  /** Checks the invariants on this backend's main server and records them under `stage` (labelled). */
  async checkInvariants(stage: string, buyers: Array<{ id: number; token: string }> = []): Promise<void> {
    this.invariants.push(await checkInvariants(`${stage}${this.label}`, this.api, this.admin, this.backend.store('main'), buyers));
  }

  get root(): string {
    return this.setup.root;
  }

  /** Starts a scenario's measuring window: the server's peak memory and CPU, the load generator's CPU, the profile span. */
  startWindow(target: ServerProcess): void {
    target.resetPeak();
    this.clientMark = clientMarkNow();
  }

  /** Where the latest window started on the monotonic clock (the clock of the servers' profiles). */
  get windowStartUs(): number {
    return this.clientMark.monotonicUs;
  }

  /** Gives `result` the figures of the window since `startWindow(target)`. */
  takeWindowFigures(result: LoadResult, target: ServerProcess): void {
    result.peakRssMb = mb(target.peakRssBytes);
    result.serverCores = target.coresUsed();
    result.clientCores = this.clientCores();
    const databaseCores = target.databaseCoresUsed();
    if (databaseCores !== undefined) result.databaseCores = databaseCores;
    const byProcess = target.coresByProcess();
    if (byProcess.size > 1) {
      const cores = [...byProcess].map(([name, c]) => `${name === 'server' ? 'gateway' : name} ${c.toFixed(2)}`).join(', ');
      result.note = [result.note, `CPU by process (cores): ${cores}`].filter(Boolean).join('; ');
    }
  }

  hammerCeiling(name: string, durationSeconds: number): Promise<LoadResult> {
    return hammer(name, {
      url: this.ceiling.url,
      connections: this.options.connections,
      durationSeconds,
      requests: [{ method: 'GET', path: '/ceiling', headers: bearer(this.ceilingToken) }],
    });
  }

  /** Ends a scenario's result on the main server: its window's figures, then its ratio to the ceiling beside it. */
  async compareToCeiling(result: LoadResult): Promise<void> {
    // A result measured run by run (the alternated status polling) brings its own figures.
    if (result.serverCores === undefined) {
      this.profileWindows.push({
        name: `${result.name}${this.label}`,
        dir: this.backend.profileDir('main'),
        fromUs: this.windowStartUs,
        toUs: monotonicMicros(),
      });
      this.takeWindowFigures(result, this.server);
    }
    result.ceilingRps = await this.ceilingBeside();
    result.ratioToCeiling = Math.round((100 * result.rps) / result.ceilingRps) / 100;
    log(
      `${result.name}${this.label}: ${Math.round(result.rps)} req/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, errors ${result.errors}, CPU server ${result.serverCores?.toFixed(2)} / bench ${result.clientCores?.toFixed(2)} cores${result.databaseCores === undefined ? '' : `, PostgreSQL backends ${result.databaseCores.toFixed(2)} cores`}`,
    );
  }

  private async ceilingBeside(): Promise<number> {
    const before = this.ceilingRuns[this.ceilingRuns.length - 1];
    const after = await this.hammerCeiling('ceiling', this.options.quick ? 2 : this.options.durationSeconds);
    this.ceilingRuns.push(after.rps);
    return (before + after.rps) / 2;
  }

  /** CPU this process (the load generator) used since the latest window started, in cores. */
  private clientCores(): number {
    const used = process.cpuUsage(this.clientMark.cpu);
    const wallMs = performance.now() - this.clientMark.wallMs;
    return wallMs > 0 ? (used.user + used.system) / 1000 / wallMs : 0;
  }
}

function clientMarkNow() {
  return { cpu: process.cpuUsage(), wallMs: performance.now(), monotonicUs: monotonicMicros() };
}
