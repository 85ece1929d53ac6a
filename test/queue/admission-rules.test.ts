import { expect } from 'chai';
import fc from 'fast-check';
import { AdmissionMeter } from '../../src/modules/queue/domain/admission-meter';
import {
  activePollAfterSeconds,
  admissionRateFloor,
  admissionsDue,
  effectiveFlow,
  estimatedWaitSeconds,
  idleCutoffMs,
  isOver,
  joinAdmitsAtOnce,
  nextOverrides,
  passExpiryMs,
  pollRetryAfterSeconds,
  waitingPollAfterSeconds,
} from '../../src/modules/queue/domain/admission-rules';
import { activeView, endedView, oldestWaitSeconds, waitingView } from '../../src/modules/queue/domain/views';

/**
 * The waiting room's rules (src/modules/queue/domain/), given/when/then, without a database or a
 * clock: each rule gets the numbers it needs.
 */

/** `given(...).when(...).then(...)` registers one `it` named by the three. */
function given<C>(situation: string, setup: () => C) {
  return {
    when<R>(action: string, act: (context: C) => R) {
      return {
        // biome-ignore lint/suspicious/noThenProperty: the given/when/then vocabulary; this builder is never awaited.
        then(outcome: string, check: (result: R, context: C) => void): void {
          it(`given ${situation}, when ${action}, then ${outcome}`, () => {
            const context = setup();
            check(act(context), context);
          });
        },
      };
    },
  };
}

const T0 = Date.parse('2030-01-01T00:00:00Z');

/** A meter that has already admitted `batches` ([ms after T0, count]) at `perSecond`. */
function meterWith(perSecond: number, batches: Array<[number, number]>): AdmissionMeter {
  const meter = new AdmissionMeter();
  for (const [at, count] of batches) {
    meter.allowance(T0 + at, perSecond);
    meter.record(T0 + at, count, perSecond);
  }
  return meter;
}

describe('queue rules: the cap on concurrent shoppers', () => {
  given('10 slots of which 7 are taken, and a generous rate', () => ({ maxActive: 10, active: 7 }))
    .when('a round looks at 50 waiting', (c) => admissionsDue(c.maxActive, c.active, 100, 50))
    .then('it admits the 3 that fit', (n) => expect(n).to.equal(3));

  given('every slot taken', () => ({ maxActive: 10, active: 10 }))
    .when('a round looks at 50 waiting', (c) => admissionsDue(c.maxActive, c.active, 100, 50))
    .then('it admits nobody', (n) => expect(n).to.be.at.most(0));

  given('an operator lowered the cap below the shoppers already in', () => ({ maxActive: 3, active: 5 }))
    .when('a round looks at 50 waiting', (c) => admissionsDue(c.maxActive, c.active, 100, 50))
    .then('it admits nobody (and evicts nobody: the rule only counts)', (n) => expect(n).to.be.at.most(0));

  given('free slots and rate to spare', () => ({ maxActive: 100, active: 0 }))
    .when('a round looks at 4 waiting', (c) => admissionsDue(c.maxActive, c.active, 100, 4))
    .then('it admits the 4 there are', (n) => expect(n).to.equal(4));

  given('free slots but a per-second allowance of 2 left', () => ({ maxActive: 100, active: 0 }))
    .when('a round looks at 50 waiting', (c) => admissionsDue(c.maxActive, c.active, 2, 50))
    .then('it admits 2', (n) => expect(n).to.equal(2));

  it('never admits past the cap, the allowance or the queue, whatever the numbers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 1200 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        (maxActive, active, allowance, waiting) => {
          const n = Math.max(0, admissionsDue(maxActive, active, allowance, waiting));
          expect(active + n <= Math.max(active, maxActive)).to.equal(true);
          expect(n).to.be.at.most(allowance).and.at.most(waiting);
          // And as many as all three allow: FIFO admission never leaves a slot idle while someone waits.
          expect(n).to.equal(Math.max(0, Math.min(maxActive - active, allowance, waiting)));
        },
      ),
    );
  });
});

