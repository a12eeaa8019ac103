import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, fillCard, launchBrowser, logIn, type RunningServer, screenshot, signUp, startServer } from './harness.js';

let server: RunningServer;
let browser: Browser;
let buyer: BrowserContext;
let page: Page;
const username = `jane${Date.now() % 100000}`;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  buyer = await browser.newContext();
  page = await buyer.newPage();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function grantJobsTo(name: string) {
  const adminContext = await browser.newContext();
  const adminPage = await adminContext.newPage();
  await logIn(adminPage, server.url, ADMIN.email, ADMIN.password);
  await adminPage.goto(`${server.url}/admin/users`);
  const row = adminPage.locator('tr', { hasText: name });
  await Promise.all([adminPage.waitForURL(/\/admin\/users\?done=granted$/), row.getByRole('button', { name: 'Grant' }).click()]);
  await expect(adminPage.locator('tr', { hasText: name }).getByRole('button', { name: 'Revoke' })).toBeTruthy();
  await adminContext.close();
}

async function writeListing(title: string, published = true): Promise<number> {
  await page.goto(`${server.url}/articles/new`);
  await page.fill('input[name=title]', title);
  await page.fill('textarea[name=body_markdown]', `**${title}**: we are hiring.`);
  await page.check('input[name=job_listing]');
  if (published) await page.check('input[name=published]');
  await Promise.all([page.waitForURL(/\/articles\/\d+\/edit\?saved=1$/), page.click('form.stack button[type=submit]')]);
  return Number(page.url().match(/\/articles\/(\d+)\/edit/)![1]);
}

async function jobTitles(): Promise<string[]> {
  const res = await fetch(`${server.url}/api/v1/jobs`);
  return ((await res.json()) as { jobs: Array<{ title: string }> }).jobs.map((j) => j.title);
}

async function paymentsCount(): Promise<number> {
  await page.goto(`${server.url}/settings/billing`);
  return page.locator('table tbody tr').count();
}

describe('checkout in a real browser', () => {
  it('signs up, gets permission, writes a job listing, pays with a new card and appears on /jobs', async () => {
    await signUp(page, server.url, username);
    await grantJobsTo(username);
    const id = await writeListing('Staff Engineer, Payments');
    // The editor offers the checkout inline for an unpaid listing.
    await expect(page.locator('form#checkout [data-price]').textContent()).resolves.toBe('$25.00');
    await fillCard(page, '4242 4242 4242 4242');
    await page.check('input[name=save_card]');
    await screenshot(page, 'checkout');
    await Promise.all([page.waitForURL(/\/charges\/\d+(\?done=paid)?$/), page.click('#pay')]);
    await expect(page.locator('[data-status]').getAttribute('data-status')).resolves.toBe('succeeded');
    await expect(page.locator('.receipt').textContent()).resolves.toContain('Live on /jobs until');
    await screenshot(page, 'receipt');
    expect(await jobTitles()).toContain('Staff Engineer, Payments');
    await page.goto(`${server.url}/jobs`);
    await expect(page.locator('main').textContent()).resolves.toContain('Staff Engineer, Payments');
    expect(id).toBeGreaterThan(0);
  });

  it('pays again with the saved card and bumps the listing to the top', async () => {
    const first = (await jobTitles())[0]!;
    const second = 'Second listing, Berlin';
    await writeListing(second);
    await fillCard(page, '5555555555554444');
    await Promise.all([page.waitForURL(/\/charges\/\d+(\?done=paid)?$/), page.click('#pay')]);
    expect((await jobTitles())[0]).toBe(second);

    const firstId = await page.evaluate(async (title) => {
      const res = await fetch('/api/v1/jobs');
      return ((await res.json()) as { jobs: Array<{ id: number; title: string }> }).jobs.find((j) => j.title === title)!.id;
    }, first);
    await page.goto(`${server.url}/charges/new?product=job_listing&article_id=${firstId}`);
    const saved = page.locator('input[name=payment_method]').first();
    await expect(saved.isChecked()).resolves.toBe(true);
    await expect(saved.getAttribute('value')).resolves.toMatch(/^pm_/);
    await Promise.all([page.waitForURL(/\/charges\/\d+(\?done=paid)?$/), page.click('#pay')]);
    await expect(page.locator('.receipt').textContent()).resolves.toContain('ending 4242');
    expect((await jobTitles())[0]).toBe(first);
  });

  it("shows a declined card's message from Stripe and does not list the job", async () => {
    await writeListing('Declined listing');
    await fillCard(page, '4000000000000002');
    await page.click('#pay');
    await expect(page.locator('#checkout-error').filter({ hasText: 'Your card was declined.' }).waitFor()).resolves.toBeUndefined();
    expect(page.url()).toMatch(/\/edit/);
    expect(await jobTitles()).not.toContain('Declined listing');
  });

  it('completes 3-D Secure in the authentication frame', async () => {
    await writeListing('3DS completed listing');
    await fillCard(page, '4000002760003184');
    await page.click('#pay');
    const frame = page.frameLocator('iframe[name=local-stripe-3ds]');
    await frame.locator('#complete-auth').click();
    await page.waitForURL(/\/charges\/\d+(\?done=paid)?$/);
    await expect(page.locator('[data-status]').getAttribute('data-status')).resolves.toBe('succeeded');
    expect(await jobTitles()).toContain('3DS completed listing');
  });

  it('fails 3-D Secure and says so', async () => {
    await writeListing('3DS failed listing');
    await fillCard(page, '4000002760003184');
    await page.click('#pay');
    await page.frameLocator('iframe[name=local-stripe-3ds]').locator('#fail-auth').click();
    await page.locator('#checkout-error').filter({ hasText: 'unable to authenticate' }).waitFor();
    expect(await jobTitles()).not.toContain('3DS failed listing');
  });

  it('makes one charge from a double click on Pay', async () => {
    const before = await paymentsCount();
    await writeListing('Double click listing');
    await page.dblclick('#pay');
    await page.waitForURL(/\/charges\/\d+(\?done=paid)?$/);
    expect(await paymentsCount()).toBe(before + 1);
    expect((await jobTitles()).filter((t) => t === 'Double click listing')).toHaveLength(1);
  });
});
