import { Api, bearer, tokenFor, USER_ID_BASE } from '../lib/api';
import { ADMIN, backendServer } from '../lib/bench-servers';
import { monotonicMicros } from '../lib/cpu-profile';
import { call, drive, hammer, type LoadResult, medianOf, medianOfNumbers } from '../lib/load';
import { redisMemory } from '../lib/redis-memory';
import { log, type RunContext } from '../lib/run-context';
import type { ServerProcess } from '../lib/server-process';
import type { Shopper } from './token-burst';

/** The small queue of the status scenario. */
const SMALL_QUEUE = 100;
/** Runs per queue size (4 with --quick): the two sizes are compared to within 10 %, so their medians need more runs than the others. */
const STATUS_ROUNDS = 10;
/** Length of one status run (at most --duration). */
const STATUS_RUN_SECONDS = 3;

interface WaitingUser {
  token: string;
  queueToken: string;
}

/**
 * (a) Queue status polling with a small and a large queue, both on the main server: first with
 * SMALL_QUEUE waiting, then once the rest have joined. On shared cores the machine's speed drifts
 * by more than the 10 % the two sizes may differ, so a second server with SMALL_QUEUE waiting is
 * polled at the same moment as the main one, in every round, as a control: each phase's
 * main/control ratio cancels the drift, and dividing the two phases' ratios leaves only what the
 * queue's size changed.
 */
export async function measureStatusPolling(run: RunContext, shoppers: Shopper[]): Promise<LoadResult[]> {
  const { options, server, api, admin } = run;
  const statusRounds = options.quick ? 4 : STATUS_ROUNDS;
  // Short runs, alternated often: the machine's speed drifts within seconds, and a main/control
  // pair only cancels the drift that both runs of the pair saw.
  const statusRunSeconds = Math.min(options.durationSeconds, STATUS_RUN_SECONDS);

  /** One timed run of status polls; each poll uses a different waiting user in turn, as a crowd of clients would. */
  const pollStatus = async (target: ServerProcess, pollers: WaitingUser[], name: string, connections = options.connections) => {
    run.startWindow(target);
    const from = run.windowStartUs;
    let turn = 0;
    const result = await hammer(
      name,
      {
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
      },
      [200, 429],
    );
    run.takeWindowFigures(result, target);
    run.profileWindows.push({
      name: `${name}${run.label}, run at ${new Date().toISOString().slice(11, 19)}`,
      dir: run.backend.profileDir(target === server ? 'main' : 'control'),
      fromUs: from,
      toUs: monotonicMicros(),
    });
    return result;
  };

  // The control runs on the same backend as the main server, with its own databases.
  const control = await backendServer(run.setup, run.backend, 'control', `server (control queue)${run.label}`);
  await control.start('/health/ready');
  let results: LoadResult[];
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
      const middle = medianOf(main);
      const median = {
        ...middle,
        // The median run's own figures (CPU by process in the split topology) stay in front.
        note: `${middle.note ? `${middle.note}; ` : ''}runs: ${main.map((r) => Math.round(r.rps)).join(', ')} req/s; polled together with the control server, round by round: ${ratios.map((r) => `${(100 * r).toFixed(0)} %`).join(', ')} of its rate`,
      };
      const throttled = median.statuses['429'] ?? 0;
      if (throttled) median.note += `; ${throttled} polls answered 429 (polled faster than advised)`;
      return { median, ratio: medianOfNumbers(ratios) };
    };

    // A fresh server's first seconds run cold code: without this the first paired round read 3-4x.
    await Promise.all([
      hammer(
        'warm-up',
        {
          url: control.url,
          connections: 10,
          durationSeconds: 2,
          requests: [{ method: 'GET', path: '/queue/status', headers: bearer(controlWaiting[0].token, { 'x-queue-token': controlWaiting[0].queueToken }) }],
        },
        [200, 429],
      ),
      hammer(
        'warm-up',
        {
          url: server.url,
          connections: 10,
          durationSeconds: 2,
          requests: [{ method: 'GET', path: '/queue/status', headers: bearer(mainWaiting[0].token, { 'x-queue-token': mainWaiting[0].queueToken }) }],
        },
        [200, 429],
      ),
    ]);
    const small = await phase(SMALL_QUEUE);
    log(`queueing ${options.waitingLarge - SMALL_QUEUE} more waiting users`);
    const redis = run.backend.redis;
    const memoryBefore = redis ? await redisMemory(redis.url, redis.namespace.main) : null;
    mainWaiting.push(...(await joinWaiting(server.url, USER_ID_BASE + 10_000_000 + SMALL_QUEUE, options.waitingLarge - SMALL_QUEUE)));
    const memoryAfter = redis ? await redisMemory(redis.url, redis.namespace.main) : null;
    const large = await phase(options.waitingLarge);
    if (memoryBefore && memoryAfter) {
      const joined = options.waitingLarge - SMALL_QUEUE;
      const perUser = (bytes: number) => Math.round(bytes / joined);
      large.median.note += `; Redis memory per waiting user: ${perUser(memoryAfter.keysBytes - memoryBefore.keysBytes)} B in this system's keys (MEMORY USAGE), ${perUser(memoryAfter.usedBytes - memoryBefore.usedBytes)} B of used_memory (INFO memory, ${(memoryBefore.usedBytes / 2 ** 20).toFixed(1)} → ${(memoryAfter.usedBytes / 2 ** 20).toFixed(1)} MB)`;
    }
    large.median.note += `; **${((100 * large.ratio) / small.ratio).toFixed(0)} % of the ${SMALL_QUEUE}-waiting rate** (median ratio to the control: ${(100 * large.ratio).toFixed(0)} % now, ${(100 * small.ratio).toFixed(0)} % with ${SMALL_QUEUE} waiting)`;
    await run.compareToCeiling(small.median);
    await run.compareToCeiling(large.median);
    results = [small.median, large.median];
  } finally {
    await control.stop();
  }
  await api.ok('PATCH', '/admin/queue', admin, { maxActive: 1_000_000 });
  await admitEveryone(api, admin);
  return results;
}

