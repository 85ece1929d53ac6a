import { expect } from 'chai';
import type TestAgent from 'supertest/lib/agent';
import type { RoomView } from '../../src/modules/queue/domain/room-view';
import type { AccessTokens } from '../../src/platform/auth/access-token';
import type { Outbox } from '../../src/platform/bus/outbox';
import type { Platform } from '../../src/platform/platform';
import { PLATFORM } from '../../src/platform/platform.di-tokens';
import type { TestApp, TestUser } from '../support/test-app';
import { join, type Ticket } from './queue-test-kit';

export type RoomTicket = Omit<Ticket, 'status'> & { status: Ticket['status'] | 'PRE_QUEUE'; opensAt?: string };

export type RoomBody = RoomView;

/** Users the queue knows by their login token alone (it never reads the auth module): many, without signing up each. */
export function mintUsers(app: TestApp, n: number, firstId = 100_000): TestUser[] {
  const tokens = app.platform.root.get<AccessTokens>(PLATFORM.AccessTokens);
  return Array.from({ length: n }, (_, i) => {
    const id = firstId + i;
    const email = `room-${id}@test.local`;
    const token = tokens.issue({ id, email, role: 'USER' });
    return { id, email, token, auth: { Authorization: `Bearer ${token}` } };
  });
}

/**
 * Publishes a concert (`concert.schedule.published`, as the concert module does) and waits until
 * the queue has noted it: a room is only made for a concert the queue knows. Its schedule id is
 * the concert's own id far out of the concert module's range, so it never meets a real one.
 */
export async function publishConcert(platform: Platform, concertId: number): Promise<void> {
  const outbox = platform.container('concert').get<Outbox>(PLATFORM.Outbox);
  await platform.database('concert').transaction((trx) =>
    outbox.publish(trx, 'concert.schedule.published', 800_000_000 + concertId, {
      concertId,
      scheduleId: 800_000_000 + concertId,
      title: `Concert ${concertId}`,
      artist: 'Room Tests',
      venue: 'Hall',
      startsAt: '2031-01-01T19:00:00.000Z',
      seats: [],
    }),
  );
  await platform.bus.drain();
}

/**
 * Creates a room; fails unless 201. Its concert is published first, unless `published` (a concert
 * the test created: its event is then let reach the queue first).
 */
export async function createRoom(app: TestApp, admin: TestUser, body: Record<string, unknown>, published = false): Promise<RoomBody> {
  if (published) await app.platform.bus.drain();
  else if (typeof body.concertId === 'number') await publishConcert(app.platform, body.concertId);
  const res = await app.http.post('/admin/queue/rooms').set(admin.auth).send(body);
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body;
}

export async function joinRoom(http: TestAgent, user: TestUser, concertId?: number, expected: 200 | 201 = 201): Promise<RoomTicket> {
  return (await join(http, user, expected, concertId === undefined ? {} : { concertId })) as RoomTicket;
}

export async function pollRoom(http: TestAgent, user: TestUser, token: string): Promise<RoomTicket> {
  const res = await http.get('/queue/status').set(user.auth).set('X-Queue-Token', token);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body;
}

/** Spearman's rank correlation of two equally long lists of distinct numbers. */
export function spearman(xs: number[], ys: number[]): number {
  const rank = (v: number[]) => {
    const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
    const r = new Array<number>(v.length);
    order.forEach(([, i], k) => {
      r[i] = k + 1;
    });
    return r;
  };
  const rx = rank(xs);
  const ry = rank(ys);
  const n = xs.length;
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (rx[i] - ry[i]) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
}
