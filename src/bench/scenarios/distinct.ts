import { bearer } from '../lib/api';
import type { BenchSchedule } from '../lib/catalogue';
import { hammer, type LoadResult } from '../lib/load';
import type { RunContext } from '../lib/run-context';
import type { Shopper } from './token-burst';

/** Holds on distinct seats, at full speed with autocannon (one user per seat). */
export async function measureDistinctHolds(run: RunContext, schedule: BenchSchedule, shoppers: Shopper[]): Promise<LoadResult[]> {
  const { options } = run;
  const distinctSeatIds = schedule.seats.map((s) => s.id);
  let nextSeat = 0;
  run.startWindow(run.server);
  const distinct = await hammer(
    `holds: distinct seats (${distinctSeatIds.length})`,
    {
      url: run.server.url,
      connections: options.connections,
      amount: distinctSeatIds.length,
      requests: [
        {
          method: 'POST',
          path: '/ticketing/reservations/new',
          setupRequest: (req) => {
            const i = nextSeat++;
            const u = shoppers[(options.rushUsers + i) % shoppers.length];
            return {
              ...req,
              headers: bearer(u.token, { 'x-queue-pass': u.pass, 'content-type': 'application/json' }),
              body: JSON.stringify({ scheduleId: schedule.id, seatId: distinctSeatIds[i % distinctSeatIds.length] }),
            };
          },
        },
      ],
    },
    [201],
  );
  await run.compareToCeiling(distinct);
  await run.checkInvariants('after distinct holds');
  return [distinct];
}
