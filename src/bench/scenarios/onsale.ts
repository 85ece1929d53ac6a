import { bearer, tokenFor, USER_ID_BASE } from '../lib/api';
import { call, drive, hammer, type LoadResult, sleep } from '../lib/load';
import type { RunContext } from '../lib/run-context';

/** Pre-queue users' ids start here (apart from every other scenario's). */
const ONSALE_USER_BASE = USER_ID_BASE + 20_000_000;

/**
 * (f) An on-sale's opening (issue 19): `--pre-queue` users (20 000) join a room's pre-queue, then
 * the opening is set two seconds ahead. From the opening on, the pre-queue polls its status as
 * fast as the connections allow, while the room's state is watched: the rows are the time from
 * `opensAt` until every pre-queue token has a place (as placements per second, a ratio to the
 * ceiling) and the poll rate served during the opening. Then every user's place is read once and
 * checked: distinct, 1…n (0 for those let in at once).
 */
export async function measureOnSale(run: RunContext): Promise<LoadResult[]> {
  const { options, server, api, admin } = run;
  const n = options.preQueue;
  // A published concert of its own: the waiting room makes rooms only for concerts it has heard of.
  const concert = await api.ok('POST', '/admin/concerts', admin, {
    title: 'Bench On-sale',
    artist: 'The Openers',
    venue: 'Bench Hall',
    schedules: [{ startsAt: '2031-12-01T19:00:00.000Z', seats: [{ label: 'A-1', price: 10_000 }] }],
  });
  const concertId = concert.id as number;
  const body = { concertId, opensAt: new Date(Date.now() + 3_600_000).toISOString(), maxActive: 1000, admitPerSecond: 1000 };
  let room = await api.ok('POST', '/admin/queue/rooms', admin, body, [201, 404]);
  for (let i = 0; i < 100 && room.code === 'CONCERT_NOT_FOUND'; i += 1) {
    await sleep(100);
    room = await api.ok('POST', '/admin/queue/rooms', admin, body, [201, 404]);
  }
  if (room.code) throw new Error(`on-sale: the room was refused: ${JSON.stringify(room)}`);
  const users = Array.from({ length: n }, (_, i) => ({ id: ONSALE_USER_BASE + i, token: tokenFor(ONSALE_USER_BASE + i), queueToken: '' }));
  const joined = await drive(`queue: on-sale, ${n.toLocaleString('en')} join the pre-queue`, users, 200, async (u, record) => {
    const res = await call(server.url, 'POST', '/queue/token', bearer(u.token), { concertId });
    record({ status: res.status, ms: res.ms });
    if (res.status === 201 && res.body.status === 'PRE_QUEUE') u.queueToken = res.body.token;
  });
  if (users.some((u) => !u.queueToken)) throw new Error(`on-sale: ${users.filter((u) => !u.queueToken).length} users got no PRE_QUEUE token`);

  const opensAtMs = Date.now() + 2000;
  await api.ok('PATCH', `/admin/queue/rooms/${room.id}`, admin, { opensAt: new Date(opensAtMs).toISOString() });
  await sleep(Math.max(0, opensAtMs - Date.now()));
  run.startWindow(server);
  let openedAfterMs = Number.NaN;
  const watching = (async () => {
    for (;;) {
      const rooms = await api.ok('GET', '/admin/queue/rooms', admin);
      const r = rooms.items.find((x: { id: number }) => x.id === room.id);
      if (r?.state === 'OPEN' && r.preQueue === 0) {
        openedAfterMs = Date.now() - opensAtMs;
        return;
      }
      await sleep(20);
    }
  })();
  let turn = 0;
  const polls = await hammer(
    `queue: on-sale, status polls during the opening (${n.toLocaleString('en')} pre-queue)`,
    {
      url: server.url,
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      requests: [
        {
          method: 'GET',
          path: '/queue/status',
          setupRequest: (req) => {
            const u = users[turn++ % users.length];
            return { ...req, headers: bearer(u.token, { 'x-queue-token': u.queueToken }) };
          },
        },
      ],
    },
    [200],
  );
  await watching;
  await run.compareToCeiling(polls);
  polls.note = `the opening took ${(openedAfterMs / 1000).toFixed(2)} s from opensAt; polls of a token still in the pre-queue read its row, placed ones the room's store`;

  // Every user has a place now: read each once.
  const places: number[] = [];
  await drive('on-sale: read every place', users, 200, async (u) => {
    const res = await call(server.url, 'GET', '/queue/status', bearer(u.token, { 'x-queue-token': u.queueToken }));
    if (res.status !== 200 || (res.body.status !== 'WAITING' && res.body.status !== 'ACTIVE'))
      throw new Error(`on-sale: ${res.status} ${JSON.stringify(res.body)}`);
    places.push(res.body.status === 'ACTIVE' ? 0 : res.body.position);
  });
  const waitingPlaces = places.filter((p) => p > 0).sort((a, b) => a - b);
  const gapless = waitingPlaces.every((p, i) => p === i + 1);
  if (places.length !== n || !gapless) throw new Error(`on-sale: ${places.length}/${n} places read, distinct and gapless: ${gapless}`);

  const placing: LoadResult = {
    name: `queue: on-sale opening, ${n.toLocaleString('en')} pre-queue tokens placed (shuffled, recorded, joined)`,
    requests: n,
    durationSeconds: openedAfterMs / 1000,
    rps: n / (openedAfterMs / 1000),
    p50Ms: 0,
    p99Ms: 0,
    errors: 0,
    statuses: {},
    ceilingRps: polls.ceilingRps,
    ratioToCeiling: Math.round((100 * (n / (openedAfterMs / 1000))) / (polls.ceilingRps ?? 1)) / 100,
    note: `placements per second (rps); every pre-queue token had a place ${(openedAfterMs / 1000).toFixed(2)} s after opensAt; ${n - waitingPlaces.length} let in at once, ${waitingPlaces.length} waiting at 1…${waitingPlaces.length}; the joins ran at ${Math.round(joined.rps)}/s`,
  };
  await api.ok('POST', `/admin/queue/rooms/${room.id}/close`, admin);
  return [placing, polls];
}
