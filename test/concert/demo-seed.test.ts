import fs from 'node:fs';
import { expect } from 'chai';
import { createTestApp, queuePassFor, signupAndLogin, tempDataDir } from '../support/test-app';

describe('demo concert seed', () => {
  const publishedSchedules = async (app: Awaited<ReturnType<typeof createTestApp>>) =>
    (await app.platform.database('concert').knex('outbox').where({ type: 'concert.schedule.published' })).map((r) => JSON.parse(r.payload));

  it('seeds a realistic demo concert into an empty catalogue when SEED_DEMO=true, publishing every schedule, and only once across restarts', async () => {
    const dir = tempDataDir();
    try {
      const app = await createTestApp({ env: { SEED_DEMO: 'true', DATA_DIR: dir } });
      let concertId: number;
      try {
        const list = await app.http.get('/ticketing/search/concerts');
        expect(list.body.total).to.equal(1);
        const [concert] = list.body.items;
        concertId = concert.id;
        expect(concert.title).to.be.a('string').and.not.empty;

        const user = await signupAndLogin(app.http);
        const pass = queuePassFor(app.platform, user.id);
        const schedules = await app.http.get(`/ticketing/search/concerts/${concert.id}/schedules`).set(user.auth).set(pass);
        expect(schedules.body.items.length).to.be.at.least(3);
        const starts = schedules.body.items.map((s: { startsAt: string }) => Date.parse(s.startsAt));
        for (const at of starts) expect(at).to.be.above(app.clock.now());
        for (const s of schedules.body.items) {
          expect(s.totalSeats).to.be.within(200, 1000);
          expect(s.availableSeats).to.equal(s.totalSeats);
          const seatMap = await app.http.get(`/ticketing/search/schedules/${s.id}/seats`).set(user.auth).set(pass);
          expect(seatMap.body.items).to.have.length(s.totalSeats);
          const prices = new Set(seatMap.body.items.map((seat: { price: number }) => seat.price));
          expect([...prices].sort((a, b) => (a as number) - (b as number))).to.deep.equal([88_000, 110_000, 150_000]);
        }

        const events = await publishedSchedules(app);
        expect(events.map((e) => e.scheduleId).sort()).to.deep.equal(schedules.body.items.map((s: { id: number }) => s.id).sort());
        for (const e of events) expect(e.seats).to.have.length(300);
      } finally {
        await app.stop();
      }

      const again = await createTestApp({ env: { SEED_DEMO: 'true', DATA_DIR: dir } });
      try {
        const list = await again.http.get('/ticketing/search/concerts');
        expect(list.body.total).to.equal(1);
        expect(list.body.items[0].id).to.equal(concertId);
        expect(await again.platform.database('concert').knex('concerts').count({ n: '*' }).first()).to.deep.equal({ n: 1 });
        expect(await publishedSchedules(again)).to.have.length(3);
      } finally {
        await again.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('seeds nothing when SEED_DEMO=false', async () => {
    const app = await createTestApp({ env: { SEED_DEMO: 'false' } });
    try {
      const list = await app.http.get('/ticketing/search/concerts');
      expect(list.body).to.deep.include({ total: 0, items: [] });
      expect(await publishedSchedules(app)).to.deep.equal([]);
    } finally {
      await app.stop();
    }
  });
});
