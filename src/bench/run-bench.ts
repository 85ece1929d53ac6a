/**
 * `npm run bench`: builds and starts the real server (npm start's code path, production settings,
 * a fresh data directory) and a ceiling server, drives them over HTTP from this process, checks
 * the money and seat invariants after every scenario, and writes docs/performance.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, BENCH_JWT_SECRET, bearer, tokenFor } from './lib/api';
import { monotonicMicros, topCosts, type TimeWindow } from './lib/cpu-profile';
import { checkInvariants, type InvariantReport } from './lib/invariants';
import { call, closeConnections, drive, hammer, percentile, type LoadResult } from './lib/load';
import { parseOptions, USAGE } from './lib/options';
import { writeReport } from './lib/report';
import { freePort, ServerProcess } from './lib/server-process';


const ADMIN = { email: 'bench-admin@bench.local', password: 'bench-admin-password' };
const USER_ID_BASE = 1_000_000;

function serverEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATA_DIR: dataDir,
    JWT_SECRET: BENCH_JWT_SECRET,
    QUEUE_PASS_SECRET: `${BENCH_JWT_SECRET}-queue-pass`,
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

interface Shopper {
  id: number;
  token: string;
  pass: string;
}

async function main(): Promise<void> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2), path.resolve(__dirname, '../../../docs/performance.md'));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-bench-'));
  const dist = path.resolve(__dirname, '..');
  const results: LoadResult[] = [];
  const invariants: InvariantReport[] = [];
  const notes: string[] = [];
  /** Spans of the run to cut out of a server's CPU profile (`dir` under the data root). */
  const windows: Array<TimeWindow & { name: string; dir: string }> = [];
  const log = (msg: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

  // Both servers run with the Node flags of `npm start`, plus any given in BENCH_NODE_ARGS.
  const nodeArgs = [...startScriptNodeFlags(), ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  // Under --profile the ceiling runs under the profiler too, so the ratios carry its cost on both sides.
  const ceiling = new ServerProcess('ceiling', path.join(dist, 'bench', 'ceiling-server.js'), await freePort(), serverEnv(path.join(root, 'ceiling')), [
    ...nodeArgs,
    ...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'profile-ceiling')}`] : []),
  ]);
  const server = new ServerProcess('server', path.join(dist, 'main.js'), await freePort(), serverEnv(path.join(root, 'data')), [
    ...nodeArgs,
    ...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'profile')}`] : []),
  ]);
  /** Starts a scenario's measuring window: the server's peak memory and CPU, the load generator's CPU, the profile span. */
  const startWindow = (target: ServerProcess) => {
    target.resetPeak();
    markClientCpu();
  };
  notes.push(`server and ceiling started with \`node ${nodeArgs.join(' ')}\``);
  try {
    log(`starting servers (data in ${root})`);
    await ceiling.start('/nothing-here');
    await server.start('/health/ready');
    const api = new Api(server.url);
    const login = await api.ok('POST', '/auth/login', {}, ADMIN);
    const admin = bearer(login.accessToken);

    // Ceiling: the same HTTP stack doing no business work.
    const ceilingToken = tokenFor(USER_ID_BASE);
    // Warm-up first (JIT, connections): the measured run starts from a steady state.
    await hammer('warm-up', { url: ceiling.url, connections: options.connections, durationSeconds: 2, requests: [{ method: 'GET', path: '/ceiling', headers: bearer(ceilingToken) }] });
    startWindow(ceiling);
    const ceilingResult = await medianOf3(() =>
      hammer('ceiling: bare endpoint, same middleware (median of 3)', {
        url: ceiling.url,
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        requests: [{ method: 'GET', path: '/ceiling', headers: bearer(ceilingToken) }],
      }),
    );
    ceilingResult.peakRssMb = mb(ceiling.peakRssBytes);
    results.push(ceilingResult);
    ceilingResult.serverCores = ceiling.coresUsed();
    ceilingResult.clientCores = clientCores();
    log(`ceiling ${Math.round(ceilingResult.rps)} req/s`);

    // The ceiling is measured again after every scenario, and each scenario is divided by the
    // mean of the ceiling runs just before and just after it: the machine's speed drifts over
    // a run (other tenants, heat) by more than some of the differences we compare.
    const ceilingRuns: number[] = [ceilingResult.rps];
    const statusRounds = options.quick ? 4 : STATUS_ROUNDS;
    // Short runs, alternated often: the machine's speed drifts within seconds, and a main/control
    // pair only cancels the drift that both runs of the pair saw.
    const statusRunSeconds = Math.min(options.durationSeconds, STATUS_RUN_SECONDS);
    const ceilingBeside = async (): Promise<number> => {
      const before = ceilingRuns[ceilingRuns.length - 1];
      const after = await hammer('ceiling', { url: ceiling.url, connections: options.connections, durationSeconds: options.quick ? 2 : options.durationSeconds, requests: [{ method: 'GET', path: '/ceiling', headers: bearer(ceilingToken) }] });
      ceilingRuns.push(after.rps);
      return (before + after.rps) / 2;
    };

    const scenario = async (result: LoadResult) => {
      // A result measured run by run (the alternated status polling) brings its own figures.
      if (result.serverCores === undefined) {
        windows.push({ name: result.name, dir: 'profile', fromUs: clientMark.monotonicUs, toUs: monotonicMicros() });
        result.peakRssMb = mb(server.peakRssBytes);
        result.serverCores = server.coresUsed();
        result.clientCores = clientCores();
      }
      result.ceilingRps = await ceilingBeside();
      result.ratioToCeiling = Math.round((100 * result.rps) / result.ceilingRps) / 100;
      results.push(result);
      log(`${result.name}: ${Math.round(result.rps)} req/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, errors ${result.errors}, CPU server ${result.serverCores?.toFixed(2)} / bench ${result.clientCores?.toFixed(2)} cores`);
    };

    /** `count` new users join the queue of the server at `base` and must all be WAITING. */
    const joinWaiting = async (base: string, firstUserId: number, count: number) => {
      const waiting: Array<{ token: string; queueToken: string }> = [];
      await drive('join waiting', Array.from({ length: count }, (_, i) => firstUserId + i), 200, async (id) => {
        const token = tokenFor(id);
        const res = await call(base, 'POST', '/queue/token', bearer(token));
        if (res.status !== 201 || res.body.status !== 'WAITING') throw new Error(`expected WAITING, got ${res.status} ${JSON.stringify(res.body)}`);
        waiting.push({ token, queueToken: res.body.token });
      });
      if (waiting.length !== count) throw new Error(`only ${waiting.length}/${count} users joined the queue`);
      return waiting;
    };

    /** One timed run of status polls; each poll uses a different waiting user in turn, as a crowd of clients would. */
    const pollStatus = async (target: ServerProcess, pollers: Array<{ token: string; queueToken: string }>, name: string, connections = options.connections) => {
      startWindow(target);
      const from = clientMark.monotonicUs;
      let turn = 0;
      const result = await hammer(name, {
        url: target.url,
        connections,
        durationSeconds: statusRunSeconds,
        requests: [
          {
            method: 'GET',
            path: '/queue/status',
            setupRequest: (req) => {
              const w = pollers[turn++ % pollers.length];
              return { ...req, headers: bearer(w.token, { 'x-queue-token': w.queueToken }) };
            },
          },
        ],
      }, [200, 429]);
      result.peakRssMb = mb(target.peakRssBytes);
      result.serverCores = target.coresUsed();
      result.clientCores = clientCores();
      windows.push({ name: `${name}, run at ${new Date().toISOString().slice(11, 19)}`, dir: target === server ? 'profile' : 'profile-control', fromUs: from, toUs: monotonicMicros() });
      return result;
    };

    if (options.only.has('login')) {
      // Login at the production bcrypt cost: the one scenario where password hashing is on the path.
      const loginUsers = Array.from({ length: options.quick ? 40 : 200 }, (_, i) => ({ email: `login-${i}@bench.local`, password: `password-${i}-bench` }));
      await drive('sign up login users', loginUsers, 8, async (u) => {
        await api.ok('POST', '/auth/signup', {}, { ...u, name: 'Login Bench' }, [201]);
      });
      startWindow(server);
      await scenario(
        await drive(`auth: login, bcrypt cost 10 (${loginUsers.length} users)`, loginUsers, 8, async (u, record) => {
          const res = await call(server.url, 'POST', '/auth/login', {}, u);
          record({ status: res.status, ms: res.ms });
        }, [200]),
      );
    }

    // The catalogue: one schedule for the rush, one for distinct-seat holds, one for the journey.
    const distinctSeats = Math.min(options.users, 5_000);
    const concert = await api.ok('POST', '/admin/concerts', admin, {
      title: 'Bench Night',
      artist: 'The Load Generators',
      venue: 'Loopback Arena',
      schedules: [
        { startsAt: '2031-05-01T19:00:00.000Z', seats: seats('R', options.rushSeats) },
        { startsAt: '2031-05-02T19:00:00.000Z', seats: seats('D', distinctSeats) },
        { startsAt: '2031-05-03T19:00:00.000Z', seats: seats('J', options.journeyUsers) },
      ],
    });
    const [rushSchedule, distinctSchedule, journeySchedule] = concert.schedules as Array<{ id: number; seats: Array<{ id: number }> }>;
    await waitForBusIdle(api, admin);

    // (b) Token issue burst: every user joins the queue at once.
    const users = Array.from({ length: options.users }, (_, i) => ({ id: USER_ID_BASE + 1 + i, token: tokenFor(USER_ID_BASE + 1 + i) }));
    startWindow(server);
    const queueTokens = new Map<number, string>();
    const burst = await drive(`queue: token burst (${options.users} users join at once)`, users, 200, async (u, record) => {
      const res = await call(server.url, 'POST', '/queue/token', bearer(u.token));
      record({ status: res.status, ms: res.ms });
      if (res.status === 201 || res.status === 200) queueTokens.set(u.id, res.body.token);
    }, [201]);
    await scenario(burst);

    // Everyone in the burst is admitted (capacity is configured above the user count); collect passes.
    const shoppers: Shopper[] = [];
    await drive('collect passes', users, 100, async (u) => {
      for (let i = 0; i < 200; i += 1) {
        const res = await call(server.url, 'GET', '/queue/status', bearer(u.token, { 'x-queue-token': queueTokens.get(u.id)! }));
        if (res.status === 200 && res.body.pass) {
          shoppers.push({ id: u.id, token: u.token, pass: res.body.pass.token });
          return;
        }
        await sleep(res.status === 429 ? 1000 * Number(res.body?.retryAfterSeconds ?? 1) : 200);
      }
      throw new Error(`user ${u.id} was never admitted`);
    });
    if (shoppers.length < users.length) throw new Error(`only ${shoppers.length}/${users.length} users were admitted`);
    shoppers.sort((a, b) => a.id - b.id);

    if (options.only.has('status')) {
      // (a) Queue status polling with a small and a large queue, both on the main server: first
      // with SMALL_QUEUE waiting, then once the rest have joined. On shared cores the machine's
      // speed drifts by more than the 10 % the two sizes may differ, so a second server with
      // SMALL_QUEUE waiting is polled at the same moment as the main one, in every round, as a
      // control: each phase's main/control ratio cancels the drift, and dividing the two phases'
      // ratios leaves only what the queue's size changed.
      const control = new ServerProcess('server (control queue)', path.join(dist, 'main.js'), await freePort(), serverEnv(path.join(root, 'control')), [
        ...nodeArgs,
        ...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'profile-control')}`] : []),
      ]);
      await control.start('/health/ready');
      try {
        const controlApi = new Api(control.url);
        const controlAdmin = bearer((await controlApi.ok('POST', '/auth/login', {}, ADMIN)).accessToken);
        // One admitted user fills the only slot, so everyone after them waits.
        await controlApi.ok('PATCH', '/admin/queue', controlAdmin, { maxActive: 1 });
        await controlApi.ok('POST', '/queue/token', bearer(tokenFor(USER_ID_BASE + 9_999_999)), undefined, [201]);
        const controlWaiting = await joinWaiting(control.url, USER_ID_BASE + 10_000_000, SMALL_QUEUE);
        const active = await api.ok('GET', '/admin/queue', admin);
        await api.ok('PATCH', '/admin/queue', admin, { maxActive: Math.max(1, Number(active.active ?? shoppers.length)) });
        const mainWaiting = await joinWaiting(server.url, USER_ID_BASE + 10_000_000, SMALL_QUEUE);

        const phase = async (size: number) => {
          const main: LoadResult[] = [];
          const ratios: number[] = [];
          const name = `queue: status polling, ${size.toLocaleString('en')} waiting (median of ${statusRounds} × ${statusRunSeconds} s)`;
          const half = Math.max(1, Math.floor(options.connections / 2));
          for (let round = 0; round < statusRounds; round += 1) {
            // The rate: the main server alone, as every scenario is measured.
            main.push(await pollStatus(server, mainWaiting, name));
            // The size effect: main and control polled at the same moment, half the connections
            // each, so both see the same machine; their ratio cancels the drift between runs.
            const [paired, ctl] = await Promise.all([
              pollStatus(server, mainWaiting, `${name}, paired with the control server`, half),
              pollStatus(control, controlWaiting, `control server, ${SMALL_QUEUE} waiting`, half),
            ]);
            ratios.push(paired.rps / ctl.rps);
          }
          const median = { ...medianOf(main), note: `runs: ${main.map((r) => Math.round(r.rps)).join(', ')} req/s; polled together with the control server, round by round: ${ratios.map((r) => `${(100 * r).toFixed(0)} %`).join(', ')} of its rate` };
          const throttled = median.statuses['429'] ?? 0;
          if (throttled) median.note += `; ${throttled} polls answered 429 (polled faster than advised)`;
          return { median, ratio: medianOfNumbers(ratios) };
        };

        // A fresh server's first seconds run cold code: without this the first paired round read 3-4x.
        await Promise.all([
          hammer('warm-up', { url: control.url, connections: 10, durationSeconds: 2, requests: [{ method: 'GET', path: '/queue/status', headers: bearer(controlWaiting[0].token, { 'x-queue-token': controlWaiting[0].queueToken }) }] }, [200, 429]),
          hammer('warm-up', { url: server.url, connections: 10, durationSeconds: 2, requests: [{ method: 'GET', path: '/queue/status', headers: bearer(mainWaiting[0].token, { 'x-queue-token': mainWaiting[0].queueToken }) }] }, [200, 429]),
        ]);
        const small = await phase(SMALL_QUEUE);
        log(`queueing ${options.waitingLarge - SMALL_QUEUE} more waiting users`);
        mainWaiting.push(...(await joinWaiting(server.url, USER_ID_BASE + 10_000_000 + SMALL_QUEUE, options.waitingLarge - SMALL_QUEUE)));
        const large = await phase(options.waitingLarge);
        large.median.note += `; **${((100 * large.ratio) / small.ratio).toFixed(0)} % of the ${SMALL_QUEUE}-waiting rate** (median ratio to the control: ${(100 * large.ratio).toFixed(0)} % now, ${(100 * small.ratio).toFixed(0)} % with ${SMALL_QUEUE} waiting)`;
        await scenario(small.median);
        await scenario(large.median);
      } finally {
        await control.stop();
      }
      await api.ok('PATCH', '/admin/queue', admin, { maxActive: 1_000_000 });
    }

    // (c) Hold rush: many users racing for the seats of one schedule.
    if (options.only.has('rush')) {
      const rushSeatIds = rushSchedule.seats.map((s) => s.id);
      const rushers = shoppers.slice(0, options.rushUsers);
      startWindow(server);
      const rush = await drive(`holds: rush, ${rushers.length} users racing for ${rushSeatIds.length} seats`, rushers, options.connections, async (u, record) => {
        const seatId = rushSeatIds[Math.floor(Math.random() * rushSeatIds.length)];
        const res = await call(server.url, 'POST', '/ticketing/reservations/new', bearer(u.token, { 'x-queue-pass': u.pass }), { scheduleId: rushSchedule.id, seatId });
        record({ status: res.status, ms: res.ms });
      }, [201, 409]);
      rush.note = `${rush.statuses['201'] ?? 0} holds won, ${rush.statuses['409'] ?? 0} × 409 SEAT_UNAVAILABLE`;
      await scenario(rush);
      invariants.push(await checkInvariants('after hold rush', api, admin, root));
    }

    // Holds on distinct seats, at full speed with autocannon (one user per seat).
    if (options.only.has('distinct')) {
      const distinctSeatIds = distinctSchedule.seats.map((s) => s.id);
      let nextSeat = 0;
      startWindow(server);
      const distinct = await hammer(`holds: distinct seats (${distinctSeatIds.length})`, {
        url: server.url,
        connections: options.connections,
        amount: distinctSeatIds.length,
        requests: [
          {
            method: 'POST',
            path: '/ticketing/reservations/new',
            setupRequest: (req) => {
              const i = nextSeat++;
              const u = shoppers[(options.rushUsers + i) % shoppers.length];
              return { ...req, headers: bearer(u.token, { 'x-queue-pass': u.pass, 'content-type': 'application/json' }), body: JSON.stringify({ scheduleId: distinctSchedule.id, seatId: distinctSeatIds[i % distinctSeatIds.length] }) };
            },
          },
        ],
      }, [201]);
      await scenario(distinct);
      invariants.push(await checkInvariants('after distinct holds', api, admin, root));
    }

    // (d) Full purchase journey: hold → pay → CONFIRMED, many users at once. Points are charged first.
    if (options.only.has('journey')) {
      const buyers = shoppers.slice(shoppers.length - options.journeyUsers);
      const journeySeatIds = journeySchedule.seats.map((s) => s.id);
      await drive('charge points', buyers, 50, async (u) => {
        const res = await call(server.url, 'POST', '/payments/charge', bearer(u.token), { amount: 1_000_000 });
        if (res.status !== 200) throw new Error(`charge failed ${res.status}`);
      });
      await waitForBusIdle(api, admin);
      const busBefore = await api.ok('GET', '/admin/events', admin);
      const lagSamples: number[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const stats = await api.ok('GET', '/admin/events', admin).catch(() => null);
          if (stats) lagSamples.push(Math.max(0, ...stats.items.map((s: { oldestUndeliveredAgeMs: number | null }) => s.oldestUndeliveredAgeMs ?? 0)));
          await sleep(250);
        }
      })();
      const payToConfirmed: number[] = [];
      const purchases: Array<{ user: Shopper; reservationId: number }> = [];
      let seatCursor = 0;
      let waits = 0;
      startWindow(server);
      const journeyStarted = performance.now();
      const journey = await drive(`journey: hold → pay → CONFIRMED (${buyers.length} users)`, buyers, options.connections, async (u, record) => {
        const headers = bearer(u.token, { 'x-queue-pass': u.pass });
        const hold = await call(server.url, 'POST', '/ticketing/reservations/new', headers, { scheduleId: journeySchedule.id, seatId: journeySeatIds[seatCursor++] });
        record({ status: hold.status, ms: hold.ms });
        if (hold.status !== 201) return;
        const pay = await call(server.url, 'POST', '/payments/process', headers, { reservationId: hold.body.id });
        record({ status: pay.status, ms: pay.ms });
        if (pay.status !== 200) return;
        const paidAt = performance.now();
        // One long-poll: answered when the reservation leaves the state the hold showed (its ETag).
        let etag = String(hold.headers.etag);
        for (let i = 0; i < 10; i += 1) {
          waits += 1;
          const r = await call(server.url, 'GET', `/ticketing/reservations/${hold.body.id}`, bearer(u.token, { 'if-none-match': etag, prefer: `wait=${JOURNEY_WAIT_S}` }));
          if (r.status === 200 && r.body?.status === 'CONFIRMED') {
            payToConfirmed.push(performance.now() - paidAt);
            purchases.push({ user: u, reservationId: hold.body.id });
            return;
          }
          if (r.status === 200) etag = String(r.headers.etag);
          else if (r.status !== 304) break;
        }
        record({ status: 599, ms: 0 });
      });
      const journeySeconds = (performance.now() - journeyStarted) / 1000;
      sampling = false;
      await sampler;
      await waitForBusIdle(api, admin);
      const busAfter = await api.ok('GET', '/admin/events', admin);
      payToConfirmed.sort((a, b) => a - b);
      const delivered = sumDelivered(busAfter) - sumDelivered(busBefore);
      const recorded = await serverRecordedPayToConfirmed(server.url, purchases);
      journey.note =
        `${payToConfirmed.length} confirmed, ${(payToConfirmed.length / journeySeconds).toFixed(0)} purchases/s; ` +
        `pay→CONFIRMED as the server recorded it (ledger PAYMENT entry → reservation confirmedAt) p50 ${percentile(recorded, 0.5).toFixed(1)} ms, p99 ${percentile(recorded, 0.99).toFixed(1)} ms; ` +
        `as the client saw it (pay response → answer of its waiting GET) p50 ${percentile(payToConfirmed, 0.5).toFixed(1)} ms, p99 ${percentile(payToConfirmed, 0.99).toFixed(1)} ms; ` +
        `${(waits / Math.max(1, payToConfirmed.length)).toFixed(2)} waiting GETs per purchase (If-None-Match + Prefer: wait=${JOURNEY_WAIT_S})`;
      await scenario(journey);
      const outbox: LoadResult = {
        name: '(e) outbox during the journey',
        requests: delivered,
        durationSeconds: journeySeconds,
        rps: delivered / journeySeconds,
        p50Ms: percentile([...lagSamples].sort((a, b) => a - b), 0.5),
        p99Ms: Math.max(0, ...lagSamples),
        errors: 0,
        statuses: {},
        note: `events handed to subscribers per second; p50/p99 columns are the sampled oldest-undelivered age (relay lag) in ms`,
      };
      results.push(outbox);
      invariants.push(await checkInvariants('after journey', api, admin, root, buyers.map((b) => ({ id: b.id, token: b.token }))));
    }

    await server.stop();
    await ceiling.stop();
    const sortedCeiling = [...ceilingRuns].sort((a, b) => a - b);
    notes.push(
      `ceiling runs over the whole run (first three at the start, then one after each scenario): ${ceilingRuns.map((r) => Math.round(r)).join(', ')} req/s; median ${Math.round(sortedCeiling[Math.floor(sortedCeiling.length / 2)])}`,
    );
    let profile: ReturnType<typeof topCosts> | null = null;
    const scenarioProfiles: Array<{ name: string; costs: ReturnType<typeof topCosts> }> = [];
    if (options.profile) {
      profile = topCosts(path.join(root, 'profile'));
      for (const w of windows) scenarioProfiles.push({ name: w.name, costs: topCosts(path.join(root, w.dir), 8, w) });
    }

    const failed = invariants.filter((i) => !i.ok);
    writeReport(options.reportPath, { options, results, invariants, profile, scenarioProfiles, notes, peakRssMb: Math.max(...results.map((r) => r.peakRssMb ?? 0)), runPeakRssMb: mb(server.runPeakRssBytes) });
    log(`report written to ${options.reportPath}`);
    if (failed.length) {
      console.error(`\nINVARIANT VIOLATED:\n${failed.map((f) => `${f.stage}: ${f.violations.join('; ')}`).join('\n')}`);
      process.exitCode = 1;
    }
  } finally {
    closeConnections();
    await server.stop().catch(() => undefined);
    await ceiling.stop().catch(() => undefined);
    if (options.keep) log(`kept the databases and any profile in ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
  }
}

