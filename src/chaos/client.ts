import { call } from '../bench/lib/load';
import { sleep } from './fake-gateway';

/** An answer, or why there was none; `sent` is false only when the request certainly never reached a server (connection refused). */
export type Reply = Awaited<ReturnType<typeof call>> & { error?: string; sent: boolean };

function failure(error: string, sent: boolean): Reply {
  return { status: 0, body: null, ms: 0, headers: {}, error, sent };
}

/** Longest wait for one answer: longer than any answer the system gives (a long-poll is 30 s). */
const ANSWER_TIMEOUT_MS = 35_000;

/** One request; a transport error or no answer in time is an answer of status 0. */
export async function send(base: () => string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Reply>((resolve) => {
    timer = setTimeout(() => resolve(failure('no answer in time', true)), ANSWER_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      call(base(), method, path, headers, body).then(
        (answer): Reply => ({ ...answer, sent: true }),
        (err: NodeJS.ErrnoException) => failure(err.code ?? err.message, err.code !== 'ECONNREFUSED'),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function codeOf(reply: Reply): string | undefined {
  return reply.status === 0 ? undefined : (reply.body?.code as string | undefined);
}

/** The system said it did nothing: connection refused, or the gateway's 503 for a service that is down. */
export function certainlyNotDone(reply: Reply): boolean {
  return reply.status === 0 ? !reply.sent : reply.status === 503 && codeOf(reply) === 'SERVICE_UNAVAILABLE';
}

/**
 * Whether a careful client repeats a request that is safe to repeat (a read, or a write carrying
 * an Idempotency-Key): no answer, a 5xx, a 429, or a key still in flight. `also` adds statuses
 * that mean "not yet" for this call (404 for a payment whose hold the payment module has not heard of).
 */
export function transient(reply: Reply, also: number[] = []): boolean {
  if (reply.status === 0 || reply.status >= 500 || reply.status === 429 || also.includes(reply.status)) return true;
  return codeOf(reply) === 'IDEMPOTENCY_IN_FLIGHT';
}

/** The pause before a repeat: the server's Retry-After (capped at 3 s), else a growing backoff from 200 ms to 2 s. */
export function pauseBefore(reply: Reply, attempt: number): number {
  const retryAfter = reply.status === 0 ? Number.NaN : Number(reply.headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter > 0) return Math.min(3000, retryAfter * 1000);
  return Math.min(2000, 200 * 2 ** Math.min(attempt, 4));
}

/** A request and how long it may be repeated: base URL, method, path, headers, body, and the deadline (Date.now()). */
type Repeated = [base: () => string, method: string, path: string, headers: Record<string, string>, body: unknown, deadlineMs: number];

/** Sends until `done(answer)` or until the next pause would pass the deadline; the last answer. */
async function repeat(done: (reply: Reply) => boolean, ...[base, method, path, headers, body, deadlineMs]: Repeated): Promise<Reply> {
  for (let attempt = 0; ; attempt += 1) {
    const reply = await send(base, method, path, headers, body);
    if (done(reply) || Date.now() + pauseBefore(reply, attempt) > deadlineMs) return reply;
    await sleep(pauseBefore(reply, attempt));
  }
}

/** Repeats a safe request (a read, or a write with an Idempotency-Key) while its answer is transient (`also`: statuses that mean "not yet" for it). */
export function persist(...args: [...Repeated, also?: number[]]): Promise<Reply> {
  const [base, method, path, headers, body, deadlineMs, also = []] = args;
  return repeat((reply) => !transient(reply, also), base, method, path, headers, body, deadlineMs);
}

/** A request that must not be repeated blindly: repeated only while the system certainly did nothing with it. */
export function once(...args: Repeated): Promise<Reply> {
  return repeat((reply) => !certainlyNotDone(reply), ...args);
}
