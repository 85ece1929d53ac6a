import http from 'node:http';
import autocannon from 'autocannon';
import type { BackendName } from './options';

export interface LoadResult {
  name: string;
  requests: number;
  durationSeconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses outside the expected statuses, plus transport errors and timeouts. */
  errors: number;
  /** Of `errors`, the 409 answers (where 409 was not expected). */
  unexpected409?: number;
  statuses: Record<string, number>;
  peakRssMb?: number;
  /** CPU in cores (1 = one core busy) of the server and of the load generator (this process). */
  serverCores?: number;
  clientCores?: number;
  /** CPU of the PostgreSQL backends serving the server, in cores (PostgreSQL runs only; not in serverCores). */
  databaseCores?: number;
  /** The backend the row ran on, when the run has more than one (or not SQLite). */
  backend?: BackendName;
  /** Confirmed purchases per second (the journey). */
  purchasesPerSecond?: number;
  /** With a broker: p50 of the relay-to-handled lag (broker stored → subscriber handled), in ms (see EventLags). */
  relayToHandledP50Ms?: number;
  ratioToCeiling?: number;
  /** The ceiling the ratio is taken against: the mean of the ceiling runs just before and after this scenario. */
  ceilingRps?: number;
  note?: string;
}

/** Fixed-shape load with autocannon (the efficient path: no per-user state). */
export async function hammer(
  name: string,
  options: { url: string; connections: number; durationSeconds?: number; amount?: number; requests: autocannon.Request[] },
  expected: number[] = [200],
): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    // With a fixed amount, autocannon ends (and stamps the duration) only at its next sample tick:
    // at the default 1 s ticks 5 000 requests done in 4.1 s were reported as 5.0 s. 20 ms ticks
    // keep that error under 1 %.
    ...(options.amount ? { amount: options.amount, sampleInt: 20 } : { duration: options.durationSeconds }),
    requests: options.requests,
    timeout: 30,
  });
  const statuses: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = stat.count;
  const unexpected = Object.entries(statuses)
    .filter(([code]) => !expected.includes(Number(code)))
    .reduce((n, [, c]) => n + c, 0);
  const total = Object.values(statuses).reduce((a, b) => a + b, 0);
  return {
    name,
    requests: total,
    durationSeconds: result.duration,
    rps: total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: unexpected + result.errors + result.timeouts,
    unexpected409: expected.includes(409) ? 0 : (statuses['409'] ?? 0),
    statuses,
  };
}

export interface Sample {
  status: number;
  ms: number;
}

/** Runs `work` for each item with at most `concurrency` in flight; records every request's latency. */
export async function drive<T>(
  name: string,
  items: T[],
  concurrency: number,
  work: (item: T, record: (s: Sample) => void) => Promise<void>,
  expected: number[] = [200, 201],
): Promise<LoadResult & { samples: Sample[] }> {
  const samples: Sample[] = [];
  let transportErrors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++];
        try {
          await work(item, (s) => samples.push(s));
        } catch {
          transportErrors += 1;
        }
      }
    }),
  );
  const durationSeconds = (performance.now() - started) / 1000;
  const statuses: Record<string, number> = {};
  for (const s of samples) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  const latencies = samples.map((s) => s.ms).sort((a, b) => a - b);
  const unexpected = samples.filter((s) => !expected.includes(s.status)).length;
  return {
    name,
    requests: samples.length,
    durationSeconds,
    rps: samples.length / durationSeconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    errors: unexpected + transportErrors,
    unexpected409: expected.includes(409) ? 0 : (statuses['409'] ?? 0),
    statuses,
    samples,
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** The run of median rate (the upper middle one of an even count). */
export function medianOf(results: LoadResult[]): LoadResult {
  return [...results].sort((x, y) => x.rps - y.rps)[Math.floor(results.length / 2)];
}

export function medianOfNumbers(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Keep-alive connections shared by every per-user call. node:http costs the client about a third
 * of what `fetch` (undici) does per request, and the client shares the server's two cores.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** Closes the idle keep-alive connections, so the process can exit. */
export function closeConnections(): void {
  agent.destroy();
}

/** One timed JSON request. */
export function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: any; ms: number; headers: http.IncomingHttpHeaders }> {
  const started = performance.now();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const ms = performance.now() - started;
          let parsed: unknown = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, ms, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
