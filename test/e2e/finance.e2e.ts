import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { answered, apiClient } from '../../scripts/api/client.js';
import { ADMIN, jobTitles, launchBrowser, logIn, type RunningServer, screenshot, startServer } from './harness.js';

let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it('an admin opens the ledger, refunds a charge in a confirmation dialog, and the listing leaves /jobs', async () => {
  // A paid listing, bought through the API.
  const anonymous = apiClient(server.url);
  const admin = apiClient(server.url, answered(await anonymous.POST('/api/v1/tokens', { body: ADMIN })).token);
  const { user } = answered(await anonymous.POST('/api/v1/users', { body: { username: 'hiring_co', email: 'hiring@e2e.test', password: 'hiring password' } }));
  const buyer = apiClient(server.url, answered(await anonymous.POST('/api/v1/tokens', { body: { email: 'hiring@e2e.test', password: 'hiring password' } })).token);
  answered(await admin.POST('/api/v1/admin/users/{id}/permissions', { params: { path: { id: user.id } }, body: { can_post_jobs: true } }));
  const { article } = answered(await buyer.POST('/api/v1/articles', { body: { title: 'Refundable listing', body_markdown: 'x', job_listing: true, published: true } }));
  const { charge } = answered(await buyer.POST('/api/v1/charges', { body: { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa' } }));
  await buyer.POST('/api/v1/charges', { body: { product: 'billboard', payment_method: 'pm_card_amex', headline: 'Ads that pay', link_url: 'https://ads.example' } });
  expect(await jobTitles(server.url)).toContain('Refundable listing');

  await logIn(page, server.url, ADMIN.email, ADMIN.password);
  await page.goto(`${server.url}/admin/finance`);
  await expect(page.locator('[data-total="gross"]').first().textContent()).resolves.toBe('74.00');
  await page.locator('figure.chart svg').first().waitFor();
  await screenshot(page, 'ledger');
  await page.locator('figure.chart').first().screenshot({ path: 'test-results/chart.png' });

  await page.click(`tr[data-charge="${charge.id}"] a[href="/admin/finance/charges/${charge.id}"]`);
  await page.selectOption('select[name=reason]', 'requested_by_customer');
  // More than the charge is not offered for confirmation: the server's answer sits beside the field.
  await page.fill('input[name=amount]', '30.00');
  await Promise.all([page.waitForURL(`${server.url}/admin/charges/${charge.id}/refunds`), page.click('#refund')]);
  await expect(page.locator('#amount-error').textContent()).resolves.toBe('At most $25.00, what is left to refund.');
  await expect(page.locator('input[name=amount]').inputValue()).resolves.toBe('30.00');
  // Not an amount: the browser refuses it before anything is asked or sent.
  await page.fill('input[name=amount]', 'abc');
  await page.click('#refund');
  await expect(page.locator('input[name=amount]').evaluate((input: HTMLInputElement) => input.validity.patternMismatch)).resolves.toBe(true);
  await expect(page.locator('dialog#confirm-dialog').evaluate((d: HTMLDialogElement) => d.open)).resolves.toBe(false);
  await page.fill('input[name=amount]', '');
  await page.click('#refund');
  const dialog = page.locator('dialog#confirm-dialog');
  await expect(dialog.locator('[data-message]').textContent()).resolves.toBe(`Refund 25.00 USD of charge #${charge.id} to hiring@e2e.test?`);
  await Promise.all([page.waitForURL(`${server.url}/admin/finance/charges/${charge.id}?done=refunded`), page.click('#confirm-ok')]);
  let status = '';
  for (let i = 0; i < 50 && status !== 'refunded'; i++) {
    await page.reload();
    status = (await page.locator('[data-status]').getAttribute('data-status')) ?? '';
  }
  expect(status).toBe('refunded');
  await page.goto(`${server.url}/jobs`);
  await expect(page.locator('main').textContent()).resolves.not.toContain('Refundable listing');
  await page.goto(`${server.url}/admin/finance`);
  await expect(page.locator('[data-total="refunded"]').first().textContent()).resolves.toBe('25.00');
});
