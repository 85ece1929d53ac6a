import { expect } from 'chai';
import fc from 'fast-check';
import { type LiveTicket, QueueState, type QueueStateOptions } from '../../src/modules/queue/domain/queue-state';

const TTL_MS = 1_000;
const IDLE_MS = 600;

interface ModelTicket {
  seq: number;
  token: string;
  userId: number;
  status: 'WAITING' | 'ACTIVE';
  createdAtMs: number;
  lastSeenMs: number;
  lastPollMs: number | null;
  advisedPollMs: number;
  expiresAtMs: number | null;
}

/**
 * The naive model: plain lists, scanned and sorted on every question. Live tickets in arrival
 * order, the waiting ones' least-recently-seen order, and the active ones' activation order.
 */
class Model {
  live: ModelTicket[] = [];
  seenOrder: number[] = [];
  activationOrder: number[] = [];
  ended: number[] = [];

  find(seq: number): ModelTicket | undefined {
    return this.live.find((t) => t.seq === seq);
  }

  waitingBySeq(): ModelTicket[] {
    return this.live.filter((t) => t.status === 'WAITING').sort((a, b) => a.seq - b.seq);
  }

  add(t: ModelTicket): void {
    const previous = this.live.find((p) => p.userId === t.userId);
    if (previous) this.end(previous.seq);
    this.live.push(t);
    if (t.status === 'WAITING') this.seenOrder.push(t.seq);
    else this.activationOrder.push(t.seq);
  }

  activate(seq: number, expiresAtMs: number): void {
    const t = this.find(seq);
    if (t?.status !== 'WAITING') return;
    t.status = 'ACTIVE';
    t.expiresAtMs = expiresAtMs;
    this.seenOrder = this.seenOrder.filter((s) => s !== seq);
    this.activationOrder.push(seq);
  }

  end(seq: number): void {
    if (!this.find(seq)) return;
    this.live = this.live.filter((t) => t.seq !== seq);
    this.seenOrder = this.seenOrder.filter((s) => s !== seq);
    this.activationOrder = this.activationOrder.filter((s) => s !== seq);
    this.ended.push(seq);
  }

  touch(seq: number, nowMs: number): void {
    const t = this.find(seq);
    if (!t) return;
    t.lastSeenMs = nowMs;
    if (t.status !== 'WAITING') return;
    this.seenOrder = this.seenOrder.filter((s) => s !== seq);
    this.seenOrder.push(seq);
  }

  expiredActive(nowMs: number): number[] {
    const out: number[] = [];
    for (const seq of this.activationOrder) {
      if ((this.find(seq)?.expiresAtMs ?? 0) > nowMs) break;
      out.push(seq);
    }
    return out;
  }

  idleWaiting(cutoffMs: number): number[] {
    const out: number[] = [];
    for (const seq of this.seenOrder) {
      if ((this.find(seq) as ModelTicket).lastSeenMs > cutoffMs) break;
      out.push(seq);
    }
    return out;
  }

  /** What a rebuild from the database gives: fresh idle allowance, no poll history, waiting ones seen in arrival order. */
  reloaded(nowMs: number): Model {
    const next = new Model();
    next.ended = this.ended;
    next.live = this.live.map((t) => ({ ...t, lastSeenMs: nowMs, lastPollMs: null, advisedPollMs: 0 }));
    next.seenOrder = this.waitingBySeq().map((t) => t.seq);
    next.activationOrder = this.live
      .filter((t) => t.status === 'ACTIVE')
      .sort((a, b) => (a.expiresAtMs ?? 0) - (b.expiresAtMs ?? 0) || a.seq - b.seq)
      .map((t) => t.seq);
    return next;
  }
}

function expectSameAsModel(state: QueueState, model: Model): void {
  const waiting = model.waitingBySeq();
  expect(state.waitingCount).to.equal(waiting.length);
  expect(state.activeCount).to.equal(model.live.length - waiting.length);
  // Gathered first and compared once: one assertion per question instead of one per ticket.
  const expected = model.live.map((t) => {
    const ticket: LiveTicket = {
      seq: t.seq,
      token: t.token,
      userId: t.userId,
      status: t.status,
      lastSeenMs: t.lastSeenMs,
      lastPollMs: t.lastPollMs,
      advisedPollMs: t.advisedPollMs,
      expiresAtMs: t.expiresAtMs,
    };
    return { ticket, byToken: t.seq, byUser: t.seq, position: t.status === 'WAITING' ? waiting.indexOf(t) + 1 : 0 };
  });
  const actual = model.live.map((t) => ({
    ticket: state.get(t.seq),
    byToken: state.byTokenValue(t.token)?.seq,
    byUser: state.liveOf(t.userId)?.seq,
    position: state.positionOf(t.seq),
  }));
  expect(actual).to.deep.equal(expected);
  const ended = model.ended.slice(-20);
  expect(ended.map((seq) => [state.get(seq), state.statusOf(seq), state.positionOf(seq)])).to.deep.equal(ended.map(() => [undefined, undefined, 0]));
  expect(state.headWaiting(waiting.length + 1)).to.deep.equal(waiting.map((t) => t.seq));
  expect(state.oldestWaitingSince()).to.equal(waiting[0]?.createdAtMs ?? null);
  expect(state.idleWaiting(Number.POSITIVE_INFINITY)).to.deep.equal(model.seenOrder);
  expect(state.expiredActive(Number.POSITIVE_INFINITY)).to.deep.equal(model.activationOrder);
}

