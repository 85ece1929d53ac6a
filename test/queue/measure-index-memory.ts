/**
 * Measures what the queue's in-memory index keeps per waiting token (not a test: no assertions,
 * and timings vary by machine). Run:
 *
 *   node --expose-gc -r tsx/cjs test/queue/measure-index-memory.ts [waiting=100000]
 *
 * Tokens are made exactly as `TakeTokenService.join` makes them and added the way it adds them, then
 * every ticket gets the bookkeeping of the answer to its join (touch, position, poll record).
 * Memory (JS heap + array buffers) is read after forced full collections, so only what is
 * retained counts.
 */
import { randomBytes } from 'node:crypto';
import { QueueState } from '../../src/modules/queue/domain/queue-state';

const exposedGc = (globalThis as { gc?: () => void }).gc;
if (!exposedGc) throw new Error('run with node --expose-gc');
const collect = exposedGc;

const waitingUsers = Number(process.argv[2] ?? 100_000);
const T0 = Date.parse('2030-01-01T00:00:00Z');
const FIRST_SEQ = 1_000;
const FIRST_USER = 50_000;

/** JS heap plus array-buffer memory (typed arrays keep their contents outside the JS heap, but in RSS all the same). */
function retainedAfterGc(): number {
  collect();
  collect();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function fill(state: QueueState, tokenFor: (i: number) => string): void {
  for (let i = 0; i < waitingUsers; i++) {
    const now = T0 + i;
    state.add({ seq: FIRST_SEQ + i, token: tokenFor(i), userId: FIRST_USER + i, status: 'WAITING', createdAtMs: now, seenAtMs: now, expiresAtMs: null });
  }
}

/** What `LiveQueue.answer` does to a waiting ticket. */
function answerEveryJoin(state: QueueState): void {
  for (let i = 0; i < waitingUsers; i++) {
    const seq = FIRST_SEQ + i;
    const now = T0 + i;
    state.touch(seq, now);
    state.positionOf(seq);
    state.recordPoll(seq, now, 20_000);
  }
}

function nsPer(count: number, work: () => void): number {
  const start = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - start) / count;
}

/** Memory retained per entry by `build` (each phase in its own function, so no stray reference outlives it). */
function retainedBytesPer<T>(build: () => T): { perEntry: number; value: T } {
  const before = retainedAfterGc();
  const value = build();
  return { perEntry: (retainedAfterGc() - before) / waitingUsers, value };
}

function warmUp(): void {
  fill(new QueueState(), newToken);
}

function measureMemory(): { tokenString: number; index: number; answers: number; slotCapacity: number } {
  // The token string alone (less the array slot holding it): retained whatever the index looks like.
  const tokenString = retainedBytesPer(() => Array.from({ length: waitingUsers }, newToken)).perEntry - 8;
  const joined = retainedBytesPer(() => {
    const state = new QueueState();
    fill(state, newToken);
    return state;
  });
  const answered = retainedBytesPer(() => answerEveryJoin(joined.value));
  return { tokenString, index: joined.perEntry, answers: answered.perEntry, slotCapacity: joined.value.slotCapacity };
}

function measureTime(): { addNs: number; positionOfNs: number; byTokenLookupNs: number; checksum: number } {
  // Tokens made beforehand, so only the index's work is timed.
  const tokens = Array.from({ length: waitingUsers }, newToken);
  const state = new QueueState();
  const addNs = nsPer(waitingUsers, () => fill(state, (i) => tokens[i]));
  let checksum = 0;
  const positionOfNs = nsPer(10 * waitingUsers, () => {
    for (let round = 0; round < 10; round++) for (let i = 0; i < waitingUsers; i++) checksum += state.positionOf(FIRST_SEQ + i);
  });
  // A poll's lookup: token → live ticket snapshot.
  const byTokenLookupNs = nsPer(waitingUsers, () => {
    for (let i = 0; i < waitingUsers; i++) checksum += state.byTokenValue(tokens[i])?.advisedPollMs ?? 0;
  });
  return { addNs, positionOfNs, byTokenLookupNs, checksum };
}

warmUp();
const memory = measureMemory();
const time = measureTime();
console.log(
  JSON.stringify(
    {
      waitingUsers,
      retainedBytesPerWaitingToken: Math.round(memory.index),
      ofWhichTokenString: Math.round(memory.tokenString),
      extraBytesPerTokenAfterAnswers: Math.round(memory.answers),
      slotCapacity: memory.slotCapacity,
      addNs: Math.round(time.addNs),
      positionOfNs: Math.round(time.positionOfNs),
      byTokenLookupNs: Math.round(time.byTokenLookupNs),
      checksum: time.checksum,
    },
    null,
    2,
  ),
);
