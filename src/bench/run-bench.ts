/**
 * `npm run bench`: builds and starts the real server (npm start's code path, production settings,
 * a fresh data directory) and a ceiling server, drives them over HTTP from this process, checks
 * the money and seat invariants after every scenario, and writes docs/performance.md.
 * Each scenario is in scenarios/; this file runs them in order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, bearer } from './lib/api';
import { ADMIN, benchServer, CEILING_SCRIPT, MAIN_SCRIPT, type ServerSetup } from './lib/bench-servers';
import { createBenchConcert } from './lib/catalogue';
import { topCosts } from './lib/cpu-profile';
import { closeConnections, type LoadResult } from './lib/load';
import { parseOptions, USAGE } from './lib/options';
import { writeReport } from './lib/report';
import { log, mb, RunContext } from './lib/run-context';
import { measureCeiling } from './scenarios/ceiling';
import { measureDistinctHolds } from './scenarios/distinct';
import { measureJourney } from './scenarios/journey';
import { measureLogin } from './scenarios/login';
import { measureHoldRush } from './scenarios/rush';
import { measureStatusPolling } from './scenarios/status';
import { measureTokenBurst } from './scenarios/token-burst';

async function main(): Promise<void> {
  let options: ReturnType<typeof parseOptions>;
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
  const notes: string[] = [];

  // Both servers run with the Node flags of `npm start`, plus any given in BENCH_NODE_ARGS.
  const nodeArgs = [...startScriptNodeFlags(), ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const setup: ServerSetup = { root, nodeArgs, profile: options.profile };
  // Under --profile the ceiling runs under the profiler too, so the ratios carry its cost on both sides.
  const ceiling = await benchServer(setup, 'ceiling', CEILING_SCRIPT, 'ceiling', 'profile-ceiling');
  const server = await benchServer(setup, 'server', MAIN_SCRIPT, 'data', 'profile');
  notes.push(`server and ceiling started with \`node ${nodeArgs.join(' ')}\``);
  try {
    log(`starting servers (data in ${root})`);
    await ceiling.start('/nothing-here');
    await server.start('/health/ready');
    const api = new Api(server.url);
    const login = await api.ok('POST', '/auth/login', {}, ADMIN);
    const run = new RunContext(options, setup, ceiling, server, api, bearer(login.accessToken));

    const results = await runScenarios(run);

    await server.stop();
    await ceiling.stop();
    const sortedCeiling = [...run.ceilingRuns].sort((a, b) => a - b);
    notes.push(
      `ceiling runs over the whole run (first three at the start, then one after each scenario): ${run.ceilingRuns.map((r) => Math.round(r)).join(', ')} req/s; median ${Math.round(sortedCeiling[Math.floor(sortedCeiling.length / 2)])}`,
    );
    let profile: ReturnType<typeof topCosts> | null = null;
    const scenarioProfiles: Array<{ name: string; costs: ReturnType<typeof topCosts> }> = [];
    if (options.profile) {
      profile = topCosts(path.join(root, 'profile'));
      for (const w of run.profileWindows) scenarioProfiles.push({ name: w.name, costs: topCosts(path.join(root, w.dir), 8, w) });
    }

    const failed = run.invariants.filter((i) => !i.ok);
    writeReport(options.reportPath, {
      options,
      results,
      invariants: run.invariants,
      profile,
      scenarioProfiles,
      notes,
      peakRssMb: Math.max(...results.map((r) => r.peakRssMb ?? 0)),
      runPeakRssMb: mb(server.runPeakRssBytes),
    });
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

/**
 * The scenarios selected by --only, in their fixed order, and their rows of the report's table.
 * The ceiling and the token burst always run: every ratio needs the first, and the burst admits
 * the shoppers of the scenarios after it. Some scenarios check the invariants when they end.
 */
async function runScenarios(run: RunContext): Promise<LoadResult[]> {
  const { only } = run.options;
  const results = await measureCeiling(run);
  if (only.has('login')) results.push(...(await measureLogin(run)));
  const schedules = await createBenchConcert(run);
  const burst = await measureTokenBurst(run);
  results.push(...burst.results);
  if (only.has('status')) results.push(...(await measureStatusPolling(run, burst.shoppers)));
  if (only.has('rush')) results.push(...(await measureHoldRush(run, schedules.rush, burst.shoppers)));
  if (only.has('distinct')) results.push(...(await measureDistinctHolds(run, schedules.distinct, burst.shoppers)));
  if (only.has('journey')) results.push(...(await measureJourney(run, schedules.journey, burst.shoppers)));
  return results;
}

/** The `--flags` that `npm start` gives node, so the bench runs the server exactly as users do. */
function startScriptNodeFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((t) => t.startsWith('--'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
