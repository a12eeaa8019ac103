import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { freePort } from '../../bench/lib.js';
import { answered, apiClient } from '../../scripts/api/client.js';

export const ADMIN = { email: 'admin@e2e.test', password: 'admin e2e password' };


export interface RunningServer {
  url: string;
  /** The server's DATA_DIR (the embedded local Stripe keeps its keys there). */
  dataDir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the app the way `npm start` does (embedded database, local Stripe), in a fresh data dir; `env` adds settings. */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'devboard-e2e-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DEMO_DATA: '0',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      STRIPE_SECRET_KEY: '',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    dataDir,
    process: child,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? execSync('which chromium || which chromium-browser').toString().trim().split('\n')[0]!;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export const screenshotDir = path.resolve('test-results');
export async function screenshot(page: Page, name: string) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

export async function signUp(page: Page, base: string, username: string) {
  await page.goto(`${base}/signup`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=email]', `${username}@e2e.test`);
  await page.fill('input[name=password]', 'e2e password 123');
  await Promise.all([page.waitForURL(`${base}/dashboard`), page.click('button[type=submit]')]);
}

export async function logIn(page: Page, base: string, email: string, password: string) {
  await page.goto(`${base}/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
}

/** Chooses "A new card" in the checkout form and types a test card into the Payment Element. */
export async function fillCard(page: Page, number: string) {
  await page.check('input[name=payment_method][value=new]');
  const card = page.locator('#payment-element');
  await card.locator('input[data-field=number]').fill(number);
  await card.locator('input[data-field=expiry]').fill('12/34');
  await card.locator('input[data-field=cvc]').fill('123');
}

/** The admin grants `username` the right to post job listings, in a context of its own. */
export async function grantJobsTo(browser: Browser, base: string, username: string) {
  const adminContext = await browser.newContext();
  const adminPage = await adminContext.newPage();
  await logIn(adminPage, base, ADMIN.email, ADMIN.password);
  await adminPage.goto(`${base}/admin/users`);
  await Promise.all([adminPage.waitForURL(/\/admin\/users\?done=granted$/), adminPage.locator('tr', { hasText: username }).getByRole('button', { name: 'Grant' }).click()]);
  await adminContext.close();
}

/** Writes an unpaid job listing in the editor, which then offers the checkout form; returns the article's id. */
export async function writeListing(page: Page, base: string, title: string, published = true): Promise<number> {
  await page.goto(`${base}/articles/new`);
  await page.fill('input[name=title]', title);
  await page.fill('textarea[name=body_markdown]', `**${title}**: we are hiring.`);
  await page.check('input[name=job_listing]');
  if (published) await page.check('input[name=published]');
  await Promise.all([page.waitForURL(/\/articles\/\d+\/edit\?saved=1$/), page.click('form.stack button[type=submit]')]);
  return Number(page.url().match(/\/articles\/(\d+)\/edit/)![1]);
}

export async function jobTitles(base: string): Promise<string[]> {
  return answered(await apiClient(base).GET('/api/v1/jobs')).jobs.map((j) => j.title);
}

/** The buyer's newest charge, as their payments list shows it: the one an attempt that stayed on our form made. */
export async function newestCharge(page: Page, base: string): Promise<number> {
  await page.goto(`${base}/settings/billing`);
  const href = (await page.locator('table tbody tr a[href^="/charges/"]').first().getAttribute('href')) ?? '';
  return Number(href.match(/^\/charges\/(\d+)$/)![1]);
}

/** Waits until the charge page shows `status` (a webhook settles it), failing after 15 seconds. */
export async function waitForChargeStatus(page: Page, base: string, chargeId: number, status: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    await page.goto(`${base}/charges/${chargeId}`);
    const seen = await page.locator('[data-status]').first().getAttribute('data-status');
    if (seen === status) return;
    if (Date.now() > deadline) throw new Error(`charge ${chargeId} stayed ${seen}, expected ${status}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * What the buyer is told about a charge, in every place it shows: its row in their payments list,
 * its page (the heading says "Receipt" only when money was taken), and /jobs. A test asserts they agree.
 */
export async function chargeOutcome(page: Page, base: string, chargeId: number, title: string) {
  await page.goto(`${base}/settings/billing`);
  const row = page.locator('tr', { has: page.locator(`a[href="/charges/${chargeId}"]`) });
  await expect(row.count()).resolves.toBe(1);
  const rowStatus = await row.locator('[data-status]').getAttribute('data-status');
  await page.goto(`${base}/charges/${chargeId}`);
  return {
    row: rowStatus,
    page: await page.locator('[data-status]').first().getAttribute('data-status'),
    heading: (await page.locator('h1').textContent()) ?? '',
    receipt: (await page.locator('.receipt').textContent()) ?? '',
    onJobs: (await jobTitles(base)).includes(title),
  };
}
