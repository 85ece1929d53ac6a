import path from 'node:path';
import { expect } from 'chai';
import type { EventEnvelope, EventType } from '../../src/contracts/events';
import { Changes } from '../../src/platform/bus/changes';
import { EventBus } from '../../src/platform/bus/event-bus';
import { envelopeFromRow, type Outbox } from '../../src/platform/bus/outbox';
import { type EventHandler, subscribe } from '../../src/platform/bus/subscription';
import { InProcessTransport } from '../../src/platform/bus/transport';
import { ManualClock } from '../../src/platform/clock/clock';
import { runInContext } from '../../src/platform/context/request-context';
import { migrationsRoot, type StoredDatabase, type Transaction } from '../../src/platform/db/module-database';
import { openModuleDatabase } from '../../src/platform/db/open-database';
import { createLogger } from '../../src/platform/logging/logger';
import { eventually, tempDataDir } from '../support/test-app';
import { onPostgres, storageFor } from '../support/test-backend';

/** A bus over real SQLite databases: a publisher ("reservation") and two subscribing modules. */
class BusRig {
  readonly clock = new ManualClock();
  readonly transport = new InProcessTransport();
  readonly bus: EventBus;
  readonly dbs: Record<'reservation' | 'concert' | 'payment', StoredDatabase>;
  readonly outbox: Outbox;

  constructor(dataDir = ':memory:', maxAttempts = 4) {
    this.bus = new EventBus(this.transport, this.clock, createLogger('silent'), { maxAttempts, retryBaseMs: 100, sweepIntervalMs: 60_000 });
    // One system for the three (a restart test gives the same directory again, so the same system).
    const storage = storageFor(dataDir);
    this.dbs = {
      reservation: openModuleDatabase('reservation', storage),
      concert: openModuleDatabase('concert', storage),
      payment: openModuleDatabase('payment', storage),
    };
    this.outbox = this.bus.attach(this.dbs.reservation);
    this.bus.attach(this.dbs.concert);
    this.bus.attach(this.dbs.payment);
  }

  async migrate(): Promise<this> {
    for (const db of Object.values(this.dbs)) {
      await db.migrate([{ directory: path.join(migrationsRoot(), 'platform'), tableName: 'platform_migrations' }]);
      // As a platform does after migrating: this rig is each module's only process, so it leads.
      await db.leadership.start();
      if (!(await db.knex.schema.hasTable('effects'))) {
        await db.knex.schema.createTable('effects', (t) => {
          t.increments('id');
          t.string('subscriber');
          t.string('event_id');
          t.integer('reservation_id');
          t.string('type');
        });
      }
      if (db.moduleName === 'reservation' && !(await db.knex.schema.hasTable('state'))) {
        await db.knex.schema.createTable('state', (t) => t.integer('reservation_id'));
      }
    }
    return this;
  }

  /** Changes state and publishes in one transaction. */
  async hold(reservationId: number, options: { rollback?: boolean; type?: EventType } = {}): Promise<void> {
    await this.dbs.reservation
      .transaction(async (trx) => {
        await trx('state').insert({ reservation_id: reservationId });
        await this.outbox.publish(trx, 'reservation.held', reservationId, {
          reservationId,
          userId: 1,
          scheduleId: 1,
          seatId: reservationId,
          price: 1000,
          expiresAt: new Date(0).toISOString(),
        });
        if (options.rollback) throw new Error('rolled back on purpose');
      })
      .catch((err: Error) => {
        if (!options.rollback) throw err;
      });
  }

  async effects(module: 'concert' | 'payment', subscriber?: string): Promise<Array<{ subscriber: string; event_id: string; reservation_id: number }>> {
    const q = this.dbs[module].knex('effects').orderBy('id');
    return subscriber ? q.where({ subscriber }) : q;
  }

  async close(): Promise<void> {
    await this.bus.stop();
    for (const db of Object.values(this.dbs)) await db.close();
  }
}

function recorder(subscriber: string, behaviour: { failTimes?: (e: EventEnvelope<'reservation.held'>) => number } = {}): EventHandler<'reservation.held'> {
  const failures = new Map<string, number>();
  return {
    async handle(event, trx: Transaction) {
      await trx('effects').insert({ subscriber, event_id: event.id, reservation_id: event.payload.reservationId, type: event.type });
      const allowed = behaviour.failTimes?.(event) ?? 0;
      const seen = failures.get(event.id) ?? 0;
      if (seen < allowed) {
        failures.set(event.id, seen + 1);
        throw new Error(`${subscriber} fails on purpose (${seen + 1}/${allowed})`);
      }
    },
  };
}