describe('queue rules: who a join lets in at once', () => {
  given('an empty queue with 3 free slots and an allowance of 5', () => ({ waiting: 0, active: 7, maxActive: 10, allowance: 5 }))
    .when('10 newcomers arrive together', (c) => joinAdmitsAtOnce(10, c.waiting, c.active, c.maxActive, c.allowance))
    .then('the first 3 are ACTIVE at once and the other 7 wait', (n) => expect(n).to.equal(3));

  given('an empty queue with room and an allowance of 2', () => ({ waiting: 0, active: 0, maxActive: 10, allowance: 2 }))
    .when('5 newcomers arrive together', (c) => joinAdmitsAtOnce(5, c.waiting, c.active, c.maxActive, c.allowance))
    .then('the rate lets in the first 2', (n) => expect(n).to.equal(2));

  given('someone already waiting, with free slots and allowance', () => ({ waiting: 1, active: 0, maxActive: 10, allowance: 10 }))
    .when('a newcomer arrives', (c) => joinAdmitsAtOnce(1, c.waiting, c.active, c.maxActive, c.allowance))
    .then('they wait behind them (FIFO: no overtaking the queue)', (n) => expect(n).to.equal(0));

  given('an empty queue but every slot taken', () => ({ waiting: 0, active: 10, maxActive: 10, allowance: 10 }))
    .when('a newcomer arrives', (c) => joinAdmitsAtOnce(1, c.waiting, c.active, c.maxActive, c.allowance))
    .then('they wait', (n) => expect(n).to.equal(0));

  given('an empty queue, a lowered cap below the shoppers in', () => ({ waiting: 0, active: 12, maxActive: 10, allowance: 10 }))
    .when('newcomers arrive', (c) => joinAdmitsAtOnce(3, c.waiting, c.active, c.maxActive, c.allowance))
    .then('nobody goes in (never a negative count)', (n) => expect(n).to.equal(0));

  given('an empty queue with room but no allowance left this second', () => ({ waiting: 0, active: 0, maxActive: 10, allowance: 0 }))
    .when('a newcomer arrives', (c) => joinAdmitsAtOnce(1, c.waiting, c.active, c.maxActive, c.allowance))
    .then('they wait for the next round', (n) => expect(n).to.equal(0));
});

describe('queue rules: the per-second rate (sliding window)', () => {
  given('5 admitted at once with a rate of 5 per second', () => meterWith(5, [[0, 5]]))
    .when('asking 999 ms later', (m) => m.allowance(T0 + 999, 5))
    .then('nobody more may go in', (n) => expect(n).to.equal(0));

  given('5 admitted at once with a rate of 5 per second', () => meterWith(5, [[0, 5]]))
    .when('asking a full second later', (m) => m.allowance(T0 + 1000, 5))
    .then('the whole rate is available again', (n) => expect(n).to.equal(5));

  given('3 admitted at 0 ms and 2 at 600 ms, rate 5', () =>
    meterWith(5, [
      [0, 3],
      [600, 2],
    ]),
  )
    .when('asking at 1 000 ms', (m) => m.allowance(T0 + 1000, 5))
    .then('the window has slid past the first 3 only (not a calendar second)', (n) => expect(n).to.equal(3));

  it('never lets more than the rate through in any 1-second window, however rounds and batches fall', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: 700 }), wanted: fc.integer({ min: 0, max: 30 }) }), { minLength: 1, maxLength: 60 }),
        (perSecond, rounds) => {
          const meter = new AdmissionMeter();
          const admissions: Array<{ at: number; count: number }> = [];
          let now = T0;
          for (const r of rounds) {
            now += r.gapMs;
            const n = Math.min(r.wanted, meter.allowance(now, perSecond));
            if (n > 0) {
              meter.record(now, n, perSecond);
              admissions.push({ at: now, count: n });
            }
          }
          for (const a of admissions) {
            const inWindow = admissions.filter((b) => b.at > a.at - 1000 && b.at <= a.at).reduce((sum, b) => sum + b.count, 0);
            expect(inWindow).to.be.at.most(perSecond);
          }
        },
      ),
    );
  });

  given('a restart with 4 admissions in the last second on record, rate 10', () => {
    const meter = new AdmissionMeter();
    meter.restore([T0 - 900, T0 - 500, T0 - 500, T0 - 100], T0, 10);
    return meter;
  })
    .when('asking at once', (m) => m.allowance(T0, 10))
    .then('only the rest of the second’s rate is available', (n) => expect(n).to.equal(6));
});

