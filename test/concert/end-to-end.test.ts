import { expect } from 'chai';
import { createTestApp, eventually, loginAdmin, queuePassFor, signupAndLogin, type TestApp } from '../support/test-app';
import { concertBody, createConcert, seats } from './concert-fixtures';

describe('seat map with the real reservation module (through events only)', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(async () => app.stop());

  it('a hold over HTTP shows as HELD on the map, and its cancellation frees the seat again', async () => {
    const admin = await loginAdmin(app.http);
    const user = await signupAndLogin(app.http);
    const concert = await createConcert(app, admin, concertBody({ schedules: [{ startsAt: '2030-05-01T19:00:00Z', seats: seats(5) }] }));
    const schedule = concert.schedules[0];
    const seat = schedule.seats[2];
    const pass = queuePassFor(app.platform, user.id);
    // The reservation module knows the schedule from the concert module's event, which may still be on its way.
    await eventually(
      async () => Boolean(await app.platform.database('reservation').knex('catalogue_seats').where({ schedule_id: schedule.id }).first()),
      app.platform,
    );
    const seatStatus = async () => {
      const res = await app.http.get(`/ticketing/search/schedules/${schedule.id}/seats`).set(user.auth).set(pass);
      return res.body.items.find((s: { id: number }) => s.id === seat.id).status;
    };
    const available = async () =>
      (await app.http.get(`/ticketing/search/concerts/${concert.id}/schedules`).set(user.auth).set(pass)).body.items[0].availableSeats;

    const hold = await app.http.post('/ticketing/reservations/new').set(user.auth).set(pass).send({ scheduleId: schedule.id, seatId: seat.id });
    expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
    await eventually(async () => (await seatStatus()) === 'HELD', app.platform);
    expect(await available()).to.equal(4);

    const cancel = await app.http.post(`/ticketing/reservations/${hold.body.id}/cancel`).set(user.auth);
    expect(cancel.status, JSON.stringify(cancel.body)).to.equal(200);
    await eventually(async () => (await seatStatus()) === 'AVAILABLE', app.platform);
    expect(await available()).to.equal(5);
  });
});