/** Rebuilds an index the way `LiveQueue.reload` (infrastructure/live-queue.ts) does, or with the waiting tickets first (the window then has to reach back). */
function rebuild(model: Model, nowMs: number, options: QueueStateOptions, activeFirst: boolean): QueueState {
  const state = new QueueState(options);
  const waiting = model.waitingBySeq();
  const active = model.activationOrder.map((seq) => model.find(seq) as ModelTicket);
  const add = (t: ModelTicket) =>
    state.add({ seq: t.seq, token: t.token, userId: t.userId, status: t.status, createdAtMs: t.createdAtMs, seenAtMs: nowMs, expiresAtMs: t.expiresAtMs });
  if (activeFirst) {
    active.forEach(add);
    waiting.forEach(add);
  } else {
    waiting.forEach(add);
    active.forEach(add);
  }
  return state;
}

/** Unit test of the compact index against the naive model. */
describe('queue: QueueState (the compact live-token index)', () => {
  it('answers positions, heads, expiry and idle orders exactly like plain lists, through growth, compaction, emptying and rebuilds', () => {
    const pick = fc.nat();
    const op = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant('join' as const),
          user: fc.integer({ min: 0, max: 24 }),
          gap: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 300 })),
          dt: fc.integer({ min: 0, max: 50 }),
        }),
      },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('admit' as const), n: fc.integer({ min: 1, max: 6 }), dt: fc.integer({ min: 0, max: 50 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('end' as const), pick }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('touch' as const), pick, dt: fc.integer({ min: 0, max: 200 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('poll' as const), pick, advisedPollMs: fc.integer({ min: 1, max: 20 }).map((s) => s * 1000) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('pass' as const), pick }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('expire' as const), dt: fc.integer({ min: 0, max: 800 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('endStale' as const), pick }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('reload' as const), activeFirst: fc.boolean() }) },
    );
    const options = fc.record({ initialSlots: fc.constantFrom(1, 4, 16), minDeadPrefix: fc.constantFrom(1, 8, 64) });
    fc.assert(
      fc.property(options, fc.array(op, { minLength: 1, maxLength: 300, size: 'max' }), (opts, ops) => {
        let state = new QueueState(opts);
        let model = new Model();
        let now = 1_000_000;
        let nextSeq = 1;
        let minted = 0;
        for (const o of ops) {
          if (o.kind === 'join') {
            now += o.dt;
            nextSeq += o.gap;
            // As in the engine: only an empty queue lets a newcomer straight in.
            const admitNow = model.waitingBySeq().length === 0 && o.user % 3 === 0;
            const t: ModelTicket = {
              seq: nextSeq,
              token: `token-${nextSeq}`,
              userId: 1_000 + o.user,
              status: admitNow ? 'ACTIVE' : 'WAITING',
              createdAtMs: now,
              lastSeenMs: now,
              lastPollMs: null,
              advisedPollMs: 0,
              expiresAtMs: admitNow ? now + TTL_MS : null,
            };
            const added = state.add({
              seq: t.seq,
              token: t.token,
              userId: t.userId,
              status: t.status,
              createdAtMs: now,
              seenAtMs: now,
              expiresAtMs: t.expiresAtMs,
            });
            expect(added.seq).to.equal(t.seq);
            model.add(t);
          } else if (o.kind === 'admit') {
            now += o.dt;
            const head = state.headWaiting(o.n);
            expect(head).to.deep.equal(
              model
                .waitingBySeq()
                .slice(0, o.n)
                .map((t) => t.seq),
            );
            for (const seq of head) {
              state.activate(seq, now + TTL_MS);
              model.activate(seq, now + TTL_MS);
            }
          } else if (o.kind === 'end' && model.live.length > 0) {
            const seq = model.live[o.pick % model.live.length].seq;
            state.end(seq);
            model.end(seq);
          } else if (o.kind === 'endStale' && model.ended.length > 0) {
            // Ending or activating a ticket that already ended changes nothing.
            const seq = model.ended[o.pick % model.ended.length];
            state.end(seq);
            state.activate(seq, now);
            state.touch(seq, now);
          } else if (o.kind === 'touch' && model.live.length > 0) {
            now += o.dt;
            const seq = model.live[o.pick % model.live.length].seq;
            state.touch(seq, now);
            model.touch(seq, now);
          } else if (o.kind === 'poll' && model.live.length > 0) {
            const t = model.live[o.pick % model.live.length];
            state.recordPoll(t.seq, now, o.advisedPollMs);
            t.lastPollMs = now;
            t.advisedPollMs = o.advisedPollMs;
          } else if (o.kind === 'pass' && model.live.length > 0) {
            const t = model.live[o.pick % model.live.length];
            const mint = () => `pass-${++minted}`;
            const first = state.passOf(t.seq, mint);
            const second = state.passOf(t.seq, mint);
            // Minted once and kept while admitted; nothing is kept for a waiting ticket.
            if (t.status === 'ACTIVE') expect(second).to.equal(first);
            else expect(second).to.not.equal(first);
          } else if (o.kind === 'expire') {
            now += o.dt;
            const expired = state.expiredActive(now);
            const idle = state.idleWaiting(now - IDLE_MS);
            expect(expired).to.deep.equal(model.expiredActive(now));
            expect(idle).to.deep.equal(model.idleWaiting(now - IDLE_MS));
            for (const seq of [...expired, ...idle]) {
              state.end(seq);
              model.end(seq);
            }
          } else if (o.kind === 'reload') {
            state = rebuild(model, now, opts, o.activeFirst);
            model = model.reloaded(now);
          }
          expectSameAsModel(state, model);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('keeps a pass only while the ticket is admitted', () => {
    const state = new QueueState();
    state.add({ seq: 7, token: 'seven', userId: 1, status: 'WAITING', createdAtMs: 0, seenAtMs: 0, expiresAtMs: null });
    let minted = 0;
    const mint = () => `pass-${++minted}`;
    state.activate(7, 5_000);
    expect(state.passOf(7, mint)).to.equal('pass-1');
    expect(state.passOf(7, mint)).to.equal('pass-1');
    state.end(7);
    expect(state.passOf(7, mint)).to.equal('pass-2');
    expect(state.passOf(7, mint)).to.equal('pass-3');
  });

  it('a user’s new ticket replaces the old one', () => {
    const state = new QueueState();
    state.add({ seq: 1, token: 'old', userId: 9, status: 'WAITING', createdAtMs: 0, seenAtMs: 0, expiresAtMs: null });
    state.add({ seq: 2, token: 'other', userId: 10, status: 'WAITING', createdAtMs: 0, seenAtMs: 0, expiresAtMs: null });
    state.add({ seq: 3, token: 'new', userId: 9, status: 'WAITING', createdAtMs: 1, seenAtMs: 1, expiresAtMs: null });
    expect(state.byTokenValue('old')).to.equal(undefined);
    expect(state.liveOf(9)?.seq).to.equal(3);
    expect(state.positionOf(3)).to.equal(2);
    expect(state.waitingCount).to.equal(2);
    expect(() => state.add({ seq: 3, token: 'again', userId: 11, status: 'WAITING', createdAtMs: 1, seenAtMs: 1, expiresAtMs: null })).to.throw(/already live/);
  });

  it('holds 100 000 waiting with exact positions, and gives the space back once they have gone', () => {
    const state = new QueueState();
    for (let i = 0; i < 100_000; i++) state.add({ seq: 10 + i, token: `t${i}`, userId: i, status: 'WAITING', createdAtMs: i, seenAtMs: i, expiresAtMs: null });
    expect(state.positionOf(100_009)).to.equal(100_000);
    for (let seq = 10; seq < 100_010; seq += 2) state.end(seq);
    expect(state.positionOf(100_009)).to.equal(50_000);
    expect(state.byTokenValue('t99999')?.seq).to.equal(100_009);
    let admitted = 0;
    while (state.waitingCount > 10) {
      for (const seq of state.headWaiting(Math.min(1_000, state.waitingCount - 10))) {
        state.activate(seq, 1_000_000 + admitted++);
        state.end(seq);
      }
    }
    expect(state.positionOf(100_009)).to.equal(10);
    expect(state.oldestWaitingSince()).to.equal(99_981);
    expect(state.slotCapacity).to.be.at.most(1024);
    expect(state.byTokenValue('t99999')?.status).to.equal('WAITING');
  });

  it('memory follows the live queue, not every token ever issued', () => {
    const state = new QueueState();
    // 200 000 tokens pass through a queue that never holds more than 100.
    for (let seq = 1; seq <= 200_000; seq++) {
      state.add({ seq, token: `t${seq}`, userId: seq, status: 'WAITING', createdAtMs: seq, seenAtMs: seq, expiresAtMs: null });
      if (seq > 100) state.end(seq - 100);
    }
    expect(state.waitingCount).to.equal(100);
    expect(state.positionOf(200_000)).to.equal(100);
    expect(state.slotCapacity).to.be.at.most(1024);
  });
});
