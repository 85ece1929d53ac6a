import { expect } from 'chai';
import fc from 'fast-check';
import { SeqRank } from '../../src/modules/queue/domain/seq-rank';

/** Unit test of the position index against a plain sorted list (the model). */
describe('queue: SeqRank (positions without scanning)', () => {
  it('counts smaller members exactly like a sorted list, through growth, removals from anywhere, emptying and compaction', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), gap: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5000 })) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('removeHead' as const), count: fc.integer({ min: 1, max: 50 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 400 }), (ops) => {
        const rank = new SeqRank(16);
        let members: number[] = [];
        let next = 1;
        for (const o of ops) {
          if (o.kind === 'add') {
            next += o.gap;
            rank.add(next);
            members.push(next);
          } else if (o.kind === 'remove' && members.length > 0) {
            const [gone] = members.splice(o.pick % members.length, 1);
            rank.remove(gone);
          } else if (o.kind === 'removeHead') {
            for (const gone of members.slice(0, o.count)) rank.remove(gone);
            members = members.slice(o.count);
            if (members.length > 0) rank.compact(members[0]);
          }
          expect(rank.size).to.equal(members.length);
        }
        members.forEach((m, i) => {
          expect(rank.has(m)).to.equal(true);
          expect(rank.countBefore(m)).to.equal(i);
        });
        expect(rank.countBefore(next + 1)).to.equal(members.length);
      }),
      { numRuns: 300 },
    );
  });

  it('handles 100 000 members and reports the last one’s place', () => {
    const rank = new SeqRank();
    for (let s = 1; s <= 100_000; s++) rank.add(s);
    for (let s = 1; s <= 100_000; s += 2) rank.remove(s);
    rank.compact(2);
    expect(rank.countBefore(100_000)).to.equal(49_999);
    for (let s = 2; s <= 60_000; s += 2) rank.remove(s);
    rank.compact(60_002);
    expect(rank.countBefore(100_000)).to.equal(19_999);
    expect(rank.countBefore(60_002)).to.equal(0);
  });
});
