import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, launchBrowser, logIn, type RunningServer, screenshot, signUp, startServer } from './harness.js';

/** What a member, a job poster and an admin do around the checkout, in a real browser. */

let server: RunningServer;
let browser: Browser;
let page: Page;
const username = `pat${Date.now() % 100000}`;
const paidUrl = /\/charges\/\d+(\?done=paid)?$/;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await (await browser.newContext()).newPage();
  await signUp(page, server.url, username);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function newCard(number: string, expiry = '1234') {
  await page.check('input[name=payment_method][value=new]');
  const card = page.locator('#payment-element');
  await card.locator('input[data-field=number]').pressSequentially(number);
  await card.locator('input[data-field=expiry]').pressSequentially(expiry);
  await card.locator('input[data-field=cvc]').pressSequentially('123');
}

describe('a member becomes a job poster', () => {
  it('asks for permission on the Write page, an admin approves, and the member can post a job listing', async () => {
    await page.goto(`${server.url}/articles/new`);
    await expect(page.locator('input[name=job_listing]').count()).resolves.toBe(0);
    await page.fill('textarea[name=note]', 'We are hiring two engineers in Lisbon.');
    await Promise.all([page.waitForURL(/\/articles\/new\?done=permission_requested$/), page.click('text=Ask to post job listings')]);
    await expect(page.locator('.flash').textContent()).resolves.toContain('Your request was sent.');
    await expect(page.locator('[data-permission=pending]').count()).resolves.toBe(1);
    await screenshot(page, 'permission-requested');

    const admin = await (await browser.newContext()).newPage();
    await logIn(admin, server.url, ADMIN.email, ADMIN.password);
    await admin.goto(`${server.url}/admin/finance`);
    await Promise.all([admin.waitForURL(/\/admin\/permission-requests$/), admin.click('.admin-nav >> text=Permission requests')]);
    const row = admin.locator('tr', { hasText: username });
    await expect(row.textContent()).resolves.toContain('We are hiring two engineers in Lisbon.');
    await screenshot(admin, 'permission-requests');
    await Promise.all([admin.waitForURL(/\?done=approved$/), row.getByRole('button', { name: `Approve ${username}` }).click()]);
    await expect(admin.locator('.flash').textContent()).resolves.toContain('Approved');
    await expect(admin.locator('tr', { hasText: username }).count()).resolves.toBe(0);
    await admin.context().close();

    await page.goto(`${server.url}/articles/new`);
    await expect(page.locator('[data-permission]').count()).resolves.toBe(0);
    await page.fill('input[name=title]', 'Backend engineer, Lisbon');
    await page.fill('textarea[name=body_markdown]', 'Join us.');
    await page.check('input[name=job_listing]');
    await page.check('input[name=published]');
    await Promise.all([page.waitForURL(/\/articles\/\d+\/edit\?saved=1$/), page.click('form.stack button[type=submit]')]);
    await expect(page.locator('form#checkout').count()).resolves.toBe(1);
  });
});