/** The `--flags` that `npm start` gives node, so the bench runs the server exactly as users do. */
function startScriptNodeFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((t) => t.startsWith('--'));
}

/** The small queue of the status scenario. */
const SMALL_QUEUE = 100;
/** Runs per queue size (4 with --quick): the two sizes are compared to within 10 %, so their medians need more runs than the others. */
const STATUS_ROUNDS = 10;
/** Length of one status run (at most --duration). */
const STATUS_RUN_SECONDS = 3;

/** How long a journey client's GET may wait for its reservation to change (Prefer: wait), in seconds. */
const JOURNEY_WAIT_S = 10;

/**
 * Pay→CONFIRMED from the server's own timestamps, one clock, no polling in the figure: from the
 * PAYMENT entry of the buyer's ledger to the reservation's `confirmedAt`. Sorted ascending.
 */
async function serverRecordedPayToConfirmed(base: string, purchases: Array<{ user: Shopper; reservationId: number }>): Promise<number[]> {
  const out: number[] = [];
  await drive('read pay and confirm times', purchases, 20, async ({ user, reservationId }) => {
    const history = await call(base, 'GET', '/payments/history', bearer(user.token));
    const reservation = await call(base, 'GET', `/ticketing/reservations/${reservationId}`, bearer(user.token));
    const payment = (history.body?.items ?? []).find((e: { type: string; reservationId?: number }) => e.type === 'PAYMENT' && e.reservationId === reservationId);
    if (!payment || !reservation.body?.confirmedAt) throw new Error(`reservation ${reservationId}: no payment entry or no confirmedAt`);
    out.push(Date.parse(reservation.body.confirmedAt) - Date.parse(payment.createdAt));
  });
  if (out.length !== purchases.length) throw new Error(`read pay and confirm times of ${out.length}/${purchases.length} purchases`);
  return out.sort((a, b) => a - b);
}

