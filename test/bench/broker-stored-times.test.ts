import { expect } from 'chai';
import { brokerStoredTimesSince } from '../../src/bench/lib/bus';
import { JetStreamTransport } from '../../src/platform/bus/jetstream-transport';
import { createLogger } from '../../src/platform/logging/logger';
import { freshNamespace, heldEvent as held, natsUrl, requireBroker } from '../support/test-broker';

describe("bench: when the broker stored each event (the relay-to-handled lag's start)", () => {
  before(function () {
    requireBroker(this);
  });

  it('reads back, by event id, the broker time of every event the relay published since a moment, and none from before it', async () => {
    const namespace = freshNamespace();
    const transport = await JetStreamTransport.connect({ url: natsUrl!, namespace, publishers: ['reservation'], retryBaseMs: 20 }, createLogger('silent'));
    try {
      const before = held(1);
      await transport.publish('reservation', [before]);
      await new Promise((r) => setTimeout(r, 50));
      const since = Date.now();
      const events = Array.from({ length: 1500 }, (_, i) => held(i + 2));
      // More than one read's worth (1000), in the relay's batches.
      for (let i = 0; i < events.length; i += 200) await transport.publish('reservation', events.slice(i, i + 200));
      const until = Date.now();
      const stored = await brokerStoredTimesSince({ url: natsUrl!, stream: transport.streamName }, since);
      expect([...stored.keys()].sort()).to.deep.equal(events.map((e) => e.id).sort());
      for (const at of stored.values()) expect(at).to.be.within(since - 5, until + 5);
    } finally {
      await transport.close();
    }
  });
});
