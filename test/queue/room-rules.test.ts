import { randomInt } from 'node:crypto';
import { expect } from 'chai';
import {
  exceedsRoomLimit,
  initialRoomState,
  isDueToOpen,
  joinGoesToPreQueue,
  preQueuePollAfterSeconds,
  roomFlow,
  shuffled,
} from '../../src/modules/queue/domain/room';

describe('queue: room rules (domain/room.ts)', () => {
  describe('the opening’s shuffle', () => {
    it('given 4 items and crypto.randomInt, when shuffled 24 000 times, then each of the 24 orders comes up about 1 000 times (chi-square)', () => {
      const counts = new Map<string, number>();
      const runs = 24_000;
      for (let i = 0; i < runs; i++) {
        const key = shuffled([1, 2, 3, 4], randomInt).join('');
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      expect(counts.size).to.equal(24);
      const expected = runs / 24;
      const chi2 = [...counts.values()].reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
      // 23 degrees of freedom: P(chi2 > 60) < 1e-4; a biased shuffle (e.g. j drawn from 0…n−1 every step) scores in the hundreds.
      expect(chi2).to.be.below(60);
    });

    it('keeps every item exactly once and leaves the input as it was', () => {
      const input = Array.from({ length: 1000 }, (_, i) => i);
      const out = shuffled(input, randomInt);
      expect([...out].sort((a, b) => a - b)).to.deep.equal(input);
      expect(input[0]).to.equal(0);
      expect(out).to.not.deep.equal(input);
    });

    it('a biased draw shows: the naive swap-with-any-position shuffle fails the same chi-square test', () => {
      const naive = (items: number[]) => {
        const out = items.slice();
        for (let i = 0; i < out.length; i++) {
          const j = randomInt(out.length);
          [out[i], out[j]] = [out[j], out[i]];
        }
        return out;
      };
      const counts = new Map<string, number>();
      for (let i = 0; i < 24_000; i++) {
        const key = naive([1, 2, 3, 4]).join('');
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const chi2 = [...counts.values()].reduce((s, c) => s + (c - 1000) ** 2 / 1000, 0);
      expect(chi2).to.be.above(60);
    });
  });

  it('a room opening later starts SCHEDULED and takes pre-queue joins until its opening has placed them', () => {
    expect(initialRoomState(2000, 1000)).to.equal('SCHEDULED');
    expect(initialRoomState(1000, 1000)).to.equal('OPEN');
    expect(initialRoomState(null, 1000)).to.equal('OPEN');
    expect(isDueToOpen({ state: 'SCHEDULED', opensAtMs: 2000 }, 1999)).to.equal(false);
    expect(isDueToOpen({ state: 'SCHEDULED', opensAtMs: 2000 }, 2000)).to.equal(true);
    expect(isDueToOpen({ state: 'OPENING', opensAtMs: 2000 }, 3000)).to.equal(false);
    expect(['SCHEDULED', 'OPENING', 'OPEN', 'CLOSED'].map((state) => joinGoesToPreQueue({ state: state as 'OPEN' }))).to.deep.equal([true, true, false, false]);
  });

  it('the room limit counts distinct rooms, and a room already held does not count again', () => {
    expect(exceedsRoomLimit([1, 2], 3, 3)).to.equal(false);
    expect(exceedsRoomLimit([1, 2, 3], 4, 3)).to.equal(true);
    expect(exceedsRoomLimit([1, 2, 3], 2, 3)).to.equal(false);
    expect(exceedsRoomLimit([1, 1, 2], 3, 3)).to.equal(false);
  });

  it('paused, a room lets nobody new in (its cap is 0); the pre-queue polls again at the opening, at most every 20 s', () => {
    expect(roomFlow({ maxActive: 10, admitPerSecond: 5, paused: true })).to.deep.equal({ maxActive: 0, admitPerSecond: 5 });
    expect(roomFlow({ maxActive: 10, admitPerSecond: 5, paused: false })).to.deep.equal({ maxActive: 10, admitPerSecond: 5 });
    expect(preQueuePollAfterSeconds(61_000, 0)).to.equal(20);
    expect(preQueuePollAfterSeconds(3_500, 0)).to.equal(4);
    expect(preQueuePollAfterSeconds(1_000, 5_000)).to.equal(1);
  });
});
