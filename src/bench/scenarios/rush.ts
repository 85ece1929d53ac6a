import { bearer } from '../lib/api';
import type { BenchSchedule } from '../lib/catalogue';
import { call, drive, type LoadResult } from '../lib/load';
import type { RunContext } from '../lib/run-context';
import type { Shopper } from './token-burst';

/** (c) Hold rush: many users racing for the seats of one schedule. */
export async function measureHoldRush(run: RunContext, schedule: BenchSchedule, shoppers: Shopper[]): Promise<LoadResult[]> {
  const { server } = run;
  const rushSeatIds = schedule.seats.map((s) => s.id);
  const rushers = shoppers.slice(0, run.options.rushUsers);
  run.startWindow(server);
  const rush = await drive(
    `holds: rush, ${rushers.length} users racing for ${rushSeatIds.length} seats`,
    rushers,
    run.options.connections,
    async (u, record) => {
      const seatId = rushSeatIds[Math.floor(Math.random() * rushSeatIds.length)];
      const res = await call(server.url, 'POST', '/ticketing/reservations/new', bearer(u.token, { 'x-queue-pass': u.pass }), {
        scheduleId: schedule.id,
        seatId,
      });
      record({ status: res.status, ms: res.ms });
    },
    [201, 409],
  );
  rush.note = `${rush.statuses['201'] ?? 0} holds won, ${rush.statuses['409'] ?? 0} × 409 SEAT_UNAVAILABLE`;
  await run.compareToCeiling(rush);
  await run.checkInvariants('after hold rush');
  return [rush];
}
