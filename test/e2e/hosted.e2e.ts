import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, launchBrowser, logIn, type RunningServer, screenshot, signUp, startServer } from './harness.js';

/**
 * Stripe-hosted Checkout (CHECKOUT_MODE=hosted) in a real browser: "Pay on Stripe's checkout page"
 * on our form, the local Stripe's hosted page, and back to our return page. After each purchase,
 * /jobs, the charge row (the API) and the charge page (the receipt) must say the same thing.
 */

let server: RunningServer;
let browser: Browser;
let page: Page;
const username = `hosted${Date.now() % 100000}`;

beforeAll(async () => {
  server = await startServer({ CHECKOUT_MODE: 'hosted' });
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signUp(page, server.url, username);
  const adminContext = await browser.newContext();
  const adminPage = await adminContext.newPage();
  await logIn(adminPage, server.url, ADMIN.email, ADMIN.password);
  await adminPage.goto(`${server.url}/admin/users`);
  await Promise.all([adminPage.waitForURL(/\/admin\/users\?done=granted$/), adminPage.locator('tr', { hasText: username }).getByRole('button', { name: 'Grant' }).click()]);
  await adminContext.close();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A published, unpaid job listing; its editor offers the checkout form. */
async function writeListing(title: string): Promise<void> {
  await page.goto(`${server.url}/articles/new`);
  await page.fill('input[name=title]', title);
  await page.fill('textarea[name=body_markdown]', `**${title}**: we are hiring.`);
  await page.check('input[name=job_listing]');
  await page.check('input[name=published]');
  await Promise.all([page.waitForURL(/\/articles\/\d+\/edit\?saved=1$/), page.click('form.stack button[type=submit]')]);
}

/** "Pay on Stripe's checkout page": our row, then Stripe's page for the session. */
async function toStripesPage(title: string): Promise<void> {
  await writeListing(title);
  await Promise.all([page.waitForURL(/\/c\/pay\/cs_test_/), page.click('#pay-hosted')]);
  await expect(page.locator('#total').textContent()).resolves.toBe('25.00 USD');
}

async function typeCard(number: string) {
  await page.getByLabel('Card number').pressSequentially(number);
  await page.getByLabel('Expiry (MM / YY)').pressSequentially('1234');
  await page.getByLabel('CVC').pressSequentially('123');
}

const chargeIdOnPage = () => Number(new URL(page.url()).pathname.match(/^\/charges\/(\d+)$/)![1]);

async function jobTitles(): Promise<string[]> {
  const res = await fetch(`${server.url}/api/v1/jobs`);
  return ((await res.json()) as { jobs: Array<{ title: string }> }).jobs.map((j) => j.title);
}

/** /jobs, the charge row (as the buyer's payments list shows it) and the charge page, which must agree. */
async function outcome(chargeId: number, title: string) {
  await page.goto(`${server.url}/settings/billing`);
  const row = await page.locator('tr', { has: page.locator(`a[href="/charges/${chargeId}"]`) }).locator('[data-status]').getAttribute('data-status');
  await page.goto(`${server.url}/charges/${chargeId}`);
  return {
    row,
    page: await page.locator('[data-status]').first().getAttribute('data-status'),
    receipt: (await page.locator('.receipt').textContent()) ?? '',
    onJobs: (await jobTitles()).includes(title),
  };
}

/** The embedded local Stripe's control API (its secret key is in the server's DATA_DIR). */
async function localStripe(pathName: string, body: unknown) {
  const secretKey = readFileSync(path.join(server.dataDir, 'local-stripe-secret-key'), 'utf8').trim();
  const stripeUrl = new URL(page.url()).origin;
  const res = await fetch(`${stripeUrl}${pathName}`, { method: 'POST', headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

describe("Stripe's checkout page in a real browser", () => {
  it('pays with a new card on the hosted page and comes back to a receipt; the listing is on /jobs', async () => {
    const title = 'Hosted paid listing';
    await toStripesPage(title);
    await typeCard('4242424242424242');
    await screenshot(page, 'hosted-checkout');
    await Promise.all([page.waitForURL(/\/charges\/\d+$/), page.click('#pay')]);
    const id = chargeIdOnPage();
    const seen = await outcome(id, title);
    expect(seen).toMatchObject({ row: 'succeeded', page: 'succeeded', onJobs: true });
    expect(seen.receipt).toContain('Live on /jobs until');
    expect(seen.receipt).toContain('ending 4242');
  });

  it('cancelled: the cancel link comes back to a pending charge, and nothing is bought', async () => {
    const title = 'Hosted cancelled listing';
    await toStripesPage(title);
    await Promise.all([page.waitForURL(/\/charges\/\d+$/), page.click('#cancel')]);
    const seen = await outcome(chargeIdOnPage(), title);
    expect(seen).toMatchObject({ row: 'pending', page: 'pending', onJobs: false });
    expect(seen.receipt).not.toContain('Live on /jobs until');
  });

  it('completes 3-D Secure on the hosted page', async () => {
    const title = 'Hosted 3DS listing';
    await toStripesPage(title);
    await typeCard('4000002760003184');
    await page.click('#pay');
    await Promise.all([page.waitForURL(/\/charges\/\d+$/), page.click('#complete-auth')]);
    const seen = await outcome(chargeIdOnPage(), title);
    expect(seen).toMatchObject({ row: 'succeeded', page: 'succeeded', onJobs: true });
    expect(seen.receipt).toContain('Live on /jobs until');
  });

  it("expired: when the session expires (the local Stripe's clock moved), the charge is canceled and nothing is bought", async () => {
    const title = 'Hosted expired listing';
    await toStripesPage(title);
    const sessionUrl = page.url();
    // Past expires_at (31 minutes): Stripe expires the session and sends checkout.session.expired.
    await localStripe('/_local/clock/advance', { seconds: 32 * 60 });
    await page.goto(sessionUrl);
    await expect(page.locator('h1').textContent()).resolves.toBe('This checkout session has expired');
    await Promise.all([page.waitForURL(/\/charges\/\d+$/), page.click('#cancel')]);
    const id = chargeIdOnPage();
    const seen = await outcome(id, title);
    expect(seen).toMatchObject({ row: 'canceled', page: 'canceled', onJobs: false });
    expect(seen.receipt).not.toContain('Live on /jobs until');
  });
});