function medianOf(results: LoadResult[]): LoadResult {
  return [...results].sort((x, y) => x.rps - y.rps)[Math.floor(results.length / 2)];
}

function medianOfNumbers(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Three runs, the median kept: on two shared cores a single run varies by ±15 %, more than the
 * differences some scenarios are meant to show (a poll must cost the same at any queue size).
 */
async function medianOf3(run: () => Promise<LoadResult>): Promise<LoadResult> {
  const runs: LoadResult[] = [];
  for (let i = 0; i < 3; i += 1) runs.push(await run());
  return { ...medianOf(runs), note: `runs: ${[...runs].sort((a, b) => a.rps - b.rps).map((r) => Math.round(r.rps)).join(', ')} req/s` };
}

function seats(prefix: string, count: number): Array<{ label: string; price: number }> {
  return Array.from({ length: count }, (_, i) => ({ label: `${prefix}-${i + 1}`, price: i % 10 === 0 ? 150_000 : 88_000 }));
}

async function waitForBusIdle(api: Api, admin: Record<string, string>): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    const stats = await api.ok('GET', '/admin/events', admin);
    if (stats.items.every((s: { outboxBacklog: number; deliveriesRetrying: number }) => s.outboxBacklog === 0 && s.deliveriesRetrying === 0)) return;
    await sleep(100);
  }
  throw new Error('the bus did not drain within a minute');
}

function sumDelivered(stats: { items: Array<{ delivered: number }> }): number {
  return stats.items.reduce((n, s) => n + s.delivered, 0);
}

let clientMark = { cpu: process.cpuUsage(), wallMs: performance.now(), monotonicUs: monotonicMicros() };

/** Starts a scenario's window on this side: the load generator's CPU, and the span cut out of the server's profile. */
function markClientCpu(): void {
  clientMark = { cpu: process.cpuUsage(), wallMs: performance.now(), monotonicUs: monotonicMicros() };
}

/** CPU this process (the load generator) used since the last mark, in cores. */
function clientCores(): number {
  const used = process.cpuUsage(clientMark.cpu);
  const wallMs = performance.now() - clientMark.wallMs;
  return wallMs > 0 ? (used.user + used.system) / 1000 / wallMs : 0;
}

function mb(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
