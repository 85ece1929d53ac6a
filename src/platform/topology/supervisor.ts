import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from '../logging/logger';
import type { ServiceRegistry } from './service-registry';

export interface ServiceProcessSpec {
  name: string;
  port: number;
  /** The command that starts the service (node and its arguments). */
  command: string[];
  env: Record<string, string | undefined>;
}

const MAX_BACKOFF_MS = 10_000;
/** A child that stayed up this long is healthy again: its next crash starts the backoff over. */
const STABLE_AFTER_MS = 30_000;

/**
 * Runs one OS process per module service and keeps it running: a child that exits is started
 * again after a growing pause (logged and counted), and `stop` ends them all with SIGTERM (their
 * own graceful shutdown), then SIGKILL for any still alive after the grace period.
 */
export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private readonly exits = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(
    private readonly specs: readonly ServiceProcessSpec[],
    private readonly registry: ServiceRegistry,
    private readonly logger: Logger,
    private readonly onRestart: (service: string) => void = () => undefined,
  ) {}

  start(): void {
    for (const spec of this.specs) this.launch(spec, 0);
  }

  pidOf(name: string): number | null {
    return this.children.get(name)?.pid ?? null;
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const child of this.children.values()) child.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const child of this.children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, graceMs);
    await Promise.all(this.exits.values());
    clearTimeout(killer);
  }

  private launch(spec: ServiceProcessSpec, failures: number): void {
    const [command, ...args] = spec.command;
    // The IPC channel is the child's tie to this process: when it breaks (this process died, even by
    // kill -9), the child shuts itself down instead of living on as an orphan.
    const child = spawn(command, args, {
      env: { ...spec.env, PORT: String(spec.port), TICKETING_SUPERVISED: '1' } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const startedAtMs = Date.now();
    this.children.set(spec.name, child);
    this.registry.update(spec.name, { pid: child.pid ?? null, startedAtMs, status: 'starting' });
    this.logger.info({ service: spec.name, pid: child.pid, port: spec.port }, 'supervisor: service started');
    this.exits.set(
      spec.name,
      new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          this.registry.update(spec.name, { status: 'down', pid: null, lastError: `exited (${signal ?? code})` });
          resolve();
          if (this.stopping) return;
          const again = Date.now() - startedAtMs > STABLE_AFTER_MS ? 0 : failures + 1;
          const pauseMs = again === 0 ? 100 : Math.min(MAX_BACKOFF_MS, 250 * 2 ** (again - 1));
          const restarts = (this.registry.get(spec.name)?.restarts ?? 0) + 1;
          this.registry.update(spec.name, { restarts });
          this.onRestart(spec.name);
          this.logger.warn({ service: spec.name, code, signal, restarts, pauseMs }, 'supervisor: service exited; starting it again');
          setTimeout(() => {
            if (!this.stopping) this.launch(spec, again);
          }, pauseMs).unref();
        });
      }),
    );
  }
}
