import { bearer, tokenFor, USER_ID_BASE } from '../lib/api';
import { call, drive, type LoadResult, sleep } from '../lib/load';
import type { RunContext } from '../lib/run-context';

/** An admitted user with the pass that lets them hold and pay. */
export interface Shopper {
  id: number;
  token: string;
  pass: string;
}

/**
 * (b) Token issue burst: every user joins the queue at once. The users it admits, sorted by id,
 * are the shoppers of the scenarios after it.
 */
export async function measureTokenBurst(run: RunContext): Promise<{ results: LoadResult[]; shoppers: Shopper[] }> {
  const { options, server } = run;
  const users = Array.from({ length: options.users }, (_, i) => ({ id: USER_ID_BASE + 1 + i, token: tokenFor(USER_ID_BASE + 1 + i) }));
  run.startWindow(server);
  const queueTokens = new Map<number, string>();
  const burst = await drive(
    `queue: token burst (${options.users} users join at once)`,
    users,
    200,
    async (u, record) => {
      const res = await call(server.url, 'POST', '/queue/token', bearer(u.token));
      record({ status: res.status, ms: res.ms });
      if (res.status === 201 || res.status === 200) queueTokens.set(u.id, res.body.token);
    },
    [201],
  );
  await run.compareToCeiling(burst);

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
  return { results: [burst], shoppers };
}
