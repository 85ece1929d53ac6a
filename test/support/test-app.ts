import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { buildPlatform } from '../../src/composition-root';
import type { EventEnvelope, EventPayload, EventType } from '../../src/contracts/events';
import type { QueuePasses } from '../../src/platform/auth/queue-pass';
import type { EventHandler } from '../../src/platform/bus/subscription';
import { type Clock, ManualClock } from '../../src/platform/clock/clock';
import { loadConfig, type ModuleName } from '../../src/platform/config/config';
import type { ModuleDefinition } from '../../src/platform/module/module-definition';
import type { Platform } from '../../src/platform/platform';
import { PLATFORM } from '../../src/platform/platform.di-tokens';
import { backendEnv } from './test-backend';

export const ADMIN = { email: 'admin@test.local', password: 'admin-password-1' };

/** Settings every test app starts from; a test overrides what it is about. */
export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  DATA_DIR: ':memory:',
  JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
  QUEUE_PASS_SECRET: 'test-pass-secret-test-pass-secret-0123',
  LOG_LEVEL: 'silent',
  BCRYPT_ROUNDS: '4',
  SEED_DEMO: 'false',
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  BUS_RETRY_BASE_MS: '5',
};

export interface TestApp {
  platform: Platform;
  http: TestAgent;
  clock: Clock;
  /** Log lines written by the app, parsed (only when `captureLogs` was asked for). */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  clock?: Clock;
  captureLogs?: boolean;
  /** Start the relay and jobs (default true). */
  start?: boolean;
  /** Replace the module list (e.g. swap a module for a test probe of the same name). */
  modules?: ModuleDefinition[];
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  // On the PostgreSQL pass, a system of its own (or the one standing for the data directory it restarts on).
  const config = loadConfig(backendEnv({ ...TEST_ENV, ...(options.captureLogs ? { LOG_LEVEL: 'debug' } : {}), ...options.env }));
  const clock = options.clock ?? new ManualClock(Date.now());
  const logs: Array<Record<string, unknown>> = [];
  const logDestination = options.captureLogs
    ? new Writable({
        write(chunk, _enc, cb) {
          for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
          cb();
        },
      })
    : undefined;
  // Tests of one module alone inject the other modules' events themselves.
  const platform = await buildPlatform(config, {
    clock,
    logDestination,
    allowPartialModuleSet: true,
    ...(options.modules ? { modules: options.modules } : {}),
  });
  if (options.start !== false) platform.start();
  let stopped = false;
  return {
    platform,
    http: request(platform.app),
    clock,
    logs,
    async stop() {
      if (stopped) return;
      stopped = true;
      await platform.stop();
    },
  };
}

const createdDataDirs: string[] = [];

/** A temporary data directory, for tests that restart on the same files; removed after the run. */
export function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-test-'));
  createdDataDirs.push(dir);
  return dir;
}

/** Called once after all tests (see setup.ts), when every app using these directories has stopped. */
export function removeTempDataDirs(): void {
  for (const dir of createdDataDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

let userCounter = 0;

export interface TestUser {
  id: number;
  email: string;
  token: string;
  auth: { Authorization: string };
}

export async function signupAndLogin(http: TestAgent, name = 'user'): Promise<TestUser> {
  userCounter += 1;
  const email = `${name}-${process.pid}-${userCounter}-${Math.random().toString(36).slice(2, 8)}@test.local`;
  const password = 'password-123';
  const signup = await http.post('/auth/signup').send({ email, password, name });
  if (signup.status !== 201) throw new Error(`signup failed: ${signup.status} ${JSON.stringify(signup.body)}`);
  const token = await login(http, email, password);
  return { id: signup.body.id, email, token, auth: { Authorization: `Bearer ${token}` } };
}

export async function login(http: TestAgent, email: string, password: string): Promise<string> {
  const res = await http.post('/auth/login').send({ email, password });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken;
}

export async function loginAdmin(http: TestAgent): Promise<TestUser> {
  const token = await login(http, ADMIN.email, ADMIN.password);
  const me = await http.get('/auth/me').set('Authorization', `Bearer ${token}`);
  return { id: me.body.id, email: ADMIN.email, token, auth: { Authorization: `Bearer ${token}` } };
}

/** Polls `check` (bus sweeps in between) until it holds, or fails after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean> | boolean, platform?: Platform, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (platform) await platform.bus.sweep();
    if (await check()) return;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A valid queue pass for a user, minted with the platform's pass key. Tests of modules behind
 * the waiting room use it so they do not depend on the queue's admission timing; the queue
 * module's own tests obtain passes the real way.
 */
export function queuePassFor(platform: Platform, userId: number, ttlMs = 10 * 60_000): { 'X-Queue-Pass': string } {
  const passes = platform.root.get<QueuePasses>(PLATFORM.QueuePasses);
  return { 'X-Queue-Pass': passes.issue(userId, `test-${userId}`, platform.clock.now() + ttlMs) };
}

/**
 * Hands one event to one of a module's handlers in a transaction of its own, as an inbox does
 * (without the inbox's bookkeeping): for races between handlers, each call its own transaction.
 */
export function handleEventWith<T extends EventType>(
  app: TestApp,
  module: ModuleName,
  handler: new (...args: any[]) => EventHandler<T>,
  type: T,
  payload: EventPayload<T>,
): Promise<void> {
  const envelope = {
    id: randomUUID(),
    type,
    version: 1,
    occurredAt: new Date(app.clock.now()).toISOString(),
    aggregateId: String((payload as { reservationId: number }).reservationId),
    correlationId: randomUUID(),
    causationId: null,
    payload,
  } as EventEnvelope<T>;
  const instance = app.platform.container(module).get<EventHandler<T>>(handler);
  return app.platform.database(module).transaction((trx) => instance.handle(envelope, trx));
}
