import { type LoadResult, medianOf } from '../lib/load';
import { log, type RunContext } from '../lib/run-context';

/** Ceiling: the same HTTP stack doing no business work. Its first rate starts the run's ceiling runs. */
export async function measureCeiling(run: RunContext): Promise<LoadResult[]> {
  // Warm-up first (JIT, connections): the measured run starts from a steady state.
  await run.hammerCeiling('warm-up', 2);
  run.startWindow(run.ceiling);
  const ceiling = await medianOf3(() => run.hammerCeiling('ceiling: bare endpoint, same middleware (median of 3)', run.options.durationSeconds));
  run.takeWindowFigures(ceiling, run.ceiling);
  log(`ceiling ${Math.round(ceiling.rps)} req/s`);
  run.ceilingRuns.push(ceiling.rps);
  return [ceiling];
}

/**
 * Three runs, the median kept: on two shared cores a single run varies by ±15 %, more than the
 * differences some scenarios are meant to show (a poll must cost the same at any queue size).
 */
async function medianOf3(measure: () => Promise<LoadResult>): Promise<LoadResult> {
  const runs: LoadResult[] = [];
  for (let i = 0; i < 3; i += 1) runs.push(await measure());
  return {
    ...medianOf(runs),
    note: `runs: ${[...runs]
      .sort((a, b) => a.rps - b.rps)
      .map((r) => Math.round(r.rps))
      .join(', ')} req/s`,
  };
}
