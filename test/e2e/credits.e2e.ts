import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answered, apiClient } from '../../scripts/api/client.js';
import { ADMIN, fillCard, launchBrowser, logIn, type RunningServer, screenshot, signUp, startServer } from './harness.js';

/**
 * A company pays with credits, in a real browser: its admin creates the organization, adds a member
 * and buys 10 credits (the tier price shown before paying); the member posts a listing on its behalf
 * and pays with one of them; the ledger shows both; a member of another organization sees none of it.
 */

let server: RunningServer;
let browser: Browser;
let boss: Page;
let recruiter: Page;
let outsider: Page;
const suffix = Date.now() % 100000;
const names = { boss: `boss${suffix}`, recruiter: `recr${suffix}`, outsider: `out${suffix}` };
const slug = `hire-co-${suffix}`;
const title = `Staff engineer at Hire Co ${suffix}`;
/** The receipt of the purchase of 10 credits. */
let receiptUrl = '';

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const page = async () => (await browser.newContext()).newPage();
  [boss, recruiter, outsider] = [await page(), await page(), await page()];
  await signUp(boss, server.url, names.boss);
  await signUp(recruiter, server.url, names.recruiter);
  await signUp(outsider, server.url, names.outsider);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function createOrganization(page: Page, name: string, orgSlug: string) {
  await page.goto(`${server.url}/organizations`);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=slug]', orgSlug);
  await Promise.all([page.waitForURL(`${server.url}/organizations/${orgSlug}?done=created`), page.getByRole('button', { name: 'Create' }).click()]);
}