/** How long the waiting users' admission may take before the run gives up. */
const ADMIT_ALL_TIMEOUT_MS = 15 * 60_000;

/**
 * Lets the waiting room admit all its waiting users before the next scenario or backend is
 * measured: with the cap lifted, 100 000 admissions are minutes of work for the server (and, on
 * Redis, for the shared Redis), which would otherwise run behind the next measurement (it once
 * cut the next backend's poll rate by ten).
 */
async function admitEveryone(api: Api, admin: Record<string, string>): Promise<void> {
  const started = Date.now();
  let lastLog = started;
  for (;;) {
    const overview = await api.ok('GET', '/admin/queue', admin);
    const waiting = Number(overview.waiting ?? 0);
    if (waiting === 0) break;
    if (Date.now() - started > ADMIT_ALL_TIMEOUT_MS)
      throw new Error(`${waiting} users still waiting ${ADMIT_ALL_TIMEOUT_MS / 60_000} min after the cap was lifted`);
    if (Date.now() - lastLog > 10_000) {
      log(`letting the waiting room admit its waiting users: ${waiting.toLocaleString('en')} left`);
      lastLog = Date.now();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`all waiting users admitted in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** `count` new users join the queue of the server at `base` and must all be WAITING. */
async function joinWaiting(base: string, firstUserId: number, count: number): Promise<WaitingUser[]> {
  const waiting: WaitingUser[] = [];
  await drive(
    'join waiting',
    Array.from({ length: count }, (_, i) => firstUserId + i),
    200,
    async (id) => {
      const token = tokenFor(id);
      const res = await call(base, 'POST', '/queue/token', bearer(token));
      if (res.status !== 201 || res.body.status !== 'WAITING') throw new Error(`expected WAITING, got ${res.status} ${JSON.stringify(res.body)}`);
      waiting.push({ token, queueToken: res.body.token });
    },
  );
  if (waiting.length !== count) throw new Error(`only ${waiting.length}/${count} users joined the queue`);
  return waiting;
}