describe('outbox event bus', () => {
  let rig: BusRig;
  let closed: BusRig | undefined;
  afterEach(async () => {
    // Each test's own rig, closed once: a test without one must not close the previous test's again (PostgreSQL refuses).
    if (!rig || rig === closed) return;
    closed = rig;
    await rig.close();
  });

  it('delivers an event committed with its state change, right after commit', async () => {
    rig = await new BusRig().migrate();
    rig.bus.subscribe('concert', subscribe('reservation.held', 'seat-map', recorder('seat-map')));
    rig.bus.start();
    // Woken by the subscriber's inbox as soon as it has handled the event: no poll within the wait.
    const handled = rig.bus.changes.waitUntil('concert', 7, async () => ((await rig.effects('concert')).length > 0 ? true : null), {
      timeoutMs: 2000,
      pollMs: 60_000,
    });
    await rig.hold(7);
    expect(await handled).to.equal(true);
    expect(await rig.effects('concert')).to.have.length(1);
    // The relay marks the event dispatched once its subscribers have taken it: just after they are done.
    await eventually(async () => (await rig.dbs.reservation.knex('outbox'))[0].dispatched_at_ms !== null, undefined, 2000);
  });

  it('a rush of waits on the shutdown signal (more than Node’s 10 listeners) raises no leak warning, and shutdown ends them all', async () => {
    const shutdown = new AbortController();
    const changes = new Changes(shutdown.signal);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const waits = Array.from({ length: 50 }, (_, i) => changes.waitUntil('payment', i, async () => null, { timeoutMs: 10_000 }));
      await new Promise((r) => setTimeout(r, 20));
      shutdown.abort();
      expect(await Promise.all(waits)).to.deep.equal(Array(50).fill(null));
      await new Promise((r) => setImmediate(r));
      expect(warnings).to.not.include('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('hands a subscriber with a filter only the events it takes, and records no inbox row for the rest', async () => {
    rig = await new BusRig().migrate();
    rig.bus.subscribe('concert', subscribe('reservation.held', 'even-seats', recorder('even-seats'), { only: (p) => p.seatId % 2 === 0 }));
    rig.bus.subscribe('concert', subscribe('reservation.held', 'odd-seats', recorder('odd-seats'), { only: (p) => p.seatId % 2 === 1 }));
    rig.bus.start();
    for (let id = 1; id <= 5; id += 1) await rig.hold(id);
    await rig.bus.drain();
    expect((await rig.effects('concert', 'even-seats')).map((e) => e.reservation_id)).to.deep.equal([2, 4]);
    expect((await rig.effects('concert', 'odd-seats')).map((e) => e.reservation_id)).to.deep.equal([1, 3, 5]);
    const inbox: Array<{ subscriber: string }> = await rig.dbs.concert.knex('inbox').select('subscriber');
    expect(inbox.filter((r) => r.subscriber === 'concert.even-seats')).to.have.length(2);
    expect(inbox.filter((r) => r.subscriber === 'concert.odd-seats')).to.have.length(3);
  });

  it('carries the envelope fields, with correlation and causation from the context', async () => {
    rig = await new BusRig().migrate();
    let seen: EventEnvelope<'reservation.held'> | null = null;
    rig.bus.subscribe(
      'concert',
      subscribe('reservation.held', 'seat-map', {
        handle: async (e) => {
          seen = e;
        },
      }),
    );
    rig.bus.start();
    await runInContext({ correlationId: 'corr-1', causationId: 'cause-1' }, () => rig.hold(3));
    await rig.bus.drain();
    expect(seen).to.include({ type: 'reservation.held', version: 1, aggregateId: '3', correlationId: 'corr-1', causationId: 'cause-1' });
    expect(seen!.id).to.match(/^[0-9a-f-]{36}$/);
    expect(Date.parse(seen!.occurredAt)).to.equal(rig.clock.now());
  });

  it('publishes nothing when the transaction rolls back', async () => {
    rig = await new BusRig().migrate();
    rig.bus.subscribe('concert', subscribe('reservation.held', 'seat-map', recorder('seat-map')));
    rig.bus.start();
    await rig.hold(1, { rollback: true });
    await rig.bus.drain();
    expect(await rig.dbs.reservation.knex('outbox')).to.have.length(0);
    expect(await rig.dbs.reservation.knex('state')).to.have.length(0);
    expect(await rig.effects('concert')).to.have.length(0);
  });

  it('delivers after a restart an event that a crash left undelivered', async () => {
    const dir = tempDataDir();
    rig = await new BusRig(dir).migrate();
    // Relay never started: the process "dies" right after the commit.
    await rig.hold(11);
    await rig.close();

    rig = await new BusRig(dir).migrate();
    rig.bus.subscribe('concert', subscribe('reservation.held', 'seat-map', recorder('seat-map')));
    rig.bus.start();
    await rig.bus.drain();
    const effects = await rig.effects('concert');
    expect(effects.map((e) => e.reservation_id)).to.deep.equal([11]);
  });

  it('has one effect when the same event is delivered twice', async () => {
    rig = await new BusRig().migrate();
    rig.bus.subscribe('concert', subscribe('reservation.held', 'seat-map', recorder('seat-map')));
    rig.bus.start();
    await rig.hold(5);
    await rig.bus.drain();
    // Redelivery, as after a crash between handing over and marking the row dispatched.
    await rig.dbs.reservation.knex('outbox').update({ dispatched_at_ms: null });
    await rig.bus.drain();
    const [row] = await rig.dbs.reservation.knex('outbox');
    expect(row.dispatched_at_ms).to.not.equal(null);
    expect(await rig.effects('concert')).to.have.length(1);
  });

  it('has one effect per event when a batch repeats events already handled, or repeats one inside itself', async () => {
    rig = await new BusRig().migrate();
    rig.bus.subscribe('concert', subscribe('reservation.held', 'seat-map', recorder('seat-map')));
    // The relay is not started: the test hands events over itself.
    for (let id = 1; id <= 6; id += 1) await rig.hold(id);
    const envelopes = (await rig.dbs.reservation.knex('outbox').orderBy('seq')).map(envelopeFromRow);
    await rig.transport.publish('reservation', envelopes.slice(0, 3));
    // Events 1–3 were handled; 4–6 are new, and 5 comes twice in the same hand-over.
    await rig.transport.publish('reservation', [...envelopes, envelopes[4]]);
    expect((await rig.effects('concert')).map((e) => e.reservation_id)).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('keeps a throwing subscriber from stopping the other subscribers of the same event', async () => {
    rig = await new BusRig().migrate();
    rig.bus.subscribe('concert', subscribe('reservation.held', 'always-fails', recorder('always-fails', { failTimes: () => 99 })));
    rig.bus.subscribe('concert', subscribe('reservation.held', 'seat-map', recorder('seat-map')));
    rig.bus.subscribe('payment', subscribe('reservation.held', 'copy', recorder('copy')));
    rig.bus.start();
    await rig.hold(1);
    await rig.hold(2);
    await rig.bus.drain();
    expect((await rig.effects('concert', 'seat-map')).map((e) => e.reservation_id)).to.deep.equal([1, 2]);
    expect((await rig.effects('payment', 'copy')).map((e) => e.reservation_id)).to.deep.equal([1, 2]);
    // The failing handler's writes were rolled back with it.
    expect(await rig.effects('concert', 'always-fails')).to.have.length(0);
    const stats = await rig.bus.stats();
    expect(stats.find((s) => s.module === 'concert')!.deliveriesRetrying).to.equal(2);
  });

  it('retries with growing backoff, parks a dead letter after the last attempt, and replays it once', async () => {
    rig = await new BusRig(':memory:', 3).migrate();
    let broken = true;
    const handler: EventHandler<'reservation.held'> = {
      async handle(event, trx) {
        if (broken) throw new Error('downstream is broken');
        await trx('effects').insert({ subscriber: 'flaky', event_id: event.id, reservation_id: event.payload.reservationId, type: event.type });
      },
    };
    rig.bus.subscribe('concert', subscribe('reservation.held', 'flaky', handler));
    rig.bus.start();
    await rig.hold(9);
    await rig.bus.drain();

    const inbox = () => rig.dbs.concert.knex('inbox').where({ subscriber: 'concert.flaky' }).first();
    let row = await inbox();
    expect(row).to.include({ status: 'RETRYING', attempts: 1 });
    const firstDelay = Number(row.next_attempt_at_ms) - rig.clock.now();
    expect(firstDelay).to.be.within(50, 100);

    // Not due yet: a sweep does nothing.
    await rig.bus.sweep();
    expect(await inbox()).to.include({ attempts: 1 });

    rig.clock.advance(firstDelay);
    await rig.bus.sweep();
    row = await inbox();
    expect(row).to.include({ status: 'RETRYING', attempts: 2 });
    const secondDelay = Number(row.next_attempt_at_ms) - rig.clock.now();
    expect(secondDelay).to.be.within(100, 200);

    rig.clock.advance(secondDelay);
    await rig.bus.sweep();
    row = await inbox();
    expect(row).to.include({ status: 'DEAD', attempts: 3 });
    expect(row.last_error).to.contain('downstream is broken');

    const dead = await rig.bus.deadLetters();
    expect(dead).to.have.length(1);
    expect(dead[0]).to.include({ module: 'concert', subscriber: 'concert.flaky', type: 'reservation.held', attempts: 3 });
    expect(dead[0].event.payload).to.include({ reservationId: 9 });

    broken = false;
    expect(await rig.bus.replayDeadLetter(dead[0].id)).to.equal(true);
    expect(await rig.effects('concert')).to.have.length(1);
    expect(await rig.bus.deadLetters()).to.have.length(0);
    // A second replay of the same id finds nothing to do and changes nothing.
    expect(await rig.bus.replayDeadLetter(dead[0].id)).to.equal(false);
    expect(await rig.effects('concert')).to.have.length(1);
  });

  it('keeps order per aggregate while an earlier event of it is being retried, without holding up others', async () => {
    rig = await new BusRig().migrate();
    const seen: number[] = [];
    // The first event of reservation 1 fails until the clock moves on; later events of reservation 1
    // must wait for it. (Not "fails once": the relay may hand several events over in one batch,
    // whose rollback would spend that one failure before the event is taken on its own.)
    const recoversAt = rig.clock.now() + 1000;
    const handler: EventHandler<'reservation.held'> = {
      async handle(event, trx) {
        if (event.payload.reservationId === 1 && event.payload.price === 1 && rig.clock.now() < recoversAt) throw new Error('transient');
        seen.push(event.payload.reservationId * 100 + Number(event.payload.price));
        await trx('effects').insert({ subscriber: 'ordered', event_id: event.id, reservation_id: event.payload.reservationId, type: event.type });
      },
    };
    rig.bus.subscribe('concert', subscribe('reservation.held', 'ordered', handler));
    rig.bus.start();
    const publish = (reservationId: number, price: number) =>
      rig.dbs.reservation.transaction((trx) =>
        rig.outbox.publish(trx, 'reservation.held', reservationId, {
          reservationId,
          userId: 1,
          scheduleId: 1,
          seatId: 1,
          price,
          expiresAt: new Date(0).toISOString(),
        }),
      );
    await publish(1, 1);
    await publish(1, 2);
    await publish(2, 1);
    await publish(1, 3);
    await rig.bus.drain();
    // Reservation 2 went through; reservation 1's later events queued behind its failed first one.
    expect(seen).to.deep.equal([201]);
    const queued = await rig.dbs.concert.knex('inbox').where({ status: 'PENDING' });
    expect(queued).to.have.length(2);

    rig.clock.advance(1000);
    await rig.bus.drain();
    expect(seen).to.deep.equal([201, 101, 102, 103]);
  });

  it('keeps order per aggregate when an event queues behind a retry that succeeds while the queuing transaction is still open', async () => {
    rig = await new BusRig().migrate();
    const seen: number[] = [];
    let failedOnce = false;
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    const handler: EventHandler<'reservation.held'> = {
      async handle(event, trx) {
        const { reservationId, price } = event.payload;
        if (reservationId === 1 && price === 1 && !failedOnce) {
          failedOnce = true;
          throw new Error('transient');
        }
        // Reservation 9's event holds its transaction open (a slow handler in the same batch).
        if (reservationId === 9) await gate;
        seen.push(reservationId * 100 + price);
        await trx('effects').insert({ subscriber: 'ordered', event_id: event.id, reservation_id: reservationId, type: event.type });
      },
    };
    rig.bus.subscribe('concert', subscribe('reservation.held', 'ordered', handler));
    // The relay is not started: the test hands events over itself, in the order it needs.
    const publish = (reservationId: number, price: number) =>
      rig.dbs.reservation.transaction((trx) =>
        rig.outbox.publish(trx, 'reservation.held', reservationId, {
          reservationId,
          userId: 1,
          scheduleId: 1,
          seatId: 1,
          price,
          expiresAt: new Date(0).toISOString(),
        }),
      );
    const first = await publish(1, 1);
    const slow = await publish(9, 1);
    const second = await publish(1, 2);
    const third = await publish(1, 3);

    await rig.transport.publish('reservation', [first]);
    expect(await rig.dbs.concert.knex('inbox').where({ status: 'RETRYING' })).to.have.length(1);
    rig.clock.advance(1000);
    // One batch: reservation 1's second event queues (PENDING) behind its first, in a transaction the slow event keeps open…
    const batch = rig.transport.publish('reservation', [slow, second]);
    // …while the retry of the first event succeeds and finds nothing else of reservation 1 waiting (on
    // PostgreSQL the queued row is not committed yet; on SQLite the retry waits for the batch).
    const retry = rig.bus.sweep();
    await Promise.race([retry, new Promise((r) => setTimeout(r, 300))]);
    openGate();
    await Promise.all([batch, retry]);
    // The third event must still queue behind the second.
    await rig.transport.publish('reservation', [third]);
    await rig.bus.drain();
    expect(seen.filter((n) => Math.floor(n / 100) === 1)).to.deep.equal([101, 102, 103]);
    expect(seen).to.include(901);
  });

  // Two processes on one SQLite file would wait on each other's lock inside one event loop: PostgreSQL only.
  (onPostgres ? it : it.skip)('runs a retried event once when two processes retry it at the same moment (PostgreSQL)', async () => {
    const dataDir = tempDataDir();
    rig = await new BusRig(dataDir).migrate();
    const other = await new BusRig(dataDir).migrate();
    try {
      let broken = true;
      const runs: string[] = [];
      const handlerOf = (process: string): EventHandler<'reservation.held'> => ({
        async handle(event, trx) {
          if (broken) throw new Error('downstream is broken');
          runs.push(process);
          await trx('effects').insert({ subscriber: 'once', event_id: event.id, reservation_id: event.payload.reservationId, type: event.type });
          // Long enough for the other process's retry to overlap this one.
          await new Promise((r) => setTimeout(r, 50));
        },
      });
      rig.bus.subscribe('concert', subscribe('reservation.held', 'once', handlerOf('a')));
      other.bus.subscribe('concert', subscribe('reservation.held', 'once', handlerOf('b')));
      await rig.hold(4);
      const [envelope] = (await rig.dbs.reservation.knex('outbox')).map(envelopeFromRow);
      await rig.transport.publish('reservation', [envelope]);
      expect(await rig.dbs.concert.knex('inbox').where({ status: 'RETRYING' })).to.have.length(1);
      broken = false;
      rig.clock.advance(1000);
      other.clock.advance(1000);
      await Promise.all([rig.bus.sweep(), other.bus.sweep()]);
      expect(runs.length, 'the handler ran in more than one process').to.equal(1);
      expect(await rig.effects('concert')).to.have.length(1);
      expect(await rig.dbs.concert.knex('inbox').where({ status: 'DONE' })).to.have.length(1);
    } finally {
      await other.close();
    }
  });

  it('handles a backlog as one batch, and a failing event in it costs only that event a retry', async () => {
    rig = await new BusRig().migrate();
    rig.bus.subscribe('concert', subscribe('reservation.held', 'flaky', recorder('flaky', { failTimes: (e) => (e.payload.reservationId === 7 ? 2 : 0) })));
    rig.bus.subscribe('concert', subscribe('reservation.held', 'steady', recorder('steady')));
    // Twenty events wait in the outbox (relay not running), then go out in one pass.
    for (let id = 1; id <= 20; id += 1) await rig.hold(id);
    rig.bus.start();
    await rig.bus.drain();
    expect((await rig.effects('concert', 'steady')).map((e) => e.reservation_id)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
    const flakyFirstRound = (await rig.effects('concert', 'flaky')).map((e) => e.reservation_id);
    expect(flakyFirstRound).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1).filter((id) => id !== 7));
    rig.clock.advance(1000);
    await rig.bus.drain();
    const flaky = (await rig.effects('concert', 'flaky')).map((e) => e.reservation_id);
    expect([...flaky].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
    const inbox = await rig.dbs.concert.knex('inbox').select('subscriber', 'status');
    expect(inbox).to.have.length(40);
    expect(inbox.every((r) => r.status === 'DONE')).to.equal(true);
  });

  it('parks an event whose payload breaks its contract at once', async () => {
    rig = await new BusRig().migrate();
    rig.bus.subscribe('concert', subscribe('reservation.held', 'seat-map', recorder('seat-map')));
    rig.bus.start();
    await rig.dbs.reservation.transaction((trx) => rig.outbox.publish(trx, 'reservation.held', 1, { reservationId: -1 } as never));
    await rig.bus.drain();
    const dead = await rig.bus.deadLetters();
    expect(dead).to.have.length(1);
    expect(dead[0].attempts).to.equal(1);
    expect(dead[0].error).to.contain('breaks its contract');
  });
});
