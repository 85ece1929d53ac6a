import { expect } from 'chai';
import { type BenchOptions, parseOptions } from '../../src/bench/lib/options';

const parse = (...argv: string[]) => parseOptions(argv, '/repo/docs/performance.md') as BenchOptions;

describe('bench command line', () => {
  it('runs every scenario at full size and publishes to docs/performance.md by default', () => {
    const o = parse();
    expect([...o.only]).to.deep.equal(['login', 'status', 'rush', 'distinct', 'journey', 'onsale']);
    expect(o).to.include({ quick: false, durationSeconds: 10, users: 10_000, waitingLarge: 100_000, reportPath: '/repo/docs/performance.md' });
  });

  it('--quick shrinks the sizes, and a size flag still wins over it', () => {
    expect(parse('--quick')).to.include({ quick: true, durationSeconds: 4, users: 2_000, journeyUsers: 500 });
    expect(parse('--quick', '--journey=1000', '--users=4000')).to.include({ journeyUsers: 1000, users: 4000 });
  });

  it('a partial run (--only) writes its report to the temp directory unless --report says where', () => {
    const partial = parse('--only=distinct,journey');
    expect([...partial.only]).to.deep.equal(['distinct', 'journey']);
    expect(partial.reportPath).to.not.equal('/repo/docs/performance.md');
    expect(parse('--only=rush', '--report=/tmp/r.md').reportPath).to.equal('/tmp/r.md');
  });

  it('--help asks for the usage instead of starting a run', () => {
    expect(parseOptions(['--help'], 'x')).to.equal('help');
    expect(parseOptions(['-h'], 'x')).to.equal('help');
  });

  it('rejects unknown flags, stray arguments, unknown scenarios and sizes that are not positive integers', () => {
    expect(() => parse('--qiuck')).to.throw(/qiuck/);
    expect(() => parse('quick')).to.throw(/unexpected argument quick/);
    expect(() => parse('--only=rush,nap')).to.throw(/unknown scenario nap/);
    expect(() => parse('--users=0')).to.throw(/--users must be a positive integer/);
    expect(() => parse('--duration=1.5')).to.throw(/--duration must be a positive integer/);
    expect(() => parse('--journey=7000')).to.throw(/--journey must be at most 5000/);
  });

  it('--queue-store=redis|both adds the split topology on PostgreSQL with Redis, with 1 and --queue-replicas queue processes', () => {
    expect(parse()).to.include({ queueStore: 'memory', needsPostgres: false });
    expect(parse('--queue-store=both')).to.include({ queueStore: 'both', queueReplicas: 2, redisUrl: 'redis://127.0.0.1:6379', needsPostgres: true });
    expect(parse('--queue-store=redis', '--queue-replicas=3')).to.include({ queueReplicas: 3, needsPostgres: true });
    expect(() => parse('--queue-store=disk')).to.throw(/--queue-store must be one of/);
    expect(() => parse('--queue-replicas=2')).to.throw(/need --queue-store=redis/);
    expect(() => parse('--queue-store=redis', '--queue-replicas=1')).to.throw(/--queue-replicas must be an integer from 2/);
    expect(() => parse('--queue-store=redis', '--redis-url=http://x')).to.throw(/--redis-url must be/);
  });
});
