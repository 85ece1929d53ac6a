import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { EventEnvelope } from '../../src/contracts/events';

/**
 * The NATS JetStream server the broker tests use: TEST_NATS_URL (`.ci/run` sets it to the local
 * server; unset, those tests are skipped and the run says so). Every test gets a namespace of its
 * own, so its stream and consumers are its own; they are deleted when the run ends.
 */
export const natsUrl = process.env.TEST_NATS_URL;

const run = `tk${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
let namespaces = 0;
const created = new Set<string>();
let skippedTests = 0;

/** A BUS_NAMESPACE nobody has used. */
export function freshNamespace(): string {
  namespaces += 1;
  const name = `${run}_${namespaces}`;
  created.add(name);
  return name;
}

/** Skips a suite without a broker (and counts it for the run's summary). */
export function requireBroker(context: Mocha.Context): void {
  if (natsUrl) return;
  // CI asks for every test: there a missing broker is a failure, not a reason to skip.
  if (process.env.TEST_REQUIRE_BROKER === '1') throw new Error('TEST_REQUIRE_BROKER=1 but TEST_NATS_URL is not set');
  // Called from a suite's before hook: the hook's suite holds the tests skipped.
  skippedTests += context.test?.parent?.total() ?? 1;
  context.skip();
}

/** Deletes every stream this run created; says plainly what was not run. */
export async function deleteCreatedStreams(): Promise<void> {
  if (!natsUrl) {
    if (skippedTests > 0) console.log(`\nNATS JetStream tests NOT run (${skippedTests}): set TEST_NATS_URL=nats://127.0.0.1:4222 to run them.`);
    return;
  }
  if (created.size === 0) return;
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of created) await jsm.streams.delete(name).catch(() => undefined);
    created.clear();
  } finally {
    await nc.close();
  }
}

/** A `reservation.held` envelope with a fresh id, as a relay would hand it to a transport. */
export function heldEvent(reservationId: number, seatId = reservationId): EventEnvelope {
  return {
    id: randomUUID(),
    type: 'reservation.held',
    version: 1,
    occurredAt: new Date().toISOString(),
    aggregateId: String(reservationId),
    correlationId: randomUUID(),
    causationId: null,
    payload: { reservationId, userId: 1, scheduleId: 1, seatId, price: 1000, expiresAt: new Date(Date.now() + 60_000).toISOString() },
  } as EventEnvelope;
}
