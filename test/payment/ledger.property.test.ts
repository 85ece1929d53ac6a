import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import type { Newable } from 'inversify';
import type { EventEnvelope, EventPayload, EventType } from '../../src/contracts/events';
import { ChargeService } from '../../src/modules/payment/commands/charge/charge.service';
import { ProcessPaymentService } from '../../src/modules/payment/commands/process-payment/process-payment.service';
import { CopyReservationWhenHeld } from '../../src/modules/payment/event-handlers/copy-reservation-when-held.handler';
import { MarkCopyCancelledWhenReservationCancelled } from '../../src/modules/payment/event-handlers/mark-copy-cancelled-when-reservation-cancelled.handler';
import { MarkCopyExpiredWhenReservationExpired } from '../../src/modules/payment/event-handlers/mark-copy-expired-when-reservation-expired.handler';
import { PayWhenPaymentRequested } from '../../src/modules/payment/event-handlers/pay-when-payment-requested.handler';
import { RefundWhenConfirmedReservationCancelled } from '../../src/modules/payment/event-handlers/refund-when-confirmed-reservation-cancelled.handler';
import { RefundWhenRefundRequested } from '../../src/modules/payment/event-handlers/refund-when-refund-requested.handler';
import { RefundWhenReservationFailed } from '../../src/modules/payment/event-handlers/refund-when-reservation-failed.handler';
import type { EventHandler } from '../../src/platform/bus/subscription';
import { DomainError } from '../../src/platform/domain/domain-error';
import type { TestApp } from '../support/test-app';
import { expectLedgerConsistent, newReservationId, paymentApp } from './payment-kit';

type Op =
  | { kind: 'charge'; user: number; amount: number }
  | { kind: 'hold'; user: number; price: number }
  | { kind: 'pay'; asOwner: boolean; r: number }
  | { kind: 'sagaPay'; r: number }
  | { kind: 'refund'; r: number }
  | { kind: 'fail'; r: number }
  | { kind: 'cancel'; r: number }
  | { kind: 'expire'; r: number };

interface ModelReservation {
  id: number;
  user: number;
  price: number;
  status: 'HELD' | 'EXPIRED' | 'CANCELLED';
  paymentId: number | null;
  refunded: boolean;
}

const user = fc.integer({ min: 0, max: 1 });
const index = fc.nat({ max: 7 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('charge' as const),
      user,
      amount: fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 1_000_000 })),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('hold' as const), user, price: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300_000 })) }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      asOwner: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
      r: index,
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('sagaPay' as const), r: index }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('refund' as const), r: index }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('fail' as const), r: index }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('cancel' as const), r: index }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('expire' as const), r: index }), weight: 1 },
);

/**
 * Random sequences of charge / pay (both sagas) / refund / fail / cancel / expire against the
 * service layer, checked against a model of the balances, with the ledger invariants after every
 * run: balance >= 0, balance == signed sum of entries, each payment refunded at most once.
 */
