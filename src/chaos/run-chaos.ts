/**
 * `npm run chaos`: a seeded chaos run. Starts the real system on fresh data, drives a sale with
 * simulated buyers while a fault schedule derived only from the seed kills processes and makes
 * the (fake) payment gateway and data-platform sink misbehave, lets the system settle, judges
 * the invariants from what the clients were told, the API and the module databases, writes a
 * report, and exits 1 on any violation. See docs/operations.md, "Chaos runs".
 */
import fs from 'node:fs';
import path from 'node:path';
import { waitForBusIdle } from '../bench/lib/bus';
import { closeConnections } from '../bench/lib/load';
import { judge } from './checker';
import { collect, settle } from './collect';
import { FakeGateway, sleep } from './fake-gateway';
import { FakeSink } from './fake-sink';
import { type ChaosOptions, parseOptions, replayCommand, USAGE } from './options';
import { Prng } from './prng';
import { type KillRecord, renderReport } from './report';
import { describeSchedule, faultSchedule, modeAt } from './schedule';
import { ChaosSystem, servicesSettled } from './system';
import { type ChaosSchedule, type ChaosUser, runUser, signUp, type WorkloadContext } from './workload';

/** The payment module's per-call timeout in the run: the fake gateway's "slow" is a few of these. */
const GATEWAY_TIMEOUT_MS = 500;
const HOT_SEATS = 6;
const SETTLE_TIMEOUT_MS = 180_000;

