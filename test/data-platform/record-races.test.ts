import { expect } from 'chai';
import type { EventPayload, EventType } from '../../src/contracts/events';
import { MarkRecordCancelledWhenReservationCancelled } from '../../src/modules/data-platform/event-handlers/mark-record-cancelled-when-reservation-cancelled.handler';
import { StoreRecordWhenReservationConfirmed } from '../../src/modules/data-platform/event-handlers/store-record-when-reservation-confirmed.handler';
import { createTestApp, handleEventWith, loginAdmin, type TestApp, type TestUser } from '../support/test-app';
import { onPostgres } from '../support/test-backend';
import { allRecords, confirmedPayload, DATA_PLATFORM_TEST_MODULES, feed } from './data-platform.helpers';

const RESERVATIONS = 30;

/**
 * A confirmed reservation's `reservation.success` and its `reservation.cancelled` reach different
 * subscribers, so they may be handled at the same time, each in its own transaction (the inboxes
 * of two processes, or a retry beside a fresh delivery). The confirmation looks for an early
 * cancellation note and stores the record; the cancellation looks for the record and otherwise
 * leaves the note. On PostgreSQL's snapshots each saw nothing of the other, so the record stayed
 * CONFIRMED (counted as revenue) beside a note nobody would read (write skew), unless both take
 * turns on the reservation (`record-of-reservation`). SQLite runs them one at a time.
 */
describe(`data platform: a confirmation and its cancellation handled at once (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, function () {
  this.timeout(60_000);

  let app: TestApp;
  let admin: TestUser;
  beforeEach(async () => {
    app = await createTestApp({ env: { MODULES: DATA_PLATFORM_TEST_MODULES } });
    admin = await loginAdmin(app.http);
  });
  afterEach(() => app.stop());

  const handle = <T extends EventType>(handler: Parameters<typeof handleEventWith<T>>[2], type: T, payload: EventPayload<T>) =>
    handleEventWith(app, 'data-platform', handler, type, payload);

  it(`${RESERVATIONS} confirmations, each beside its own cancellation: every record CANCELLED, no note left, no revenue`, async () => {
    const ids = Array.from({ length: RESERVATIONS }, (_, i) => 500 + i);
    await Promise.all(
      ids.flatMap((reservationId) => {
        const confirmed = confirmedPayload({ reservationId });
        return [
          handle(StoreRecordWhenReservationConfirmed, 'reservation.success', confirmed),
          handle(MarkRecordCancelledWhenReservationCancelled, 'reservation.cancelled', {
            reservationId,
            userId: confirmed.userId,
            scheduleId: confirmed.scheduleId,
            seatId: confirmed.seatId,
            previousStatus: 'CONFIRMED',
            paymentId: confirmed.paymentId,
          }),
        ];
      }),
    );

    const records = await allRecords(app.http, admin.auth);
    expect(
      [...records.values()].filter((r) => r.status !== 'CANCELLED').map((r) => r.reservationId),
      'records left CONFIRMED',
    ).to.deep.equal([]);
    expect(records.size).to.equal(RESERVATIONS);
    expect(await app.platform.database('data-platform').knex('dp_early_cancellations'), 'notes nobody will read').to.deep.equal([]);
    expect((await feed(app.http, admin.auth, { status: 'ALL' })).summary).to.deep.equal({ count: RESERVATIONS, revenue: 0 });
  });
});