describe('payment ledger invariants (property-based)', () => {
  let app: TestApp;
  let userSeq = 5_000_000;
  before(async () => {
    // Paying someone else's reservation waits as long as paying an unknown one: keep that short here.
    app = await paymentApp({ env: { PAYMENT_HOLD_WAIT_MS: '5' } });
  });
  after(async () => app.stop());

  function envelope<T extends EventType>(type: T, aggregateId: number, payload: EventPayload<T>): EventEnvelope<T> {
    return {
      id: randomUUID(),
      type,
      version: 1,
      occurredAt: new Date(app.clock.now()).toISOString(),
      aggregateId: String(aggregateId),
      correlationId: randomUUID(),
      causationId: null,
      payload,
    };
  }

  /** Runs a subscriber's handler as the inbox would: in the module's transaction. */
  async function deliver<T extends EventType>(handlerClass: Newable<EventHandler<T>>, type: T, aggregateId: number, payload: EventPayload<T>): Promise<void> {
    const handler = app.platform.container('payment').get(handlerClass);
    await app.platform.database('payment').transaction((trx) => handler.handle(envelope(type, aggregateId, payload), trx));
  }

  async function refusal(work: () => Promise<unknown>): Promise<string | null> {
    try {
      await work();
      return null;
    } catch (err) {
      if (err instanceof DomainError) return err.code;
      throw err;
    }
  }

  it('keeps the ledger whole through any sequence of operations', async () => {
    const charges = app.platform.container('payment').get(ChargeService);
    const payments = app.platform.container('payment').get(ProcessPaymentService);
    const knex = app.platform.database('payment').knex;

    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60, size: 'max' }), async (ops) => {
        const users = [++userSeq, ++userSeq];
        const balances = [0, 0];
        const reservations: ModelReservation[] = [];
        const pick = (i: number) => (reservations.length === 0 ? null : reservations[i % reservations.length]);
        const paymentOf = async (r: ModelReservation) => (await knex('payments').where({ reservation_id: r.id }).first())?.id as number | undefined;

        for (const o of ops) {
          switch (o.kind) {
            case 'charge': {
              const res = await charges.charge(users[o.user], o.amount);
              balances[o.user] += o.amount;
              expect(res.balance).to.equal(balances[o.user]);
              break;
            }
            case 'hold': {
              const id = newReservationId();
              reservations.push({ id, user: o.user, price: o.price, status: 'HELD', paymentId: null, refunded: false });
              await deliver(CopyReservationWhenHeld, 'reservation.held', id, {
                reservationId: id,
                userId: users[o.user],
                scheduleId: 1,
                seatId: id,
                price: o.price,
                expiresAt: new Date(app.clock.now() + 600_000).toISOString(),
              });
              break;
            }
            case 'pay':
            case 'sagaPay': {
              const r = pick(o.r);
              if (!r) break;
              const payer = o.kind === 'pay' && !o.asOwner ? 1 - r.user : r.user;
              const expected =
                payer !== r.user || r.status !== 'HELD' || r.paymentId !== null
                  ? 'RESERVATION_NOT_PAYABLE'
                  : balances[payer] < r.price
                    ? 'INSUFFICIENT_BALANCE'
                    : null;
              let outcome: string | null;
              if (o.kind === 'pay') {
                outcome = await refusal(() => payments.process(users[payer], r.id));
              } else {
                const sagaId = randomUUID();
                await deliver(PayWhenPaymentRequested, 'payment.requested', r.id, {
                  sagaId,
                  reservationId: r.id,
                  userId: users[r.user],
                  amount: r.price,
                  expiresAt: new Date(app.clock.now() + 600_000).toISOString(),
                });
                const failed = await knex('outbox').where({ type: 'payment.failed' }).andWhere('payload', 'like', `%${sagaId}%`).first();
                outcome = failed ? JSON.parse(failed.payload).reason : null;
              }
              expect(outcome, `${o.kind} ${JSON.stringify(r)}`).to.equal(expected);
              if (outcome === null) {
                balances[payer] -= r.price;
                r.paymentId = (await paymentOf(r))!;
              }
              break;
            }
            case 'refund':
            case 'fail': {
              const r = pick(o.r);
              if (!r || r.paymentId === null) break;
              if (o.kind === 'refund') {
                await deliver(RefundWhenRefundRequested, 'payment.refund-requested', r.id, {
                  sagaId: randomUUID(),
                  paymentId: r.paymentId,
                  reservationId: r.id,
                  userId: users[r.user],
                  reason: 'TEST',
                });
              } else {
                await deliver(RefundWhenReservationFailed, 'reservation.failed', r.id, {
                  reservationId: r.id,
                  userId: users[r.user],
                  paymentId: r.paymentId,
                  reason: 'TEST',
                });
              }
              if (!r.refunded) balances[r.user] += r.price;
              r.refunded = true;
              break;
            }
            case 'cancel': {
              const r = pick(o.r);
              if (r?.status !== 'HELD') break;
              const payload = {
                reservationId: r.id,
                userId: users[r.user],
                scheduleId: 1,
                seatId: r.id,
                previousStatus: r.paymentId ? ('CONFIRMED' as const) : ('HELD' as const),
                paymentId: r.paymentId,
              };
              await deliver(MarkCopyCancelledWhenReservationCancelled, 'reservation.cancelled', r.id, payload);
              await deliver(RefundWhenConfirmedReservationCancelled, 'reservation.cancelled', r.id, payload);
              if (r.paymentId !== null && !r.refunded) {
                balances[r.user] += r.price;
                r.refunded = true;
              }
              r.status = 'CANCELLED';
              break;
            }
            case 'expire': {
              const r = pick(o.r);
              if (r?.status !== 'HELD') break;
              await deliver(MarkCopyExpiredWhenReservationExpired, 'reservation.expired', r.id, {
                reservationId: r.id,
                userId: users[r.user],
                scheduleId: 1,
                seatId: r.id,
              });
              r.status = 'EXPIRED';
              break;
            }
          }
        }

        for (const [i, userId] of users.entries()) {
          const { balance } = await expectLedgerConsistent(app.platform, userId);
          expect(balance).to.equal(balances[i]);
        }
        const ids = reservations.map((r) => r.id);
        const refundsPerPayment: Array<{ payment_id: number; n: number }> = await knex('ledger_entries')
          .where({ type: 'REFUND' })
          .whereIn('reservation_id', ids)
          .select('payment_id')
          .count({ n: '*' })
          .groupBy('payment_id');
        for (const row of refundsPerPayment) expect(Number(row.n), `refunds of payment ${row.payment_id}`).to.equal(1);
        const rows: Array<{ reservation_id: number; status: string }> = await knex('payments').whereIn('reservation_id', ids);
        for (const r of reservations) {
          const row = rows.find((p) => p.reservation_id === r.id);
          expect(row?.status ?? null, `payment of reservation ${r.id}`).to.equal(r.paymentId === null ? null : r.refunded ? 'REFUNDED' : 'PAID');
        }
      }),
      { numRuns: 50 },
    );
  });
});
