import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { MODULE_NAMES } from '../../src/platform/config/config';
import { freePort, ServerProcess } from '../e2e/server-process';
import { ensureBuilt } from '../support/build';
import { ADMIN, tempDataDir } from '../support/test-app';
import { freshNamespace, natsUrl, requireBroker } from '../support/test-broker';
import { consolePage, httpClient, launchBrowser, logIn, screenshot, tileNumber, until } from './browser';

/**
 * The console through the split topology's gateway (`TOPOLOGY=split`: the gateway and one process
 * per module on NATS JetStream): the gateway serves the page itself, and the page's calls are
 * routed to the services (or answered by the gateway's own aggregate endpoints).
 */
describe('operator console in the browser (split topology, through the gateway)', function () {
  this.timeout(360_000);
  let split: ServerProcess;
  let browser: Browser;
  let page: Page;
  let failures: string[];

  const call: ReturnType<typeof httpClient>['call'] = (...args) => httpClient(split.base).call(...args);
  const newUser = (name: string) => httpClient(split.base).newUser(name);

  before(async function () {
    requireBroker(this);
    browser = await launchBrowser(this);
    ensureBuilt('console');
    split = new ServerProcess(
      {
        TOPOLOGY: 'split',
        NATS_URL: natsUrl!,
        BUS_NAMESPACE: freshNamespace(),
        DATA_DIR: tempDataDir(),
        JWT_SECRET: 'split-console-secret-split-console-secret',
        TICKET_SECRET: 'split-console-ticket-secret-split-console',
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        AUTH_RATE_LIMIT_PER_MINUTE: '100000',
        QUEUE_ADMIT_PER_SECOND: '1',
      },
      await freePort(),
      // Seven processes under tsx: on a busy machine they take longer than one app to be ready.
      { quiet: true, startTimeoutMs: 240_000 },
    );
    await split.start().catch((err: Error) => {
      throw new Error(`${err.message}: ${split.stderr.slice(-2000)}`);
    });
    ({ page, failures } = await consolePage(browser));
  });
  after(async () => {
    await browser?.close();
    await split?.stop();
  });
  afterEach(() => expect(failures, 'CSP violations or page errors').to.deep.equal([]));

  it('is served by the gateway itself under the same strict CSP', async () => {
    const res = await fetch(`${split.base}/console`);
    expect(res.status).to.equal(200);
    expect(await res.text()).to.contain('<div id="app"></div>');
    expect(res.headers.get('content-security-policy')).to.contain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).to.not.contain('unsafe');
  });

  it('logs an admin in and shows the services, their restarts and consumer lag', async () => {
    await logIn(page, split.base, ADMIN.email, ADMIN.password);
    await page.getByTestId('nav-overview').waitFor();
    expect(await page.getByTestId('topology').textContent()).to.match(/^split topology · \d+ services$/);
    await page.getByTestId('nav-bus').click();
    for (const name of MODULE_NAMES) {
      const row = page.locator(`tr[data-service="${name}"]`);
      await until(async () => (await row.count()) === 1 && (await row.locator('td').nth(1).textContent()) === 'up', `the ${name} service is listed up`);
      expect(await page.getByTestId(`restarts-${name}`).textContent()).to.equal('0');
    }
    await until(
      async () => (await page.locator('[data-testid="bus-stats"] tr[data-module]').count()) === MODULE_NAMES.length,
      'the outbox of every module is listed',
    );
    await page.getByTestId('no-dead-letters').waitFor();
    await screenshot(page, 'bus-split');
  });

  it('shows the waiting count rise as users join through the gateway, and applies a new admission rate', async () => {
    await page.getByTestId('nav-overview').click();
    const users = [];
    for (let i = 0; i < 10; i += 1) users.push(await newUser(`split-waiter${i}`));
    for (const u of users) expect((await call('POST', '/queue/token', u.token)).status).to.be.oneOf([200, 201]);
    await until(async () => (await tileNumber(page, 'waiting')) >= 5, 'the waiting count rises to at least 5');
    await until(async () => (await tileNumber(page, 'joins-rate')) > 0, 'joins per second are shown (from the queue service metrics)');

    await page.getByTestId('nav-rooms').click();
    await page.getByTestId('admit-per-second-input').fill('40');
    await page.getByTestId('apply').click();
    await until(async () => ((await page.getByTestId('applied').textContent()) ?? '').includes('40 admissions per second'), 'the change is shown as applied');
    await page.getByTestId('nav-overview').click();
    await until(async () => (await tileNumber(page, 'waiting')) === 0, 'the line drains at the new rate', 8000);
  });

  it('shows a schedule’s seat map from the concert service', async () => {
    const adminToken = (await call('POST', '/auth/login', undefined, ADMIN)).body.accessToken;
    const concert = await call('POST', '/admin/concerts', adminToken, {
      title: 'Split Console Live',
      artist: 'Six Processes',
      venue: 'Hall 6',
      schedules: [{ startsAt: '2031-07-01T19:00:00.000Z', seats: Array.from({ length: 12 }, (_, i) => ({ label: `B-${i + 1}`, price: 30_000 })) }],
    });
    expect(concert.status).to.equal(201);
    await page.getByTestId('nav-sales').click();
    await page.getByTestId('concert-select').selectOption(String(concert.body.id));
    await until(async () => (await page.locator('.seat-grid [data-status="AVAILABLE"]').count()) === 12, 'the twelve seats show AVAILABLE');
  });

  it('refuses a non-admin through the gateway: 403, shown by the page', async () => {
    const user = await newUser('split-not-admin');
    const { context, page: other } = await consolePage(browser);
    try {
      await logIn(other, split.base, user.email, 'password-123');
      await other.getByTestId('problem').waitFor();
      expect(await other.getByTestId('problem').textContent()).to.match(/^403 FORBIDDEN/);
      expect((await call('GET', '/admin/services', user.token)).status).to.equal(403);
      expect((await call('GET', '/admin/events/dead', user.token)).status).to.equal(403);
    } finally {
      await context.close();
    }
  });
});
