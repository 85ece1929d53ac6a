import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { ensureBuilt } from '../support/build';
import { backendEnv } from '../support/test-backend';

const root = path.resolve(__dirname, '../..');
/** Enough of the log for the lines before a failure, bounded however long the process runs. */
const LOG_KEPT_CHARS = 256 * 1024;

export { freePort } from '../../src/platform/topology/free-port';

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

/** The real server (`src/main.ts`, run from its build in dist/) as a child process on its own port and data directory: started, killed with -9, restarted. */
export class ServerProcess {
  child: ChildProcess | null = null;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  /** What the process wrote to stderr (also echoed, unless `quiet`). */
  stderr = '';
  /** The last of what it logged (stdout: warnings and errors unless the test sets LOG_LEVEL), kept for a failure's report. */
  private logged = '';

  constructor(
    private readonly env: Record<string, string>,
    readonly port: number,
    private readonly options: { quiet?: boolean; startTimeoutMs?: number } = {},
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    // Compiled JavaScript starts in a fraction of the time tsx takes to compile the sources in each process.
    ensureBuilt();
    const child = spawn(process.execPath, [path.join(root, 'dist/src/main.js')], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', BCRYPT_ROUNDS: '4', SEED_DEMO: 'false', ...backendEnv(this.env), PORT: String(this.port) },
    });
    this.child = child;
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
      if (!this.options.quiet) process.stderr.write(chunk);
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      this.logged = (this.logged + chunk.toString('utf8')).slice(-LOG_KEPT_CHARS);
    });
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    // The split topology starts eight processes or more: on a busy machine that takes a while.
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 90_000);
    for (;;) {
      try {
        if ((await fetch(`${this.base}/health/ready`)).status === 200) return;
      } catch {
        // not up yet
      }
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} while starting\n${this.logTail()}`);
      if (Date.now() > deadline) throw new Error(`server did not start\n${this.logTail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The last lines the process logged and wrote to stderr: what a failing test prints to say why. */
  logTail(lines = 40): string {
    const tail = (text: string) => text.trimEnd().split('\n').slice(-lines).join('\n');
    return `--- server log (last ${lines} lines) ---\n${tail(this.logged)}\n--- server stderr ---\n${tail(this.stderr)}`;
  }

  async kill9(): Promise<void> {
    const child = this.child!;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await this.exit;
  }

  signal(signal: NodeJS.Signals): void {
    this.child!.kill(signal);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await this.exit;
  }

  async call(method: string, url: string, headers: Record<string, string> = {}, body?: unknown): Promise<Reply> {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }
}

/** A new user over HTTP: signed up, logged in and admitted through the waiting room. */
export async function admittedBuyer(
  server: ServerProcess,
  email: string,
): Promise<{ id: number; auth: { authorization: string }; pass: string; withPass: { authorization: string; 'x-queue-pass': string } }> {
  const signup = await server.call('POST', '/auth/signup', {}, { email, password: 'password-123', name: email.split('@')[0] });
  if (signup.status !== 201) throw new Error(`signup answered ${signup.status}: ${JSON.stringify(signup.body)}`);
  const auth = { authorization: `Bearer ${(await server.call('POST', '/auth/login', {}, { email, password: 'password-123' })).body.accessToken}` };
  let status = (await server.call('POST', '/queue/token', auth)).body;
  for (let i = 0; i < 100 && status.status !== 'ACTIVE'; i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await server.call('GET', '/queue/status', { ...auth, 'x-queue-token': status.token })).body;
  }
  if (status.status !== 'ACTIVE') throw new Error(`not admitted: ${JSON.stringify(status)}`);
  return { id: signup.body.id, auth, pass: status.pass.token, withPass: { ...auth, 'x-queue-pass': status.pass.token } };
}
