import path from 'node:path';
import { BENCH_JWT_SECRET } from './api';
import { type Backend, DatabaseCpu, type ServerRole } from './backends';
import { freePort, ServerProcess } from './server-process';

export const ADMIN = { email: 'bench-admin@bench.local', password: 'bench-admin-password' };

/** The compiled entry points, beside this file's own compiled copy in dist/src/bench/lib. */
export const MAIN_SCRIPT = path.resolve(__dirname, '../../main.js');
export const CEILING_SCRIPT = path.resolve(__dirname, '../ceiling-server.js');

/** What every server of one run shares: the data root, the Node flags, and whether it is profiled. */
export interface ServerSetup {
  root: string;
  nodeArgs: string[];
  profile: boolean;
}

/**
 * A server of the bench, not yet started, with its data in `root/dataDir`; under --profile it
 * writes its CPU profile to `root/profileDir`.
 */
export async function benchServer(
  setup: ServerSetup,
  name: string,
  script: string,
  dataDir: string,
  profileDir: string,
  extraEnv: Record<string, string | undefined> = {},
): Promise<ServerProcess> {
  return new ServerProcess(name, script, await freePort(), serverEnv(path.join(setup.root, dataDir), extraEnv), [
    ...setup.nodeArgs,
    ...(setup.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(setup.root, profileDir)}`] : []),
  ]);
}

/** A server of the app (main or control) on `backend`: its directories, its database settings, the CPU of its PostgreSQL backends. */
export async function backendServer(setup: ServerSetup, backend: Backend, role: ServerRole, name: string): Promise<ServerProcess> {
  const server = await benchServer(setup, name, MAIN_SCRIPT, backend.dataDir(role), backend.profileDir(role), backend.env(role));
  const databases = backend.databaseProcesses(role);
  if (databases) server.databaseCpu = new DatabaseCpu(databases);
  return server;
}

function serverEnv(dataDir: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'production',
    DATA_DIR: dataDir,
    JWT_SECRET: BENCH_JWT_SECRET,
    QUEUE_PASS_SECRET: `${BENCH_JWT_SECRET}-queue-pass`,
    TICKET_SECRET: `${BENCH_JWT_SECRET}-tickets`,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    SEED_DEMO: 'false',
    LOG_LEVEL: 'info',
    BCRYPT_ROUNDS: '10',
    HOLD_TTL_SECONDS: '900',
    QUEUE_MAX_ACTIVE: '1000000',
    QUEUE_ADMIT_PER_SECOND: '100000',
    QUEUE_ACTIVE_TTL_SECONDS: '3600',
    QUEUE_WAITING_IDLE_SECONDS: '3600',
    // The bench polls a few waiting tokens thousands of times a second to measure the poll path itself.
    QUEUE_POLL_THROTTLE: 'false',
    AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
    ...extra,
  };
}
