import { expect } from 'chai';
import type { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, loginAdmin, queuePassFor, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';
import { catalogueCounts, concertBody, createConcert, seats } from './concert-fixtures';

describe('concert catalogue over HTTP', () => {
  let app: TestApp;
  let admin: TestUser;
  let user: TestUser;
  beforeEach(async () => {
    // Large enough for a schedule past the 5 000-seat cap to reach validation instead of the body limit.
    app = await createTestApp({ env: { BODY_LIMIT_BYTES: String(1024 * 1024) } });
    admin = await loginAdmin(app.http);
    user = await signupAndLogin(app.http);
  });
  afterEach(async () => app.stop());

  const outboxEvents = async () =>
    (await app.platform.database('concert').knex('outbox').where({ type: 'concert.schedule.published' }).orderBy('seq')).map((r) => ({
      aggregateId: r.aggregate_id,
      payload: JSON.parse(r.payload),
    }));

  describe('POST /admin/concerts', () => {
    it('creates the concert with its schedules and seat ids, and publishes one event per schedule with every seat', async () => {
      const res = await app.http
        .post('/admin/concerts')
        .set(admin.auth)
        .send(concertBody({ title: '  Spring Festival  ' }));
      expect(res.status).to.equal(201);
      const concert = res.body;
      expect(concert).to.include({ title: 'Spring Festival', artist: 'The Testers', venue: 'Olympic Hall, Seoul' });
      expect(concert.id).to.be.a('number');
      expect(concert.schedules).to.have.length(2);
      const [first, second] = concert.schedules;
      expect(first).to.include({ concertId: concert.id, startsAt: '2030-05-01T10:00:00.000Z', totalSeats: 8, availableSeats: 8 });
      expect(second).to.include({ concertId: concert.id, startsAt: '2030-05-02T10:00:00.000Z', totalSeats: 4, availableSeats: 4 });
      expect(first.seats.map((s: { label: string }) => s.label)).to.deep.equal(['VIP-1', 'VIP-2', 'VIP-3', 'S-1', 'S-2', 'S-3', 'S-4', 'S-5']);
      expect(first.seats[0]).to.deep.include({ label: 'VIP-1', price: 150_000 });
      const allSeatIds = concert.schedules.flatMap((s: { seats: Array<{ id: number }> }) => s.seats.map((seat) => seat.id));
      expect(new Set(allSeatIds).size).to.equal(12);
      for (const id of allSeatIds) expect(id).to.be.a('number').and.above(0);

      const events = await outboxEvents();
      expect(events).to.have.length(2);
      for (const [i, schedule] of concert.schedules.entries()) {
        expect(events[i].aggregateId).to.equal(String(schedule.id));
        expect(events[i].payload).to.deep.equal({
          concertId: concert.id,
          scheduleId: schedule.id,
          title: 'Spring Festival',
          artist: 'The Testers',
          venue: 'Olympic Hall, Seoul',
          startsAt: schedule.startsAt,
          seats: schedule.seats.map((s: { id: number; label: string; price: number }) => ({ seatId: s.id, label: s.label, price: s.price })),
        });
      }
    });

    it('is for admins only: 401 without a token, 403 for a user, and nothing is written', async () => {
      const before = await catalogueCounts(app);
      const anonymous = await app.http.post('/admin/concerts').send(concertBody());
      expect(anonymous.status).to.equal(401);
      expect(anonymous.body.code).to.equal('UNAUTHORIZED');
      const asUser = await app.http.post('/admin/concerts').set(user.auth).send(concertBody());
      expect(asUser.status).to.equal(403);
      expect(asUser.body.code).to.equal('FORBIDDEN');
      // Role is checked before input: a user sending garbage still gets 403.
      const garbage = await app.http.post('/admin/concerts').set(user.auth).send({ nonsense: true });
      expect(garbage.status).to.equal(403);
      expect(await catalogueCounts(app)).to.deep.equal(before);
    });

    it('refuses bad input with 400 VALIDATION_FAILED naming the field, and writes nothing (no rows, no events)', async () => {
      const schedule = (s: Record<string, unknown>) => ({ startsAt: '2030-05-01T19:00:00+09:00', seats: seats(2), ...s });
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['missing title', { title: undefined }, 'body.title'],
        ['blank title', { title: '   ' }, 'body.title'],
        ['over-long title', { title: 'x'.repeat(201) }, 'body.title'],
        ['artist not a string', { artist: 42 }, 'body.artist'],
        ['control character in venue', { venue: 'Hall\u0000' }, 'body.venue'],
        ['missing schedules', { schedules: undefined }, 'body.schedules'],
        ['no schedule', { schedules: [] }, 'body.schedules'],
        [
          'too many schedules',
          { schedules: Array.from({ length: 51 }, (_, i) => schedule({ startsAt: new Date(Date.UTC(2030, 0, 1 + i)).toISOString() })) },
          'body.schedules',
        ],
        ['missing startsAt', { schedules: [schedule({ startsAt: undefined })] }, 'body.schedules.0.startsAt'],
        ['date without time', { schedules: [schedule({ startsAt: '2030-05-01' })] }, 'body.schedules.0.startsAt'],
        ['date-time without zone', { schedules: [schedule({ startsAt: '2030-05-01T19:00:00' })] }, 'body.schedules.0.startsAt'],
        ['impossible date', { schedules: [schedule({ startsAt: '2030-02-30T19:00:00Z' })] }, 'body.schedules.0.startsAt'],
        ['not a date', { schedules: [schedule({ startsAt: 'tomorrow' })] }, 'body.schedules.0.startsAt'],
        ['year out of range', { schedules: [schedule({ startsAt: '2150-01-01T00:00:00Z' })] }, 'body.schedules.0.startsAt'],
        ['two schedules at the same instant', { schedules: [schedule({}), schedule({ startsAt: '2030-05-01T10:00:00Z' })] }, 'body.schedules.1.startsAt'],
        ['no seat', { schedules: [schedule({ seats: [] })] }, 'body.schedules.0.seats'],
        ['too many seats', { schedules: [schedule({ seats: seats(5001) })] }, 'body.schedules.0.seats'],
        [
          'duplicate label',
          {
            schedules: [
              schedule({
                seats: [
                  { label: 'A-1', price: 1000 },
                  { label: 'A-2', price: 1000 },
                  { label: 'A-1', price: 2000 },
                ],
              }),
            ],
          },
          'body.schedules.0.seats.2.label',
        ],
        [
          'duplicate label differing in case and spaces',
          {
            schedules: [
              schedule({
                seats: [
                  { label: 'a-1', price: 1000 },
                  { label: ' A-1 ', price: 1000 },
                ],
              }),
            ],
          },
          'body.schedules.0.seats.1.label',
        ],
        ['empty label', { schedules: [schedule({ seats: [{ label: '', price: 1000 }] })] }, 'body.schedules.0.seats.0.label'],
        ['missing price', { schedules: [schedule({ seats: [{ label: 'A-1' }] })] }, 'body.schedules.0.seats.0.price'],
        ['fractional price', { schedules: [schedule({ seats: [{ label: 'A-1', price: 1000.5 }] })] }, 'body.schedules.0.seats.0.price'],
        ['negative price', { schedules: [schedule({ seats: [{ label: 'A-1', price: -1000 }] })] }, 'body.schedules.0.seats.0.price'],
        ['zero price', { schedules: [schedule({ seats: [{ label: 'A-1', price: 0 }] })] }, 'body.schedules.0.seats.0.price'],
        ['price as a string', { schedules: [schedule({ seats: [{ label: 'A-1', price: '1000' }] })] }, 'body.schedules.0.seats.0.price'],
        ['price too high', { schedules: [schedule({ seats: [{ label: 'A-1', price: 10_000_001 }] })] }, 'body.schedules.0.seats.0.price'],
        ['unknown field on a seat', { schedules: [schedule({ seats: [{ label: 'A-1', price: 1000, status: 'SOLD' }] })] }, 'body.schedules.0.seats.0'],
        ['unknown top-level field', { id: 7 }, 'body'],
      ];
      const before = await catalogueCounts(app);
      for (const [name, override, field] of cases) {
        const res = await app.http.post('/admin/concerts').set(admin.auth).send(concertBody(override));
        expect(res.status, name).to.equal(400);
        expect(res.headers['content-type'], name).to.match(/application\/problem\+json/);
        expect(res.body.code, name).to.equal('VALIDATION_FAILED');
        expect(
          res.body.errors.map((e: { field: string }) => e.field),
          name,
        ).to.include(field);
      }
      const malformed = await app.http.post('/admin/concerts').set(admin.auth).set('content-type', 'application/json').send('{"title":');
      expect(malformed.status).to.equal(400);
      expect(await catalogueCounts(app)).to.deep.equal(before);
      expect(await outboxEvents()).to.deep.equal([]);
    });

    it('accepts the limits themselves: 5 000 seats in a schedule, prices 1 and 10 000 000', async () => {
      const big = concertBody({
        schedules: [{ startsAt: '2030-06-01T19:00:00Z', seats: [{ label: 'CHEAP', price: 1 }, { label: 'DEAR', price: 10_000_000 }, ...seats(4998)] }],
      });
      const concert = await createConcert(app, admin, big);
      expect(concert.schedules[0].totalSeats).to.equal(5000);
      expect(new Set(concert.schedules[0].seats.map((s) => s.id)).size).to.equal(5000);
      const stored = await app.platform
        .database('concert')
        .knex('seats')
        .where({ schedule_id: concert.schedules[0].id })
        .select('id', 'label', 'price')
        .orderBy('id');
      expect(stored.map((s) => ({ id: s.id, label: s.label, price: s.price }))).to.deep.equal(concert.schedules[0].seats);
      const [event] = await outboxEvents();
      expect(event.payload.seats).to.have.length(5000);
      expect(event.payload.seats.find((s: { label: string }) => s.label === 'DEAR')).to.deep.include({ price: 10_000_000 });
    });

    it('keeps every concert whole under concurrent creates', async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          app.http
            .post('/admin/concerts')
            .set(admin.auth)
            .send(concertBody({ title: `Concert ${i}` })),
        ),
      );
      expect(results.map((r) => r.status)).to.deep.equal(Array(12).fill(201));
      const counts = await catalogueCounts(app);
      expect(counts).to.include({ concerts: 12, schedules: 24, seats: 12 * 12, outbox: 24 });
      const seatIds = results.flatMap((r) => r.body.schedules.flatMap((s: { seats: Array<{ id: number }> }) => s.seats.map((seat) => seat.id)));
      expect(new Set(seatIds).size).to.equal(144);
    });
  });

  describe('GET /ticketing/search/concerts', () => {
    it('is public and paginates with page and pageSize, oldest first, with the total', async () => {
      for (let i = 1; i <= 5; i += 1) await createConcert(app, admin, concertBody({ title: `Concert ${i}` }));
      const all = await app.http.get('/ticketing/search/concerts');
      expect(all.status).to.equal(200);
      expect(all.body).to.include({ page: 1, pageSize: 20, total: 5 });
      expect(all.body.items.map((c: { title: string }) => c.title)).to.deep.equal(['Concert 1', 'Concert 2', 'Concert 3', 'Concert 4', 'Concert 5']);
      expect(Object.keys(all.body.items[0]).sort()).to.deep.equal(['artist', 'id', 'title', 'venue']);

      const page2 = await app.http.get('/ticketing/search/concerts?page=2&pageSize=2');
      expect(page2.body).to.include({ page: 2, pageSize: 2, total: 5 });
      expect(page2.body.items.map((c: { title: string }) => c.title)).to.deep.equal(['Concert 3', 'Concert 4']);
      const page3 = await app.http.get('/ticketing/search/concerts?page=3&pageSize=2');
      expect(page3.body.items.map((c: { title: string }) => c.title)).to.deep.equal(['Concert 5']);
      const beyond = await app.http.get('/ticketing/search/concerts?page=9&pageSize=2');
      expect(beyond.status).to.equal(200);
      expect(beyond.body).to.deep.equal({ items: [], page: 9, pageSize: 2, total: 5 });
    });

    it('answers an empty catalogue with an empty page', async () => {
      const res = await app.http.get('/ticketing/search/concerts');
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ items: [], page: 1, pageSize: 20, total: 0 });
    });

    it('refuses bad paging with 400 naming the parameter', async () => {
      for (const [qs, field] of [
        ['page=0', 'query.page'],
        ['page=-1', 'query.page'],
        ['page=1.5', 'query.page'],
        ['page=abc', 'query.page'],
        ['pageSize=0', 'query.pageSize'],
        ['pageSize=101', 'query.pageSize'],
      ]) {
        const res = await app.http.get(`/ticketing/search/concerts?${qs}`);
        expect(res.status, qs).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_FAILED');
        expect(
          res.body.errors.map((e: { field: string }) => e.field),
          qs,
        ).to.include(field);
      }
    });
  });

  describe('schedules and seats (behind the waiting room)', () => {
    it('lists a concert’s schedules, earliest first, with total and available seats', async () => {
      const concert = await createConcert(
        app,
        admin,
        concertBody({
          schedules: [
            { startsAt: '2030-05-03T19:00:00Z', seats: seats(2) },
            { startsAt: '2030-05-01T19:00:00Z', seats: seats(3) },
          ],
        }),
      );
      const res = await app.http.get(`/ticketing/search/concerts/${concert.id}/schedules`).set(user.auth).set(queuePassFor(app.platform, user.id));
      expect(res.status).to.equal(200);
      const [later, earlier] = concert.schedules;
      expect(res.body).to.deep.equal({
        items: [
          { id: earlier.id, concertId: concert.id, startsAt: '2030-05-01T19:00:00.000Z', totalSeats: 3, availableSeats: 3 },
          { id: later.id, concertId: concert.id, startsAt: '2030-05-03T19:00:00.000Z', totalSeats: 2, availableSeats: 2 },
        ],
      });
    });

    it('serves a schedule’s seat map with prices, all AVAILABLE at first', async () => {
      const concert = await createConcert(app, admin);
      const schedule = concert.schedules[0];
      const res = await app.http.get(`/ticketing/search/schedules/${schedule.id}/seats`).set(user.auth).set(queuePassFor(app.platform, user.id));
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ items: schedule.seats.map((s) => ({ ...s, status: 'AVAILABLE' })) });
    });

    it('needs a login (401) and then a valid queue pass of the caller (403 QUEUE_PASS_REQUIRED / QUEUE_PASS_INVALID)', async () => {
      const concert = await createConcert(app, admin);
      const other = await signupAndLogin(app.http, 'other');
      for (const path of [`/ticketing/search/concerts/${concert.id}/schedules`, `/ticketing/search/schedules/${concert.schedules[0].id}/seats`]) {
        const anonymous = await app.http.get(path).set(queuePassFor(app.platform, user.id));
        expect(anonymous.status, path).to.equal(401);
        const noPass = await app.http.get(path).set(user.auth);
        expect(noPass.status, path).to.equal(403);
        expect(noPass.body.code).to.equal('QUEUE_PASS_REQUIRED');
        const forged = await app.http.get(path).set(user.auth).set('X-Queue-Pass', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forged');
        expect(forged.status, path).to.equal(403);
        expect(forged.body.code).to.equal('QUEUE_PASS_INVALID');
        const someoneElses = await app.http.get(path).set(user.auth).set(queuePassFor(app.platform, other.id));
        expect(someoneElses.status, path).to.equal(403);
        expect(someoneElses.body.code).to.equal('QUEUE_PASS_INVALID');
        const valid = await app.http.get(path).set(user.auth).set(queuePassFor(app.platform, user.id));
        expect(valid.status, path).to.equal(200);
      }
    });

    it('refuses an expired queue pass', async () => {
      const concert = await createConcert(app, admin);
      const pass = queuePassFor(app.platform, user.id, 60_000);
      (app.clock as ManualClock).advance(61_000);
      const res = await app.http.get(`/ticketing/search/schedules/${concert.schedules[0].id}/seats`).set(user.auth).set(pass);
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('QUEUE_PASS_INVALID');
    });

    it('answers unknown ids with a 404 problem and malformed ids with 400', async () => {
      const concert = await createConcert(app, admin);
      const pass = queuePassFor(app.platform, user.id);
      const unknownConcert = await app.http
        .get(`/ticketing/search/concerts/${concert.id + 1000}/schedules`)
        .set(user.auth)
        .set(pass);
      expect(unknownConcert.status).to.equal(404);
      expect(unknownConcert.headers['content-type']).to.match(/application\/problem\+json/);
      expect(unknownConcert.body.code).to.equal('NOT_FOUND');
      const unknownSchedule = await app.http.get('/ticketing/search/schedules/999999/seats').set(user.auth).set(pass);
      expect(unknownSchedule.status).to.equal(404);
      expect(unknownSchedule.body.code).to.equal('NOT_FOUND');
      for (const bad of ['abc', '0', '-3', '1.5', '99999999999999999999']) {
        const a = await app.http.get(`/ticketing/search/concerts/${bad}/schedules`).set(user.auth).set(pass);
        expect(a.status, bad).to.equal(400);
        expect(a.body.errors.map((e: { field: string }) => e.field)).to.include('params.id');
        const b = await app.http.get(`/ticketing/search/schedules/${bad}/seats`).set(user.auth).set(pass);
        expect(b.status, bad).to.equal(400);
        expect(b.body.errors.map((e: { field: string }) => e.field)).to.include('params.scheduleId');
      }
    });
  });
});