describe('queue rules: pacing (token bucket)', () => {
  given('the whole quota of 10 spent at 0 ms, and the operator raising the rate to 100', () => meterWith(10, [[0, 10]]))
    .when('asking half a second later', (m) => m.allowance(T0 + 500, 100))
    .then('the new quota arrives over the second (50), not all at once (90)', (n) => expect(n).to.equal(50));

  given('the whole quota of 10 spent at 0 ms', () => meterWith(10, [[0, 10]]))
    .when('the rate is raised to 100 and asked after 100 ms, then after 1 s', (m) => [m.allowance(T0 + 100, 100), m.allowance(T0 + 1000, 100)])
    .then('the allowance grows with time: 10, then the full 100', (n) => expect(n).to.deep.equal([10, 100]));

  given('a fresh meter', () => new AdmissionMeter())
    .when('the first round asks, rate 7', (m) => m.allowance(T0, 7))
    .then('the full second’s quota is there (the bucket starts full)', (n) => expect(n).to.equal(7));
});

describe('queue rules: the idle drop and the pass expiry', () => {
  const waiting = (lastSeenMs: number) => ({ status: 'WAITING' as const, lastSeenMs, expiresAtMs: null });
  const active = (expiresAtMs: number | null) => ({ status: 'ACTIVE' as const, lastSeenMs: T0, expiresAtMs });

  given('a waiting token last seen at T0, idle limit 120 s', () => waiting(T0))
    .when('asked 1 ms before the limit and at it', (t) => [isOver(t, T0 + 119_999, 120), isOver(t, T0 + 120_000, 120)])
    .then('it is live, then over', (r) => expect(r).to.deep.equal([false, true]));

  given('an idle limit of 120 s', () => 120)
    .when('a round at T0 + 10 min looks for idle waiters', (idle) => idleCutoffMs(T0 + 600_000, idle))
    .then('those last seen 120 s ago or earlier are dropped', (cutoff) => expect(cutoff).to.equal(T0 + 480_000));

  given('an active token whose pass expires at T0 + 600 s', () => active(T0 + 600_000))
    .when('asked 1 ms before and at the expiry', (t) => [isOver(t, T0 + 599_999, 120), isOver(t, T0 + 600_000, 120)])
    .then('it is live, then over (however long ago it was seen)', (r) => expect(r).to.deep.equal([false, true]));

  given('an active token without an expiry', () => active(null))
    .when('asked', (t) => isOver(t, T0, 120))
    .then('it counts as long expired', (r) => expect(r).to.equal(true));

  given('an admission at T0 + 1.4 s with a pass lifetime of 600 s', () => T0 + 1_400)
    .when('its expiry is set', (now) => passExpiryMs(now, 600))
    .then('it falls on a whole second (as the pass’s JWT exp does)', (at) => expect(at).to.equal(T0 + 601_000));
});

