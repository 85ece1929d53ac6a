import { expect } from 'chai';
import { parseOptions, replayCommand } from '../../src/chaos/options';
import { Prng } from '../../src/chaos/prng';
import { describeSchedule, faultSchedule, modeAt } from '../../src/chaos/schedule';

describe('chaos: the seeded fault schedule', () => {
  it('mulberry32 gives the same numbers for a seed on every run (pinned: a change of generator would change every recorded schedule)', () => {
    const rng = new Prng(4242);
    const first = [rng.next(), rng.next(), rng.next()].map((x) => Math.floor(x * 1e9));
    expect(first).to.deep.equal(
      (() => {
        const again = new Prng(4242);
        return [again.next(), again.next(), again.next()].map((x) => Math.floor(x * 1e9));
      })(),
    );
    expect(first).to.deep.equal([PINNED[0], PINNED[1], PINNED[2]]);
    for (const x of first) expect(x).to.be.within(0, 1e9);
  });

  it('the same seed gives the same schedule, down to the printed text; another seed another', () => {
    const a = faultSchedule(4242, 'split', 10, 80_000);
    const b = faultSchedule(4242, 'split', 10, 80_000);
    expect(a).to.deep.equal(b);
    expect(describeSchedule(a)).to.deep.equal(describeSchedule(b));
    expect(faultSchedule(4243, 'split', 10, 80_000)).to.not.deep.equal(a);
  });

  it('puts one kill in each slot of the window, never two closer than a fifth of a slot', () => {
    for (const seed of [1, 2, 3, 4242, 99_999]) {
      const s = faultSchedule(seed, 'monolith', 12, 60_000);
      const slot = 60_000 / 12;
      expect(s.kills).to.have.length(12);
      s.kills.forEach((k, i) => {
        expect(k.atMs).to.be.within(i * slot + 0.1 * slot - 1, (i + 1) * slot - 0.1 * slot + 1);
        expect(k.target).to.equal('server');
        expect(k.restartAfterMs).to.be.within(0, 1500);
      });
      for (let i = 1; i < s.kills.length; i += 1) expect(s.kills[i].atMs - s.kills[i - 1].atMs).to.be.at.least(slot / 5 - 1);
    }
  });

  it('in the split topology hits every service and the supervisor over enough kills', () => {
    const targets = new Set(faultSchedule(7, 'split', 200, 1_600_000).kills.map((k) => k.target));
    expect([...targets].sort()).to.deep.equal(['auth', 'concert', 'data-platform', 'notification', 'payment', 'queue', 'reservation', 'supervisor']);
  });

  it('tiles the window with gateway and sink phases, calm in the last second and after', () => {
    const s = faultSchedule(4242, 'monolith', 10, 60_000);
    for (const phases of [s.gateway, s.sink]) {
      expect(phases[0].fromMs).to.equal(0);
      for (let i = 1; i < phases.length; i += 1) {
        expect(phases[i].fromMs).to.equal(phases[i - 1].toMs);
        // Two phases of one mode in a row are merged (the calm tail excepted).
        if (i < phases.length - 1) expect(phases[i].mode).to.not.equal(phases[i - 1].mode);
      }
      expect(phases[phases.length - 1]).to.deep.include({ fromMs: 59_000, toMs: Number.POSITIVE_INFINITY, mode: 'ok' });
      expect(modeAt(phases, 59_500)).to.equal('ok');
      expect(modeAt(phases, 10_000_000)).to.equal('ok');
      expect(modeAt(phases, -1)).to.equal('ok');
    }
    // Over a long window every mode occurs.
    const long = faultSchedule(4242, 'monolith', 10, 600_000);
    expect(new Set(long.gateway.map((p) => p.mode))).to.have.all.keys('ok', 'slow', 'error', 'charge-then-timeout');
    expect(new Set(long.sink.map((p) => p.mode))).to.have.all.keys('ok', 'fail', 'hang');
  });

  it('draws kills, gateway and sink from separate streams: more kills leave the gateway and sink phases as they were', () => {
    const few = faultSchedule(4242, 'monolith', 3, 60_000);
    const many = faultSchedule(4242, 'monolith', 30, 60_000);
    expect(many.gateway).to.deep.equal(few.gateway);
    expect(many.sink).to.deep.equal(few.sink);
  });

  it('with several queue replicas each is a target of its own; Redis flushes fall in the first nine tenths, apart from the kills', () => {
    const plain = faultSchedule(4242, 'split', 40, 320_000);
    const shaped = faultSchedule(4242, { topology: 'split', queueReplicas: 2, redisFlushes: 8 }, 40, 320_000);
    const targets = new Set(faultSchedule(7, { topology: 'split', queueReplicas: 2, redisFlushes: 0 }, 200, 1_600_000).kills.map((k) => k.target));
    expect([...targets].sort()).to.deep.equal([
      'auth',
      'concert',
      'data-platform',
      'notification',
      'payment',
      'queue-1',
      'queue-2',
      'reservation',
      'supervisor',
    ]);
    // The same instants: only the pick among targets differs.
    expect(shaped.kills.map((k) => k.atMs)).to.deep.equal(plain.kills.map((k) => k.atMs));
    expect(shaped.gateway).to.deep.equal(plain.gateway);
    expect(plain.redisFlushes).to.deep.equal([]);
    expect(shaped.redisFlushes).to.have.length(8);
    for (const at of shaped.redisFlushes) expect(at).to.be.within(0, 288_000);
    expect([...shaped.redisFlushes].sort((a, b) => a - b)).to.deep.equal(shaped.redisFlushes);
    expect(faultSchedule(4242, { topology: 'split', queueReplicas: 2, redisFlushes: 8 }, 40, 320_000)).to.deep.equal(shaped);
    expect(describeSchedule(shaped).join('\n')).to.match(/queue Redis state deleted at: (\d+\.\d s, ){7}\d+\.\d s/);
  });

  it('the replay command parses back to the same run', () => {
    const o = parseOptions(['--seed', '4242', '--kills', '10', '--topology', 'split']);
    if (o === 'help') throw new Error('help');
    expect(o).to.include({ seed: 4242, kills: 10, topology: 'split', db: 'postgres', durationSeconds: 80, users: 30 });
    const again = parseOptions(replayCommand(o).split(' ').slice(4));
    if (again === 'help') throw new Error('help');
    expect({ ...again, reportPath: '' }).to.deep.equal({ ...o, reportPath: '' });
    expect(() => parseOptions(['--topology', 'split', '--db', 'sqlite'])).to.throw(/PostgreSQL/);
    expect(() => parseOptions(['--kills', '-1'])).to.throw(/--kills/);
    const redis = parseOptions(['--seed', '5', '--kills', '20', '--topology', 'split', '--queue-store', 'redis', '--queue-replicas', '2']);
    if (redis === 'help') throw new Error('help');
    expect(redis).to.include({ queueStore: 'redis', queueReplicas: 2, redisFlushes: 4 });
    const redisAgain = parseOptions(replayCommand(redis).split(' ').slice(4));
    if (redisAgain === 'help') throw new Error('help');
    expect({ ...redisAgain, reportPath: '' }).to.deep.equal({ ...redis, reportPath: '' });
    expect(() => parseOptions(['--queue-replicas', '2', '--queue-store', 'redis'])).to.throw(/--topology split/);
    expect(() => parseOptions(['--topology', 'split', '--queue-replicas', '2'])).to.throw(/--queue-store redis/);
    expect(() => parseOptions(['--redis-flushes', '2'])).to.throw(/--queue-store redis/);
    expect(() => parseOptions(['--queue-store', 'disk'])).to.throw(/memory or redis/);
  });
});

/** mulberry32(4242)'s first three outputs × 1e9, floored, as the reference implementation (bryc's JavaScript) gives them. */
const PINNED = [546706133, 278608789, 931236917];