describe('an organization pays with credits', () => {
  it('its admin creates it and adds a member; a site admin lets it post jobs', async () => {
    await createOrganization(boss, 'Hire Co', slug);
    await boss.fill('input[name=username]', names.recruiter);
    await Promise.all([boss.waitForURL(/\?done=member_added$/), boss.getByRole('button', { name: 'Add', exact: true }).click()]);
    await expect(boss.locator('.flash').textContent()).resolves.toContain('Member added');
    const anonymous = apiClient(server.url);
    const admin = apiClient(server.url, answered(await anonymous.POST('/api/v1/tokens', { body: ADMIN })).token);
    answered(await admin.POST('/api/v1/admin/organizations/{slug}/permissions', { params: { path: { slug } }, body: { can_post_jobs: true } }));
  });

  it('its admin buys 10 credits, seeing the tier price before paying', async () => {
    await boss.goto(`${server.url}/organizations/${slug}`);
    await Promise.all([boss.waitForURL(`${server.url}/organizations/${slug}/credits`), boss.getByRole('link', { name: 'Its credits' }).click()]);
    await expect(boss.locator('[data-balance]').getAttribute('data-balance')).resolves.toBe('0');
    await boss.fill('#quantity', '10');
    await expect(boss.locator('select[name=organization]').inputValue()).resolves.toBe(slug);
    await Promise.all([boss.waitForURL(/\/credits\?quantity=10&organization=/), boss.getByRole('button', { name: 'See the price' }).click()]);
    const lines = (await boss.locator('tr[data-quote-line]').allTextContents()).map((l) => l.replace(/\s+/g, ' '));
    expect(lines).toEqual(['4 × $25.00$100.00', '5 × $22.50$112.50', '1 × $20.00$20.00']);
    await expect(boss.locator('[data-total]').textContent()).resolves.toBe('$232.50');
    await expect(boss.locator('#quantity').inputValue()).resolves.toBe('10');
    await screenshot(boss, 'credits-quote');
    await Promise.all([boss.waitForURL(/\/charges\/new\?product=credit_pack&quantity=10&organization=/), boss.getByRole('button', { name: /Continue to payment: \$232\.50/ }).click()]);
    await expect(boss.locator('#pay').textContent()).resolves.toBe('Pay $232.50');
    await expect(boss.locator('input[name=quantity]').inputValue()).resolves.toBe('10');
    await fillCard(boss, '4242424242424242');
    await Promise.all([boss.waitForURL(/\/charges\/\d+\?done=paid$/), boss.click('#pay')]);
    await expect(boss.locator('[data-amount]').textContent()).resolves.toBe('$232.50');
    receiptUrl = boss.url().replace(/\?.*$/, '');
    await boss.goto(`${server.url}/organizations/${slug}/credits`);
    await expect(boss.locator('[data-balance]').getAttribute('data-balance')).resolves.toBe('10');
  });

  it('its member posts a listing on its behalf and pays for it with one credit, no card', async () => {
    await recruiter.goto(`${server.url}/articles/new`);
    await recruiter.fill('input[name=title]', title);
    await recruiter.fill('textarea[name=body_markdown]', 'We are hiring a **staff engineer**.');
    await recruiter.selectOption('select[name=organization]', slug);
    await recruiter.check('input[name=job_listing]');
    await recruiter.check('input[name=published]');
    await Promise.all([recruiter.waitForURL(/\/articles\/\d+\/edit\?saved=1$/), recruiter.click('form.stack button[type=submit]')]);
    const pay = recruiter.getByRole('button', { name: 'Pay with 1 credit of Hire Co (its balance 10)' });
    await expect(recruiter.getByRole('button', { name: 'Pay with 1 credit (your balance 0)' }).count()).resolves.toBe(1);
    await screenshot(recruiter, 'credits-pay-box');
    await Promise.all([recruiter.waitForURL(/\/charges\/\d+\?done=paid$/), pay.click()]);
    await expect(recruiter.locator('[data-status]').first().getAttribute('data-status')).resolves.toBe('succeeded');
    await recruiter.goto(`${server.url}/jobs`);
    const row = recruiter.locator('article, li, tr, .card', { hasText: title }).first();
    await expect(row.locator('[data-organization]').first().textContent()).resolves.toContain('Hire Co');
  });

  it("its admin's ledger, the receipt and the finance console agree; another organization's member gets 404", async () => {
    await boss.goto(`${server.url}/organizations/${slug}/credits`);
    await expect(boss.locator('[data-balance]').getAttribute('data-balance')).resolves.toBe('9');
    const rows = boss.locator('table tbody tr[data-reason]');
    await expect(rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-reason'), tr.getAttribute('data-change')]))).resolves.toEqual([
      ['purchase', '10'],
      ['spend', '-1'],
    ]);
    await expect(rows.nth(0).textContent()).resolves.toMatch(/\+10[\s\S]*Bought[\s\S]*#\d+[\s\S]*/);
    await expect(rows.nth(1).textContent()).resolves.toMatch(/−1[\s\S]*Spent[\s\S]*#\d+/);
    await expect(rows.nth(1).textContent()).resolves.toContain(names.recruiter);
    await screenshot(boss, 'credits-ledger');

    // The receipt says the same: 10 credits for the organization, tier by tier, made out to it.
    await boss.goto(receiptUrl);
    const receipt = (await boss.locator('main').textContent())!.replace(/\s+/g, ' ');
    for (const text of ['$232.50', `10 credits for the organization ${slug}`, 'Credits 1–4 at $25.00 each', 'Billed to', 'Hire Co']) expect(receipt).toContain(text);
    await expect(outsider.goto(`${server.url}${new URL(receiptUrl).pathname}`).then((r) => r?.status())).resolves.toBe(404);

    // And the finance console: sold $232.50; one credit spent at its price ($232.50 ÷ 10 = $23.25); nine held, a liability of $209.25.
    const finance = await (await browser.newContext()).newPage();
    await logIn(finance, server.url, ADMIN.email, ADMIN.password);
    await finance.goto(`${server.url}/admin/finance/credits`);
    const account = finance.locator(`tr[data-account="${slug}"]`);
    const cell = (key: string) => account.locator(`[data-credits="${key}"]`).textContent();
    await expect(cell('sold')).resolves.toBe('$232.50');
    await expect(cell('spent')).resolves.toBe('$23.25');
    await expect(cell('liability')).resolves.toBe('$209.25');
    await screenshot(finance, 'credits-finance');

    await createOrganization(outsider, 'Other Co', `other-co-${suffix}`);
    for (const url of [`/organizations/${slug}/credits`, `/credits?organization=${slug}`]) {
      const response = await outsider.goto(`${server.url}${url}`);
      expect(response?.status(), url).toBe(404);
      await expect(outsider.locator('[data-balance]').count()).resolves.toBe(0);
    }
  });
});
