import { waitForBusIdle } from './bus';
import type { RunContext } from './run-context';

export interface BenchSchedule {
  id: number;
  seats: Array<{ id: number }>;
}

/** The catalogue: one schedule for the rush, one for distinct-seat holds, one for the journey. */
export async function createBenchConcert(run: RunContext): Promise<{ rush: BenchSchedule; distinct: BenchSchedule; journey: BenchSchedule }> {
  const { options, api, admin } = run;
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
  const [rush, distinct, journey] = concert.schedules as BenchSchedule[];
  await waitForBusIdle(api, admin);
  return { rush, distinct, journey };
}

function seats(prefix: string, count: number): Array<{ label: string; price: number }> {
  return Array.from({ length: count }, (_, i) => ({ label: `${prefix}-${i + 1}`, price: i % 10 === 0 ? 150_000 : 88_000 }));
}
