import { expect } from 'chai';
import { FakeGateway } from '../../src/chaos/fake-gateway';
import { FakeSink } from '../../src/chaos/fake-sink';
import { Prng } from '../../src/chaos/prng';
import type { GatewayMode, SinkMode } from '../../src/chaos/schedule';

/** The fakes keep the contracts the payment and data-platform modules rely on, whatever phase they are in. */
describe('chaos: the fake payment gateway and sink', () => {
  let mode: GatewayMode = 'ok';
  let gateway: FakeGateway;
  let url: string;
  beforeEach(async () => {
    mode = 'ok';
    gateway = new FakeGateway(() => mode, new Prng(1), 50);
    url = await gateway.listen();
  });
  afterEach(() => gateway.close());

  const charge = (attemptId: string, amount = 1000) =>
    fetch(`${url}/charges`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ attemptId, userId: 7, amount }) });
  const status = async (attemptId: string) => {
    const res = await fetch(`${url}/charges/${attemptId}`);
    return { status: res.status, body: (await res.json()) as any };
  };

  it('charges an attempt once however often it is posted, and tells its status', async () => {
    let approved = 0;
    for (let i = 0; i < 20; i += 1) {
      const res = await charge(`a-${i}`);
      const body: any = await res.json();
      if (res.status === 200) approved += 1;
      expect(res.status === 200 ? body.approved : res.status).to.be.oneOf([true, 402]);
    }
    expect(approved).to.be.greaterThan(15);
    const first: any = await (await charge('a-0')).json();
    expect(gateway.charges.get('a-0')).to.include({ posts: 2, userId: 7, amount: 1000 });
    expect(gateway.counts.approved + gateway.counts.declined).to.equal(20);
    if (first.approved) expect(await status('a-0')).to.deep.equal({ status: 200, body: { status: 'APPROVED', gatewayRef: first.gatewayRef } });
    expect((await status('never-sent')).status).to.equal(404);
  });

  it('slow: PENDING until it decides, well past the timeout, then approved', async () => {
    mode = 'slow';
    const started = Date.now();
    const answer = charge('s-1');
    await new Promise((r) => setTimeout(r, 20));
    expect((await status('s-1')).body).to.deep.equal({ status: 'PENDING' });
    const res = await answer;
    expect(Date.now() - started).to.be.at.least(100);
    expect(((await res.json()) as any).approved).to.equal(true);
    expect((await status('s-1')).body.status).to.equal('APPROVED');
  });

  it('error: a refused charge is not taken; charge-then-timeout: taken at once, answered late', async () => {
    mode = 'error';
    const refused: string[] = [];
    for (let i = 0; i < 10; i += 1) if ((await charge(`e-${i}`)).status === 503) refused.push(`e-${i}`);
    expect(refused.length).to.be.greaterThan(3);
    for (const id of refused) expect(gateway.charges.has(id)).to.equal(false);
    mode = 'charge-then-timeout';
    const started = Date.now();
    const late = Promise.all(Array.from({ length: 6 }, (_, i) => charge(`t-${i}`)));
    await new Promise((r) => setTimeout(r, 20));
    expect([...gateway.charges.values()].filter((c) => c.attemptId.startsWith('t-')).every((c) => c.state !== 'PENDING')).to.equal(true);
    await late;
    expect(Date.now() - started).to.be.at.least(150);
    expect(gateway.counts.heldPastTimeout).to.be.greaterThan(0);
  });

  it('the sink takes, refuses or never answers, and counts what it received', async () => {
    let sinkMode: SinkMode = 'ok';
    const sink = new FakeSink(() => sinkMode);
    const sinkUrl = await sink.listen();
    try {
      const post = () =>
        fetch(sinkUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ reservationId: 5, userId: 7, amount: 30_000 }),
          signal: AbortSignal.timeout(200),
        }).then(
          (r) => r.status,
          () => 'timeout',
        );
      expect(await post()).to.equal(200);
      sinkMode = 'fail';
      expect(await post()).to.equal(503);
      sinkMode = 'hang';
      expect(await post()).to.equal('timeout');
      expect(sink.records.get(5)).to.deep.equal({ reservationId: 5, userId: 7, amount: 30_000, posts: 3, accepted: 1 });
    } finally {
      await sink.close();
    }
  });
});
