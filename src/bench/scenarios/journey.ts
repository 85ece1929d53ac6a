import { bearer } from '../lib/api';
import { brokerStoredTimesSince, eventLagsSince, sumDelivered, waitForBusIdle } from '../lib/bus';
import type { BenchSchedule } from '../lib/catalogue';
import { call, drive, type LoadResult, percentile, sleep } from '../lib/load';
import type { RunContext } from '../lib/run-context';
import type { Shopper } from './token-burst';

/** How long a journey client's GET may wait for its reservation to change (Prefer: wait), in seconds. */
const JOURNEY_WAIT_S = 10;

interface Purchase {
  user: Shopper;
  reservationId: number;
}

/**
 * (d) Full purchase journey: hold → pay → CONFIRMED, many users at once. Points are charged first.
 * Its results are the journey and (e) the outbox's delivery rate and lag during it.
 */
export async function measureJourney(run: RunContext, schedule: BenchSchedule, shoppers: Shopper[]): Promise<LoadResult[]> {
  const { options, server, api, admin } = run;
  const buyers = shoppers.slice(shoppers.length - options.journeyUsers);
  const journeySeatIds = schedule.seats.map((s) => s.id);
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
  const purchases: Purchase[] = [];
  let seatCursor = 0;
  let waits = 0;
  run.startWindow(server);
  const journeyStartedAtMs = Date.now();
  const journeyStarted = performance.now();
  const journey = await drive(`journey: hold → pay → CONFIRMED (${buyers.length} users)`, buyers, options.connections, async (u, record) => {
    const headers = bearer(u.token, { 'x-queue-pass': u.pass });
    const hold = await call(server.url, 'POST', '/ticketing/reservations/new', headers, { scheduleId: schedule.id, seatId: journeySeatIds[seatCursor++] });
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
      const r = await call(
        server.url,
        'GET',
        `/ticketing/reservations/${hold.body.id}`,
        bearer(u.token, { 'if-none-match': etag, prefer: `wait=${JOURNEY_WAIT_S}` }),
      );
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
  journey.purchasesPerSecond = payToConfirmed.length / journeySeconds;
  await run.compareToCeiling(journey);
  const broker = run.backend.broker;
  const storedAt = broker ? await brokerStoredTimesSince({ url: broker.url, stream: broker.stream.main }, journeyStartedAtMs) : undefined;
  const lags = await eventLagsSince(run.backend.store('main'), journeyStartedAtMs, storedAt);
  lagSamples.sort((a, b) => a - b);
  const outbox: LoadResult = {
    name: '(e) outbox during the journey',
    requests: delivered,
    durationSeconds: journeySeconds,
    rps: delivered / journeySeconds,
    p50Ms: percentile(lags.commitToHandled, 0.5),
    p99Ms: percentile(lags.commitToHandled, 0.99),
    relayToHandledP50Ms: broker ? percentile(lags.storedToHandled, 0.5) : undefined,
    errors: 0,
    statuses: {},
    note:
      `events handed to subscribers per second; p50/p99 columns: from an event's commit to its subscriber's inbox taking it in, ` +
      `per delivery (${lags.commitToHandled.length} deliveries, read from the module databases); ` +
      `commit → relay done (broker acknowledged, or in process every subscriber handled it) p50 ${percentile(lags.commitToRelayed, 0.5).toFixed(0)} ms, p99 ${percentile(lags.commitToRelayed, 0.99).toFixed(0)} ms; ` +
      (broker
        ? `relay to handled (the broker stored the relay's publish → subscriber's inbox) p50 ${percentile(lags.storedToHandled, 0.5).toFixed(0)} ms, p99 ${percentile(lags.storedToHandled, 0.99).toFixed(0)} ms (${lags.storedToHandled.length} deliveries); `
        : '') +
      `sampled oldest-undelivered age p50 ${percentile(lagSamples, 0.5).toFixed(0)} ms, max ${Math.max(0, ...lagSamples).toFixed(0)} ms`,
  };
  await run.checkInvariants(
    'after journey',
    buyers.map((b) => ({ id: b.id, token: b.token })),
  );
  return [journey, outbox];
}

/**
 * Pay→CONFIRMED from the server's own timestamps, one clock, no polling in the figure: from the
 * PAYMENT entry of the buyer's ledger to the reservation's `confirmedAt`. Sorted ascending.
 */
async function serverRecordedPayToConfirmed(base: string, purchases: Purchase[]): Promise<number[]> {
  const out: number[] = [];
  await drive('read pay and confirm times', purchases, 20, async ({ user, reservationId }) => {
    const history = await call(base, 'GET', '/payments/history', bearer(user.token));
    const reservation = await call(base, 'GET', `/ticketing/reservations/${reservationId}`, bearer(user.token));
    const payment = (history.body?.items ?? []).find(
      (e: { type: string; reservationId?: number }) => e.type === 'PAYMENT' && e.reservationId === reservationId,
    );
    if (!payment || !reservation.body?.confirmedAt) throw new Error(`reservation ${reservationId}: no payment entry or no confirmedAt`);
    out.push(Date.parse(reservation.body.confirmedAt) - Date.parse(payment.createdAt));
  });
  if (out.length !== purchases.length) throw new Error(`read pay and confirm times of ${out.length}/${purchases.length} purchases`);
  return out.sort((a, b) => a - b);
}
