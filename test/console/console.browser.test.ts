import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { injectable } from 'inversify';
import type { Browser, Page } from 'playwright-core';
import { ALL_MODULES } from '../../src/composition-root';
import type { EventEnvelope } from '../../src/contracts/events';
import { systemClock } from '../../src/platform/clock/clock';
import { defineModule, on } from '../../src/platform/module/module-definition';
import { ensureBuilt } from '../support/build';
import { ADMIN, createTestApp, type TestApp } from '../support/test-app';
import { consolePage, httpClient, launchBrowser, logIn, screenshot, tileNumber, until } from './browser';

/**
 * The operator console in a real browser (Debian's Chromium driven by playwright-core) against the
 * whole app listening on a port: every number it shows comes from the admin API over HTTP.
 */
describe('operator console in the browser (monolith)', function () {
  this.timeout(120_000);
  let app: TestApp;
  let base: string;
  let browser: Browser;
  let page: Page;
  let failures: string[];
  // A subscriber of the real data-platform module that refuses the registration of a "poison" user
  // until the operator has "fixed the cause": the way a real dead letter happens and is replayed.
  const probe = { fail: true, handled: 0 };

  const call: ReturnType<typeof httpClient>['call'] = (...args) => httpClient(base).call(...args);
  const newUser = (name: string) => httpClient(base).newUser(name);

  before(async function () {
    browser = await launchBrowser(this);
    ensureBuilt('console');
    @injectable()
    class RefusePoisonUsers {
      static readonly subscription = on('auth.user.registered', 'console-probe');
      async handle(event: EventEnvelope<'auth.user.registered'>): Promise<void> {
        if (!event.payload.email.startsWith('poison')) return;
        if (probe.fail) throw new Error('console probe: this user record is refused until the operator fixes it');
        probe.handled += 1;
      }
    }
    const dataPlatform = ALL_MODULES.find((m) => m.name === 'data-platform')!;
    const modules = ALL_MODULES.map((m) =>
      m === dataPlatform ? defineModule({ ...dataPlatform, handlers: [...(dataPlatform.handlers ?? []), RefusePoisonUsers] }) : m,
    );
    app = await createTestApp({
      clock: systemClock,
      modules,
      // One admission a second to begin with, so people visibly wait; two attempts before a dead letter.
      env: { QUEUE_MAX_ACTIVE: '1000', QUEUE_ADMIT_PER_SECOND: '1', BUS_MAX_ATTEMPTS: '2', QUEUE_POLL_THROTTLE: 'false' },
    });
    const address = (await app.platform.listen(0, '127.0.0.1')) as AddressInfo;
    base = `http://127.0.0.1:${address.port}`;
    ({ page, failures } = await consolePage(browser));
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
  });
  afterEach(() => expect(failures, 'CSP violations or page errors').to.deep.equal([]));

  it('logs an admin in, keeping the token in memory only', async () => {
    await page.goto(`${base}/console`);
    await screenshot(page, 'login');
    await logIn(page, base, ADMIN.email, ADMIN.password);
    await page.getByTestId('nav-overview').waitFor();
    expect(await page.getByTestId('topology').textContent()).to.equal('monolith');
    const stored = await page.evaluate(() => {
      const w = globalThis as any;
      return { local: w.localStorage.length, session: w.sessionStorage.length, cookie: w.document.cookie };
    });
    expect(stored).to.deep.equal({ local: 0, session: 0, cookie: '' });
    expect(await page.context().cookies()).to.deep.equal([]);
  });

  it('shows the waiting count rise as users join, with joins per second', async () => {
    await page.getByTestId('nav-overview').click();
    await until(async () => (await tileNumber(page, 'waiting')) === 0, 'the overview shows nobody waiting');
    const users = [];
    for (let i = 0; i < 14; i += 1) users.push(await newUser(`waiter${i}`));
    const tokens = [];
    for (const u of users) {
      const join = await call('POST', '/queue/token', u.token);
      expect(join.status).to.be.oneOf([200, 201]);
      tokens.push(join.body.token as string);
    }
    for (const [i, u] of users.entries()) expect((await call('GET', '/queue/status', u.token, undefined, { 'x-queue-token': tokens[i] })).status).to.equal(200);
    // At one admission a second, most of them are still waiting when the page next polls.
    await until(async () => (await tileNumber(page, 'waiting')) >= 8, 'the waiting count rises to at least 8');
    await until(async () => (await tileNumber(page, 'joins-rate')) > 0, 'joins per second are shown');
    await until(async () => (await tileNumber(page, 'polls-rate')) > 0, 'polls per second are shown');
    expect(await tileNumber(page, 'last-wait')).to.be.greaterThan(0);
    await page.waitForTimeout(1500);
    await screenshot(page, 'overview');
  });

  it('changes admissions per second from the room controls, shown as applied, and the line drains at the new rate', async () => {
    const chartPoints = async () => Number(await page.getByTestId('people-chart').getAttribute('data-points'));
    const pointsBefore = await chartPoints();
    expect(pointsBefore).to.be.greaterThan(0);
    await page.getByTestId('nav-rooms').click();
    await until(async () => (await page.getByTestId('current-admit-per-second').textContent()) === '1', 'the room shows 1 admission a second');
    const waitingBefore = (await call('GET', '/admin/queue', (await call('POST', '/auth/login', undefined, ADMIN)).body.accessToken)).body.waiting;
    expect(waitingBefore).to.be.greaterThanOrEqual(6);
    await page.getByTestId('admit-per-second-input').fill('50');
    await page.getByTestId('apply').click();
    await until(async () => ((await page.getByTestId('applied').textContent()) ?? '').includes('50 admissions per second'), 'the change is shown as applied');
    // The room's figures come from the next poll of the API, a moment after the change is acknowledged.
    await until(async () => (await page.getByTestId('current-admit-per-second').textContent()) === '50', 'the room shows 50 admissions a second');
    await screenshot(page, 'rooms');
    // At 1 a second the line would need ≥ 6 s; at 50 it is gone within a couple of admission rounds.
    const started = Date.now();
    await page.getByTestId('nav-overview').click();
    // The charts kept sampling while the room controls were shown: their history is still there.
    expect(await chartPoints()).to.be.at.least(pointsBefore);
    await until(async () => (await chartPoints()) > pointsBefore, 'the chart goes on from its earlier points');
    await until(async () => (await tileNumber(page, 'waiting')) === 0, 'the waiting count drops to 0', 5000);
    expect(Date.now() - started).to.be.lessThan(waitingBefore * 1000);
  });

  it('runs an on-sale from the room controls: a room with an opening time, its pre-queue, pause and resume, a new rate, closing', async () => {
    const adminToken = (await call('POST', '/auth/login', undefined, ADMIN)).body.accessToken;
    const concert = await call('POST', '/admin/concerts', adminToken, {
      title: 'Console On-sale',
      artist: 'The Openers',
      venue: 'Hall 19',
      schedules: [{ startsAt: '2031-07-01T19:00:00.000Z', seats: [{ label: 'A-1', price: 40_000 }] }],
    });
    expect(concert.status, JSON.stringify(concert.body)).to.equal(201);
    const concertId = concert.body.id as number;
    await page.getByTestId('nav-rooms').click();
    await until(async () => (await page.getByTestId('new-room-concert').locator(`option[value="${concertId}"]`).count()) === 1, 'the new concert is offered');
    await page.getByTestId('new-room-concert').selectOption(String(concertId));
    // An hour from now, in the browser's own time zone (what a datetime-local input holds).
    const inAnHour = await page.evaluate(() => {
      const d = new Date(Date.now() + 3_600_000);
      return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    });
    await page.getByTestId('new-room-opens-at').fill(inAnHour);
    await page.getByTestId('new-room-max-active').fill('50');
    await page.getByTestId('new-room-admit').fill('5');
    await page.getByTestId('new-room-create').click();
    let room: { id: number; opensAt: string; paused: boolean; state: string; admitPerSecond: number } | undefined;
    await until(async () => {
      room = (await call('GET', '/admin/queue/rooms', adminToken)).body.items.find((r: { concertId: number }) => r.concertId === concertId);
      return room !== undefined;
    }, 'the room exists');
    const id = room!.id;
    expect(room).to.include({ state: 'SCHEDULED', admitPerSecond: 5, paused: false });
    expect(Math.abs(Date.parse(room!.opensAt) - (Date.now() + 3_600_000))).to.be.below(120_000);
    await until(async () => (await page.getByTestId(`room-${id}-state`).textContent()) === 'SCHEDULED', 'the card shows the room SCHEDULED');

    // A fan who comes early is in the pre-queue, and the card counts them.
    const fan = await newUser('early-fan');
    const early = await call('POST', '/queue/token', fan.token, { concertId });
    expect(early.status, JSON.stringify(early.body)).to.equal(201);
    expect(early.body.status).to.equal('PRE_QUEUE');
    await until(async () => ((await page.getByTestId(`room-${id}-counts`).textContent()) ?? '').startsWith('1 in the pre-queue'), 'the pre-queue count is 1');
    await screenshot(page, 'rooms-on-sale');

    await page.getByTestId(`room-${id}-admit-input`).fill('7');
    await page.getByTestId(`room-${id}-apply`).click();
    await until(
      async () => ((await page.getByTestId(`room-${id}-applied`).textContent()) ?? '').includes('7 admissions per second'),
      'the new rate is shown as applied',
    );
    expect((await call('GET', '/admin/queue/rooms', adminToken)).body.items.find((r: { id: number }) => r.id === id).admitPerSecond).to.equal(7);

    await page.getByTestId(`room-${id}-pause`).click();
    await until(async () => (await page.getByTestId(`room-${id}-state`).textContent()) === 'SCHEDULED · PAUSED', 'the card shows the room paused');
    expect((await call('GET', '/admin/queue/rooms', adminToken)).body.items.find((r: { id: number }) => r.id === id).paused).to.equal(true);
    await page.getByTestId(`room-${id}-pause`).click();
    await until(async () => (await page.getByTestId(`room-${id}-state`).textContent()) === 'SCHEDULED', 'the card shows the room resumed');

    // The overview shows the room beside the default one.
    await page.getByTestId('nav-overview').click();
    await until(
      async () => ((await page.getByTestId(`room-now-${id}`).textContent()) ?? '').startsWith(`${concertId}SCHEDULED`),
      'the overview lists the room, scheduled',
    );
    expect((await page.getByTestId(`room-now-${id}`).locator('td').nth(3).textContent()) ?? '').to.equal('1');
    // The room's own traffic: the early fan polling its PRE_QUEUE token shows as the room's polls per second.
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await call('GET', '/queue/status', fan.token, undefined, { 'x-queue-token': early.body.token });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await until(async () => Number(await page.getByTestId(`room-now-${id}-polls`).textContent()) > 0, "the room's polls per second rise");
    } finally {
      polling = false;
      await poller;
    }
    await page.getByTestId('nav-rooms').click();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId(`room-${id}-close`).click();
    await until(async () => (await page.getByTestId(`room-${id}-state`).textContent()) === 'CLOSED', 'the card shows the room closed');
    expect((await call('GET', '/admin/queue/rooms', adminToken)).body.items.find((r: { id: number }) => r.id === id).state).to.equal('CLOSED');
    expect(failures).to.deep.equal([]);
  });

  it('shows a seat turn SOLD on the seat map after a purchase, with counts and revenue', async () => {
    const adminToken = (await call('POST', '/auth/login', undefined, ADMIN)).body.accessToken;
    const concert = await call('POST', '/admin/concerts', adminToken, {
      title: 'Console Live',
      artist: 'The Operators',
      venue: 'Hall 20',
      schedules: [{ startsAt: '2031-06-01T19:00:00.000Z', seats: Array.from({ length: 24 }, (_, i) => ({ label: `A-${i + 1}`, price: 50_000 })) }],
    });
    expect(concert.status, JSON.stringify(concert.body)).to.equal(201);
    const scheduleId = concert.body.schedules[0].id;
    const seatId = concert.body.schedules[0].seats[4].id;
    await page.getByTestId('nav-sales').click();
    await page.getByTestId('concert-select').selectOption(String(concert.body.id));
    // Its one schedule, chosen as an operator would (the page may still show the schedule of the concert it first listed).
    await page.getByTestId('schedule-select').selectOption(String(scheduleId));
    const seat = page.locator('[data-seat="A-5"]');
    // The page re-reads the concert list every 10 s: a concert made a moment ago may take that long to be offered.
    await until(async () => (await seat.getAttribute('data-status').catch(() => null)) === 'AVAILABLE', 'A-5 shows AVAILABLE', 30_000);

    const buyer = await newUser('buyer');
    const join = await call('POST', '/queue/token', buyer.token);
    let status = join.body;
    for (let i = 0; i < 100 && status.status !== 'ACTIVE'; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await call('GET', '/queue/status', buyer.token, undefined, { 'x-queue-token': join.body.token })).body;
    }
    expect(status.status).to.equal('ACTIVE');
    const withPass = (method: string, path: string, body: unknown) => call(method, path, buyer.token, body, { 'x-queue-pass': status.pass.token });
    const hold = await withPass('POST', '/ticketing/reservations/new', { scheduleId, seatId });
    expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
    await until(async () => (await seat.getAttribute('data-status')) === 'HELD', 'A-5 shows HELD');
    expect((await call('POST', '/payments/charge', buyer.token, { amount: 100_000 })).status).to.equal(200);
    const pay = await withPass('POST', '/payments/process', { reservationId: hold.body.id });
    expect(pay.status, JSON.stringify(pay.body)).to.equal(200);
    await until(async () => (await seat.getAttribute('data-status')) === 'SOLD', 'A-5 shows SOLD');
    expect(await tileNumber(page, 'count-sold')).to.equal(1);
    expect(await tileNumber(page, 'count-available')).to.equal(23);
    expect(await page.getByTestId('sold-value').textContent()).to.equal('₩50,000');
    await until(async () => ((await page.getByTestId('schedule-revenue').textContent()) ?? '').startsWith('₩50,000 · 1 sales'), 'the feed reports the sale');
    await until(async () => ((await page.getByTestId('feed-all-summary').textContent()) ?? '').startsWith('1 confirmed sales'), 'the whole feed counts it');
    await screenshot(page, 'sales');
  });

  it("keeps the operator's pick of concert and schedule even when made the instant the options appear", async () => {
    const adminToken = (await call('POST', '/auth/login', undefined, ADMIN)).body.accessToken;
    const create = async (title: string, rows: string[]) => {
      const made = await call('POST', '/admin/concerts', adminToken, {
        title,
        artist: 'The Pickers',
        venue: 'Hall 21',
        schedules: rows.map((row, i) => ({
          startsAt: `2031-07-0${i + 1}T19:00:00.000Z`,
          seats: [1, 2, 3].map((n) => ({ label: `${row}-${n}`, price: 10_000 })),
        })),
      });
      expect(made.status, JSON.stringify(made.body)).to.equal(201);
      return made.body as { id: number; schedules: { id: number }[] };
    };
    await create('Listed First', ['F']);
    const picked = await create('Picked', ['P', 'Q']);
    const wantedSchedule = picked.schedules[1].id;
    await page.getByTestId('nav-overview').click();
    // The picks happen from a MutationObserver, in the same turn as the render that adds the options:
    // before any effect of that render has run (a late default must not overwrite them).
    // A string, not a function: the test runner's transform would add helpers the page does not have.
    await page.evaluate(`(() => {
      const pick = (testId, value) => {
        const select = document.querySelector('[data-testid="' + testId + '"]');
        if (!select || select.dataset.picked || ![...select.options].some((o) => o.value === String(value))) return;
        select.dataset.picked = 'yes';
        select.value = String(value);
        select.dispatchEvent(new Event('change', { bubbles: true }));
      };
      new MutationObserver(() => {
        pick('concert-select', ${picked.id});
        pick('schedule-select', ${wantedSchedule});
      }).observe(document.body, { childList: true, subtree: true });
    })()`);
    await page.getByTestId('nav-sales').click();
    const grid = page.getByTestId('seat-grid');
    await until(async () => (await grid.locator('[data-seat="Q-1"]').count()) === 1, "the picked schedule's seats are shown", 30_000);
    // Long enough for every effect and a round of polls: the picks stay.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await page.getByTestId('concert-select').inputValue()).to.equal(String(picked.id));
    expect(await page.getByTestId('schedule-select').inputValue()).to.equal(String(wantedSchedule));
    expect(await grid.locator('[data-seat]').evaluateAll((seats) => seats.map((s) => s.getAttribute('data-seat')))).to.deep.equal(['Q-1', 'Q-2', 'Q-3']);
  });

  it('lists a dead letter with its error; Replay hands it to the fixed handler, which takes it once', async () => {
    const poison = await call('POST', '/auth/signup', undefined, { email: `poison-${Date.now()}@test.local`, password: 'password-123', name: 'Poison' });
    expect(poison.status).to.equal(201);
    await page.getByTestId('nav-bus').click();
    const row = page.locator('tr[data-dead-letter^="data-platform:"]');
    await until(async () => (await row.count()) === 1, 'the dead letter is listed');
    expect(await row.locator('td.error').textContent()).to.contain('refused until the operator fixes it');
    await until(async () => (await page.getByTestId('dead-count-data-platform').textContent()) === '1', 'the module counts one dead letter');
    await screenshot(page, 'bus');

    probe.fail = false;
    await row.getByRole('button', { name: 'Replay' }).click();
    await until(async () => (await page.getByTestId('replayed').count()) === 1, 'the replay is acknowledged');
    await until(async () => (await row.count()) === 0, 'the dead letter leaves the list');
    await until(async () => (await page.getByTestId('dead-count-data-platform').textContent()) === '0', 'the module counts no dead letter');
    await page.getByTestId('no-dead-letters').waitFor();
    expect(probe.handled).to.equal(1);
  });

  it('refuses a non-admin: the API answers 403 and the page shows it', async () => {
    const user = await newUser('not-admin');
    const { context, page: other, failures: otherFailures } = await consolePage(browser);
    try {
      await logIn(other, base, user.email, 'password-123');
      const problem = other.getByTestId('problem');
      await problem.waitFor();
      expect(await problem.textContent()).to.match(/^403 FORBIDDEN: .*The console is for ADMIN accounts/);
      expect(await other.getByTestId('nav-overview').count()).to.equal(0);
      // And the API refuses that token whatever a page would do with it.
      for (const [method, path] of [
        ['GET', '/admin/queue'],
        ['PATCH', '/admin/queue'],
        ['GET', '/admin/events/dead'],
        ['POST', '/admin/events/dead/data-platform:1/retry'],
        ['GET', '/admin/schedules/1/seats'],
      ])
        expect((await call(method, path, user.token, method === 'PATCH' ? { admitPerSecond: 1 } : undefined)).status, `${method} ${path}`).to.equal(403);
      await screenshot(other, 'refused');
      expect(otherFailures).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });
});