describe('queue rules: the estimated wait', () => {
  given('position 250 and 100 admissions per second expected', () => ({ position: 250, rate: 100 }))
    .when('the wait is estimated', (c) => estimatedWaitSeconds(c.position, c.rate))
    .then('it is rounded up to 3 s', (s) => expect(s).to.equal(3));

  given('a cap of 1 000 and passes of 600 s, rate 100', () => ({ maxActive: 1000, admitPerSecond: 100, ttl: 600 }))
    .when('the floor is computed', (c) => admissionRateFloor(c.maxActive, c.admitPerSecond, c.ttl))
    .then('slots free at least as passes expire: 1 000 / 600 per second', (floor) => expect(floor).to.be.closeTo(1000 / 600, 1e-9));

  given('a cap far above the rate (1 000 000, passes of 10 s, rate 5)', () => ({ maxActive: 1_000_000, admitPerSecond: 5, ttl: 10 }))
    .when('the floor is computed', (c) => admissionRateFloor(c.maxActive, c.admitPerSecond, c.ttl))
    .then('it never exceeds the rate', (floor) => expect(floor).to.equal(5));

  given('a meter that has seen nothing yet', () => new AdmissionMeter())
    .when('the expected rate is asked with rate 100 and floor 2', (m) => m.expectedRate(100, 2))
    .then('it is the configured rate', (r) => expect(r).to.equal(100));

  given('a queue that admitted only 1 a second for a minute while people waited (rate 100)', () => {
    const meter = new AdmissionMeter();
    meter.observe(T0, 0, true, 100);
    for (let s = 1; s <= 60; s++) meter.observe(T0 + s * 1000, 1, true, 100);
    return meter;
  })
    .when('the expected rate is asked, with a floor of 0.5 and then of 20', (m) => [m.expectedRate(100, 0.5), m.expectedRate(100, 20)])
    .then('it follows what was observed, but never below the floor', ([low, floored]) => {
      expect(low).to.be.lessThan(100).and.greaterThan(1);
      expect(floored).to.equal(20);
    });

  given('a queue where nobody was left waiting (demand, not supply, set the pace)', () => {
    const meter = new AdmissionMeter();
    for (let s = 0; s <= 60; s++) meter.observe(T0 + s * 1000, 1, false, 100);
    return meter;
  })
    .when('the expected rate is asked', (m) => m.expectedRate(100, 0.5))
    .then('nothing was sampled: still the configured rate', (r) => expect(r).to.equal(100));

  given('a waiting token at position 10, 0.5 admissions per second expected, idle limit 120 s', () => ({ position: 10, rate: 0.5 }))
    .when('its view is built', (c) => waitingView('T', c.position, c.rate, 120))
    .then('it shows the position, a 20 s wait and a 2 s poll interval', (v) =>
      expect(v).to.deep.equal({ token: 'T', status: 'WAITING', position: 10, estimatedWaitSeconds: 20, pollAfterSeconds: 2 }),
    );

  given('the head of the queue arrived 42.9 s ago', () => T0)
    .when('the oldest wait is reported', (since) => [oldestWaitSeconds(since, T0 + 42_900), oldestWaitSeconds(null, T0)])
    .then('it is 42 whole seconds (0 when nobody waits)', (r) => expect(r).to.deep.equal([42, 0]));
});

