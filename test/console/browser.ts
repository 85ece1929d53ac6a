import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (package `chromium`; `.ci/run` installs it when missing). */
export const CHROMIUM = process.env.TEST_CHROMIUM ?? '/usr/bin/chromium';
/** Where the runs write a screenshot of each page, for the README (committed). */
export const SCREENSHOTS = path.resolve(__dirname, '../../docs/console');

let skippedTests = 0;

/** Launches headless Chromium; without it, skips the suite (a failure when TEST_REQUIRE_BROWSER=1, as in CI). */
export async function launchBrowser(context: Mocha.Context): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    if (process.env.TEST_REQUIRE_BROWSER === '1')
      throw new Error(`TEST_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
    skippedTests += context.test?.parent?.total() ?? 1;
    context.skip();
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** Says plainly that the browser tests were skipped (the run's summary; CI fails on "NOT run"). */
export function reportSkippedBrowserTests(): void {
  if (skippedTests > 0) console.log(`\nBrowser tests NOT run (${skippedTests}): install Chromium at ${CHROMIUM} (apt-get install -y chromium) to run them.`);
}

/**
 * A page of its own whose every Content-Security-Policy violation and uncaught error is recorded:
 * `failures` must stay empty (the console runs under its strict CSP, without inline code).
 */
export async function consolePage(browser: Browser): Promise<{ context: BrowserContext; page: Page; failures: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const failures: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text())) failures.push(m.text());
  });
  page.on('pageerror', (err) => failures.push(`page error: ${err.message}`));
  return { context, page, failures };
}

export async function logIn(page: Page, base: string, email: string, password: string): Promise<void> {
  await page.goto(`${base}/console`);
  await page.getByTestId('email').fill(email);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('login').click();
}

/** The number a tile shows (its first number), once the page has one. */
export async function tileNumber(page: Page, testId: string): Promise<number> {
  const text = (await page.getByTestId(testId).textContent()) ?? '';
  const match = /-?\d+(\.\d+)?/.exec(text.replace(/,/g, ''));
  return match ? Number(match[0]) : Number.NaN;
}

/** Waits (polling every 100 ms) until `check` holds; fails with `what` after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) expect.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The API over HTTP, as a buyer's client or a script would call it (beside the browser). */
export function httpClient(base: string) {
  const call = async (method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  /** A new account, signed up and logged in. */
  const newUser = async (name: string) => {
    const email = `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@test.local`;
    const signup = await call('POST', '/auth/signup', undefined, { email, password: 'password-123', name });
    expect(signup.status, JSON.stringify(signup.body)).to.equal(201);
    const login = await call('POST', '/auth/login', undefined, { email, password: 'password-123' });
    return { id: signup.body.id as number, email, token: login.body.accessToken as string };
  };
  return { call, newUser };
}