function log(msg: string): void {
  console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

async function main(): Promise<number> {
  let options: ChaosOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const o = options;
  const started = Date.now();
  const schedule = faultSchedule(
    o.seed,
    { topology: o.topology, queueReplicas: o.queueReplicas, redisFlushes: o.redisFlushes },
    o.kills,
    o.durationSeconds * 1000,
  );
  const scheduleLines = describeSchedule(schedule);
  console.log(`Chaos run, replay with: ${replayCommand(o)}\n${scheduleLines.join('\n')}\n`);

  const maxActive = Math.max(3, Math.round(o.users / 3));
  const admitPerSecond = 3;
  let windowStart = Number.POSITIVE_INFINITY;
  const elapsed = () => Date.now() - windowStart;
  const root = new Prng(o.seed);
  const gateway = new FakeGateway(() => modeAt(schedule.gateway, elapsed()), root.fork('gateway-requests'), GATEWAY_TIMEOUT_MS);
  const sink = new FakeSink(() => modeAt(schedule.sink, elapsed()));
  const gatewayUrl = await gateway.listen();
  const sinkUrl = await sink.listen();
  let system: ChaosSystem;
  try {
    system = await ChaosSystem.create({
      topology: o.topology,
      db: o.db,
      dbUrl: o.dbUrl,
      natsUrl: o.natsUrl,
      queueStore: o.queueStore,
      queueReplicas: o.queueReplicas,
      redisUrl: o.redisUrl,
      log,
      env: {
        LOG_LEVEL: 'warn',
        BCRYPT_ROUNDS: '4',
        HOLD_TTL_SECONDS: '15',
        QUEUE_MAX_ACTIVE: String(maxActive),
        QUEUE_ADMIT_PER_SECOND: String(admitPerSecond),
        QUEUE_ACTIVE_TTL_SECONDS: '30',
        QUEUE_WAITING_IDLE_SECONDS: '30',
        QUEUE_POLL_THROTTLE: 'true',
        PAYMENT_GATEWAY_URL: gatewayUrl,
        PAYMENT_GATEWAY_TIMEOUT_MS: String(GATEWAY_TIMEOUT_MS),
        DATA_PLATFORM_URL: sinkUrl,
      },
    });
  } catch (err) {
    console.error((err as Error).message);
    await gateway.close();
    await sink.close();
    return 2;
  }

  let cleaning: Promise<void> | null = null;
  const cleanUp = () => {
    cleaning ??= (async () => {
      closeConnections();
      await system.cleanUp(o.keep);
      await gateway.close().catch(() => undefined);
      await sink.close().catch(() => undefined);
    })();
    return cleaning;
  };
  const interrupted = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the system and deleting the run's data`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    log(`starting the ${system.describe()}`);
    await system.start();
    // Enough seats that the sale lasts the whole window (about one purchase a second is made).
    const schedules = await createCatalogue(system, Math.max(20, o.users, o.durationSeconds));
    const ctxStop = { stopping: false };
    const ctx: WorkloadContext = { base: () => system.url, schedules, hotSeats: HOT_SEATS, stopping: () => ctxStop.stopping, rng: root.fork('workload') };
    const runTag = `${o.seed}-${Date.now().toString(36)}`;
    const users: ChaosUser[] = [];
    for (let i = 0; i < o.users; i += 1) users.push(await signUp(ctx, i, runTag));
    log(`${users.length} buyers signed up; the fault window opens (${o.durationSeconds} s)`);

    windowStart = Date.now();
    const buyers = Promise.all(users.map((u) => runUser(ctx, u)));
    const flushes = flushOnSchedule(system, schedule.redisFlushes, elapsed);
    const kills: KillRecord[] = [];
    for (const [i, k] of schedule.kills.entries()) {
      const wait = k.atMs - elapsed();
      if (wait > 0) await sleep(wait);
      const doneAtMs = elapsed();
      const what = await system.kill(k.target, k.restartAfterMs);
      const record: KillRecord = { n: i + 1, target: k.target, plannedAtMs: k.atMs, doneAtMs, what };
      if (k.target === 'server' || k.target === 'supervisor') record.backAfterMs = elapsed() - doneAtMs;
      kills.push(record);
      log(
        `kill ${i + 1}/${schedule.kills.length}: ${what}${record.backAfterMs === undefined ? '' : `, ready again after ${(record.backAfterMs / 1000).toFixed(1)} s`}`,
      );
    }
    const rest = schedule.windowMs - elapsed();
    if (rest > 0) await sleep(rest);
    const redisFlushes = await flushes;
    log('fault window closed; buyers finish what they are doing');
    ctxStop.stopping = true;
    const finished = await Promise.race([buyers.then(() => true), sleep(120_000).then(() => false)]);
    if (!finished) log('some buyers were still busy after 2 minutes; judging anyway');

    const settleStart = Date.now();
    const unsettled = await settle(system, o.topology === 'split', SETTLE_TIMEOUT_MS);
    const settleMs = Date.now() - settleStart;
    log(unsettled.length ? `not settled after ${SETTLE_TIMEOUT_MS / 1000} s: ${unsettled.join('; ')}` : `settled after ${(settleMs / 1000).toFixed(1)} s`);
    const observations = await collect(system, users, schedules, { maxActive, admitPerSecond }, unsettled, gateway, sink);
    const verdicts = judge(observations);
    const report = renderReport({
      header: [
        `Chaos run: seed ${o.seed}, ${o.kills} kills, topology ${o.topology}, fault window ${o.durationSeconds} s, ${o.users} buyers`,
        `System: ${system.describe()}; waiting room cap ${maxActive}, ${admitPerSecond} admissions/s; holds last 15 s; gateway timeout ${GATEWAY_TIMEOUT_MS} ms`,
        `Started ${new Date(started).toISOString()}; restarts of the whole system: ${system.restarts}`,
      ],
      schedule: scheduleLines,
      kills,
      redisFlushes,
      clients: users.map((u) => u.log),
      gateway: gateway.counts,
      sink: sink.counts,
      settleMs,
      verdicts,
      durationMs: Date.now() - started,
      replay: replayCommand(o),
    });
    fs.mkdirSync(path.dirname(o.reportPath), { recursive: true });
    fs.writeFileSync(o.reportPath, report);
    console.log(report);
    log(`report written to ${o.reportPath}`);
    const ok = Object.values(verdicts).every((v) => v.ok);
    if (!ok) console.error(`server's last stderr:\n${system.stderr.slice(-3000)}`);
    return ok ? 0 : 1;
  } finally {
    await cleanUp();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

/** Deletes the queue's Redis state at each planned instant (beside the kills, which run on their own schedule). */
async function flushOnSchedule(system: ChaosSystem, atMs: number[], elapsed: () => number): Promise<Array<{ doneAtMs: number; keys: number }>> {
  const done: Array<{ doneAtMs: number; keys: number }> = [];
  for (const [i, at] of atMs.entries()) {
    const wait = at - elapsed();
    if (wait > 0) await sleep(wait);
    const doneAtMs = elapsed();
    const keys = await system.flushQueueState();
    done.push({ doneAtMs, keys });
    log(`Redis flush ${i + 1}/${atMs.length}: deleted the waiting room's ${keys} keys`);
  }
  return done;
}

/** One concert with two schedules; every seat's price one of three. The catalogue reaches every module before the sale starts. */
async function createCatalogue(system: ChaosSystem, seatsPerSchedule: number): Promise<ChaosSchedule[]> {
  const prices = [30_000, 50_000, 80_000];
  const seats = (prefix: string) => Array.from({ length: seatsPerSchedule }, (_, i) => ({ label: `${prefix}-${i + 1}`, price: prices[i % prices.length] }));
  const concert = await system.api.ok('POST', '/admin/concerts', system.admin, {
    title: 'Chaos Night',
    artist: 'The Kill Nines',
    venue: 'Signal Hall',
    schedules: [
      { startsAt: '2031-09-01T19:00:00.000Z', seats: seats('A') },
      { startsAt: '2031-09-02T19:00:00.000Z', seats: seats('B') },
    ],
  });
  await waitForBusIdle(system.api, system.admin);
  for (let i = 0; i < 300 && !servicesSettled(await system.services().catch(() => [])); i += 1) {
    if (!system.describe().startsWith('split')) break;
    await sleep(100);
  }
  return concert.schedules.map((s: { id: number; seats: Array<{ id: number; price: number }> }) => ({
    id: s.id,
    seats: s.seats.map((x) => ({ id: x.id, price: x.price })),
  }));
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
