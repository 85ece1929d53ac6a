import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import type { DatabaseCpu } from './backends';

export { freePort } from '../../platform/topology/free-port';

/** A server in its own process, with its resident memory sampled while the bench runs. */
export class ServerProcess {
  private child: ChildProcess | null = null;
  private sampler: NodeJS.Timeout | null = null;
  peakRssBytes = 0;
  /** The highest RSS seen since start, set-up phases included (never reset). */
  runPeakRssBytes = 0;
  stderr = '';
  private markCpuSeconds = 0;
  private markByProcess = new Map<string, number>();
  private markWallMs = 0;
  /** The PostgreSQL backends serving this server, whose CPU is measured beside its own (null on SQLite). */
  databaseCpu: DatabaseCpu | null = null;

  constructor(
    readonly name: string,
    private readonly script: string,
    readonly port: number,
    /** On top of the bench's own environment; an undefined value removes the variable. */
    private readonly env: Record<string, string | undefined>,
    private readonly nodeArgs: string[] = [],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(readyPath: string): Promise<void> {
    const env = Object.fromEntries(Object.entries({ ...process.env, ...this.env, PORT: String(this.port) }).filter(([, v]) => v !== undefined));
    this.child = spawn(process.execPath, [...this.nodeArgs, this.script], {
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr?.on('data', (d) => {
      this.stderr = (this.stderr + String(d)).slice(-4000);
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited during start-up (code ${this.child.exitCode}): ${this.stderr}`);
      try {
        const res = await fetch(`${this.url}${readyPath}`);
        if (res.status < 500) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} did not become ready: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    this.sampler = setInterval(() => this.sample(), 100);
    this.sampler.unref();
  }

  /** Starts a scenario's window: peak memory and CPU time are measured from here. */
  resetPeak(): void {
    this.peakRssBytes = 0;
    this.sample();
    this.markByProcess = this.cpuByProcess();
    this.markCpuSeconds = [...this.markByProcess.values()].reduce((a, b) => a + b, 0);
    this.markWallMs = performance.now();
    this.databaseCpu?.start();
  }

  /** CPU the PostgreSQL backends serving this server used since `resetPeak`, in cores; undefined on SQLite. */
  databaseCoresUsed(): number | undefined {
    return this.databaseCpu?.coresUsed();
  }

  /** CPU the server used since `resetPeak`, in cores (1 = one core busy all the time). */
  coresUsed(): number {
    const wallSeconds = (performance.now() - this.markWallMs) / 1000;
    return wallSeconds > 0 ? (this.cpuSeconds() - this.markCpuSeconds) / wallSeconds : 0;
  }

  /**
   * User + system CPU time of the server: its process and every process it started (the split
   * topology's services), from Linux /proc; 0 elsewhere.
   */
  cpuSeconds(): number {
    let total = 0;
    for (const seconds of this.cpuByProcess().values()) total += seconds;
    return total;
  }

  /** CPU seconds of each process of the server, by name (`server`, or the module a service runs). */
  cpuByProcess(): Map<string, number> {
    const out = new Map<string, number>();
    for (const pid of this.processTree()) {
      try {
        // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const name = pid === this.child?.pid ? 'server' : (moduleOf(pid) ?? `pid ${pid}`);
        out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
      } catch {
        // ended meanwhile
      }
    }
    return out;
  }

  /** Cores each process of the server used since `resetPeak` (one entry for the monolith). */
  coresByProcess(): Map<string, number> {
    const wallSeconds = (performance.now() - this.markWallMs) / 1000;
    const out = new Map<string, number>();
    for (const [name, seconds] of this.cpuByProcess()) out.set(name, wallSeconds > 0 ? (seconds - (this.markByProcess.get(name) ?? 0)) / wallSeconds : 0);
    return out;
  }

  rssBytes(): number {
    let total = 0;
    for (const pid of this.processTree()) {
      try {
        const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
      } catch {
        // ended meanwhile
      }
    }
    return total;
  }

  /** The server's process and its descendants. */
  private processTree(): number[] {
    const root = this.child?.pid;
    if (!root) return [];
    const pids: number[] = [];
    const visit = (pid: number) => {
      pids.push(pid);
      let children: string;
      try {
        children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
      } catch {
        return;
      }
      for (const child of children.split(' ').filter(Boolean)) visit(Number(child));
    };
    visit(root);
    return pids;
  }

  async stop(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  private sample(): void {
    const rss = this.rssBytes();
    this.peakRssBytes = Math.max(this.peakRssBytes, rss);
    this.runPeakRssBytes = Math.max(this.runPeakRssBytes, rss);
  }
}

/** The module a service process of the split topology runs (its MODULES), or null. */
function moduleOf(pid: number): string | null {
  try {
    const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    // A replica is named by its INSTANCE_NAME (`queue-2`), a single service by its module.
    const named = (key: string) => environ.find((v) => v.startsWith(`${key}=`))?.slice(key.length + 1);
    return named('INSTANCE_NAME') ?? named('MODULES') ?? null;
  } catch {
    return null;
  }
}