describe('queue rules: poll advice', () => {
  given('a waiting token with no wait ahead', () => 0)
    .when('the poll interval is advised (idle limit 120 s)', (wait) => waitingPollAfterSeconds(wait, 120))
    .then('it is 1 s', (s) => expect(s).to.equal(1));

  given('an estimated wait of 95 s', () => 95)
    .when('the poll interval is advised (idle limit 120 s)', (wait) => waitingPollAfterSeconds(wait, 120))
    .then('it is a tenth of the wait, rounded up: 10 s', (s) => expect(s).to.equal(10));

  given('an estimated wait of an hour', () => 3600)
    .when('the poll interval is advised (idle limit 1 h)', (wait) => waitingPollAfterSeconds(wait, 3600))
    .then('it stops at 20 s', (s) => expect(s).to.equal(20));

  given('an estimated wait of an hour and an idle limit of 30 s', () => 3600)
    .when('the poll interval is advised', (wait) => waitingPollAfterSeconds(wait, 30))
    .then('it stays well inside the idle limit (a third: 10 s), so a well-behaved client is never dropped', (s) => expect(s).to.equal(10));

  given('an idle limit of 2 s (below anything sensible)', () => 3600)
    .when('the poll interval is advised', (wait) => waitingPollAfterSeconds(wait, 2))
    .then('it is still at least 1 s', (s) => expect(s).to.equal(1));

  given('an active pass with 5.2 s, 600 s and none left', () => T0)
    .when('the poll interval is advised', (now) => [
      activePollAfterSeconds(now + 5_200, now),
      activePollAfterSeconds(now + 600_000, now),
      activePollAfterSeconds(now - 1, now),
    ])
    .then('it is the seconds left (6), at most 20, at least 1', (s) => expect(s).to.deep.equal([6, 20, 1]));

  given('an active token whose pass expires in 90 s', () => ({ expiresAtMs: T0 + 90_000 }))
    .when('its view is built', (c) => activeView('T', 'PASS', c.expiresAtMs, T0))
    .then('it carries the pass and its expiry, position 0, and advises polling in 20 s', (v) =>
      expect(v).to.deep.equal({
        token: 'T',
        status: 'ACTIVE',
        position: 0,
        estimatedWaitSeconds: 0,
        pollAfterSeconds: 20,
        pass: { token: 'PASS', expiresAt: '2030-01-01T00:01:30.000Z' },
      }),
    );

  given('an ended token', () => 'T')
    .when('its view is built', (token) => [endedView(token, 'EXPIRED'), endedView(token, 'COMPLETED')])
    .then('nothing is left to wait for: position, wait and poll interval are 0', (views) =>
      expect(views).to.deep.equal([
        { token: 'T', status: 'EXPIRED', position: 0, estimatedWaitSeconds: 0, pollAfterSeconds: 0 },
        { token: 'T', status: 'COMPLETED', position: 0, estimatedWaitSeconds: 0, pollAfterSeconds: 0 },
      ]),
    );
});

describe('queue rules: the poll throttle', () => {
  const advisedMs = 10_000;

  given('a token never polled', () => null)
    .when('it polls', (last) => pollRetryAfterSeconds(last, 0, T0))
    .then('it is answered', (r) => expect(r).to.equal(null));

  given('a token told to poll again in 10 s', () => T0)
    .when('it polls after exactly half of that (jitter is tolerated)', (last) => pollRetryAfterSeconds(last, advisedMs, last + 5_000))
    .then('it is answered', (r) => expect(r).to.equal(null));

  given('a token told to poll again in 10 s', () => T0)
    .when('it polls after 4.9 s', (last) => pollRetryAfterSeconds(last, advisedMs, last + 4_900))
    .then('it is refused, and told to retry when the advised time comes (6 s)', (r) => expect(r).to.equal(6));

  given('a token told to poll again in 1 s', () => T0)
    .when('it polls after 400 ms', (last) => pollRetryAfterSeconds(last, 1_000, last + 400))
    .then('it is refused with a Retry-After of at least 1 s', (r) => expect(r).to.equal(1));

  given('a token told to poll again in 10 s', () => T0)
    .when('it polls late', (last) => pollRetryAfterSeconds(last, advisedMs, last + 60_000))
    .then('it is answered', (r) => expect(r).to.equal(null));
});

describe('queue rules: the flow in force', () => {
  const configured = { maxActive: 1000, admitPerSecond: 100 };

  given('no operator override', () => ({ maxActive: null, admitPerSecond: null }))
    .when('the flow is read', (o) => effectiveFlow(configured, o))
    .then('it is the configured one', (f) => expect(f).to.deep.equal(configured));

  given('an operator override of the cap only', () => ({ maxActive: 5, admitPerSecond: null }))
    .when('the flow is read', (o) => effectiveFlow(configured, o))
    .then('the cap is overridden, the rate configured', (f) => expect(f).to.deep.equal({ maxActive: 5, admitPerSecond: 100 }));

  given('overrides of both', () => ({ maxActive: 5, admitPerSecond: 3 }))
    .when('a PATCH sends only maxActive: null', (o) => nextOverrides(o, { maxActive: null }))
    .then('the cap returns to the configured value and the rate keeps its override', (o) => expect(o).to.deep.equal({ maxActive: null, admitPerSecond: 3 }));
});