describe('checkout', () => {
  it('formats the card as it is typed, as Stripe does', async () => {
    await page.goto(`${server.url}/charges/new?product=billboard`);
    await newCard('4242424242424242', '1234');
    const card = page.locator('#payment-element');
    await expect(card.locator('input[data-field=number]').inputValue()).resolves.toBe('4242 4242 4242 4242');
    await expect(card.locator('input[data-field=expiry]').inputValue()).resolves.toBe('12 / 34');
    // Backspace from the end takes the year, then the separator with it.
    const expiry = card.locator('input[data-field=expiry]');
    await expiry.press('End');
    await expiry.press('Backspace');
    await expect(expiry.inputValue()).resolves.toBe('12 / 3');
    await expiry.press('Backspace');
    await expect(expiry.inputValue()).resolves.toBe('12');
  });

  it("shows the server's error beside a bad billboard link and keeps what was typed", async () => {
    await page.goto(`${server.url}/charges/new?product=billboard`);
    await page.fill('input[name=headline]', 'Our conference');
    await page.fill('input[name=link_url]', 'ftp://not-a-web-page');
    await newCard('4242424242424242');
    await page.click('#pay');
    const error = page.locator('#error-link_url');
    await error.filter({ hasText: /.+/ }).waitFor();
    await expect(page.locator('input[name=link_url]').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('input[name=headline]').inputValue()).resolves.toBe('Our conference');
    await expect(page.locator('input[name=link_url]').inputValue()).resolves.toBe('ftp://not-a-web-page');
    expect(new URL(page.url()).pathname).toBe('/charges/new');
    await screenshot(page, 'checkout-field-error');
  });

  it("shows a declined card's payment as failed, with what to do next and no receipt", async () => {
    await page.goto(`${server.url}/charges/new?product=billboard`);
    await page.fill('input[name=headline]', 'A declined ad');
    await page.fill('input[name=link_url]', 'https://ads.example');
    await newCard('4000000000000002');
    await page.click('#pay');
    await page.locator('#checkout-error').filter({ hasText: 'Your card was declined.' }).waitFor();
    await page.goto(`${server.url}/settings/billing`);
    const row = page.locator('tr', { has: page.locator('[data-status=failed]') }).first();
    await expect(row.locator('[data-status]').textContent()).resolves.toBe('Failed');
    await Promise.all([page.waitForURL(/\/charges\/\d+$/), row.getByRole('link', { name: 'Details' }).click()]);
    await expect(page.locator('h1').textContent()).resolves.not.toContain('Receipt');
    await expect(page.locator('[data-status]').textContent()).resolves.toBe('Failed');
    await expect(page.locator('main').textContent()).resolves.toContain('Try again with another card');
    await expect(page.locator('a', { hasText: 'Download PDF' }).count()).resolves.toBe(0);
    await expect(page.locator('main').textContent()).resolves.not.toContain('Live on /jobs');
    await expect(page.locator('[data-pay-again]').textContent()).resolves.toBe('Try again');
    await screenshot(page, 'failed-charge');
  });
});

describe('a job poster', () => {
  it('pays for the listing, then extends it a week from the dashboard', async () => {
    await page.goto(`${server.url}/dashboard`);
    await Promise.all([page.waitForURL(/\/charges\/new\?product=job_listing&article_id=\d+$/), page.click('tr:has-text("Backend engineer, Lisbon") >> text=Pay to list on /jobs')]);
    await newCard('4242424242424242');
    await page.check('input[name=save_card]');
    await Promise.all([page.waitForURL(paidUrl), page.click('#pay')]);
    await expect(page.locator('.flash').textContent()).resolves.toContain('Thank you');
    const firstUntil = (await page.locator('.receipt').textContent())!.match(/Live on \/jobs until ([^.]+UTC)/)![1]!;

    await page.goto(`${server.url}/dashboard`);
    const row = page.locator('tr', { hasText: 'Backend engineer, Lisbon' });
    await expect(row.locator('.badge.paid').count()).resolves.toBe(1);
    await Promise.all([page.waitForURL(/\/charges\/new\?product=job_listing&article_id=\d+$/), row.locator('[data-extend]').click()]);
    // The saved card is offered first.
    await expect(page.locator('input[name=payment_method]').first().isChecked()).resolves.toBe(true);
    await Promise.all([page.waitForURL(paidUrl), page.click('#pay')]);
    await expect(page.locator('.flash').textContent()).resolves.toContain('Thank you');
    const until = (await page.locator('.receipt').textContent())!.match(/Live on \/jobs until ([^.]+UTC)/)![1]!;
    expect(Date.parse(until.replace(' UTC', 'Z').replace(' ', 'T')) - Date.parse(firstUntil.replace(' UTC', 'Z').replace(' ', 'T'))).toBe(7 * 24 * 3600_000);
    await screenshot(page, 'listing-extended');
  });
});
