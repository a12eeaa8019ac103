import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answered, apiClient } from '../../scripts/api/client.js';
import { chargeOutcome, fillCard, grantJobsTo, jobTitles, launchBrowser, newestCharge, type RunningServer, screenshot, signUp, startServer, writeListing } from './harness.js';

/**
 * The checkout form with the Payment Element (CHECKOUT_MODE=elements) in a real browser. After each
 * attempt, /jobs, the charge row and the charge page (the receipt) must say the same thing.
 */

let server: RunningServer;
let browser: Browser;
let buyer: BrowserContext;
let page: Page;
const username = `jane${Date.now() % 100000}`;
const paidUrl = /\/charges\/(\d+)(\?done=paid)?$/;

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

const chargeIdOnPage = () => Number(new URL(page.url()).pathname.match(/^\/charges\/(\d+)$/)![1]);
const outcome = (chargeId: number, title: string) => chargeOutcome(page, server.url, chargeId, title);

async function paymentsCount(): Promise<number> {
  await page.goto(`${server.url}/settings/billing`);
  return page.locator('table tbody tr').count();
}

describe('checkout in a real browser', () => {
  it('signs up, gets permission, writes a job listing, pays with a new card and appears on /jobs', async () => {
    const title = 'Staff Engineer, Payments';
    await signUp(page, server.url, username);
    await grantJobsTo(browser, server.url, username);
    await writeListing(page, server.url, title);
    // The editor offers the checkout inline for an unpaid listing.
    await expect(page.locator('form#checkout [data-price]').textContent()).resolves.toBe('$25.00');
    await fillCard(page, '4242 4242 4242 4242');
    await page.check('input[name=save_card]');
    await screenshot(page, 'checkout');
    await Promise.all([page.waitForURL(paidUrl), page.click('#pay')]);
    await screenshot(page, 'receipt');
    const seen = await outcome(chargeIdOnPage(), title);
    expect(seen).toMatchObject({ heading: 'Receipt', row: 'succeeded', page: 'succeeded', onJobs: true });
    expect(seen.receipt).toContain('Live on /jobs until');
    expect(seen.receipt).toContain('ending 4242');
    await page.goto(`${server.url}/jobs`);
    await expect(page.locator('main').textContent()).resolves.toContain(title);
  });

  it('pays again with the saved card and bumps the listing to the top', async () => {
    const first = (await jobTitles(server.url))[0]!;
    const second = 'Second listing, Berlin';
    await writeListing(page, server.url, second);
    await fillCard(page, '5555555555554444');
    await Promise.all([page.waitForURL(paidUrl), page.click('#pay')]);
    expect((await jobTitles(server.url))[0]).toBe(second);

    const firstId = answered(await apiClient(server.url).GET('/api/v1/jobs')).jobs.find((j) => j.title === first)!.id;
    await page.goto(`${server.url}/charges/new?product=job_listing&article_id=${firstId}`);
    const saved = page.locator('input[name=payment_method]').first();
    await expect(saved.isChecked()).resolves.toBe(true);
    await expect(saved.getAttribute('value')).resolves.toMatch(/^pm_/);
    await Promise.all([page.waitForURL(paidUrl), page.click('#pay')]);
    const seen = await outcome(chargeIdOnPage(), first);
    expect(seen).toMatchObject({ heading: 'Receipt', row: 'succeeded', page: 'succeeded', onJobs: true });
    expect(seen.receipt).toContain('ending 4242');
    expect((await jobTitles(server.url))[0]).toBe(first);
  });

  it('shows the card form only while "A new card" is chosen, and charges the card typed there', async () => {
    const title = 'Typed card over a saved one';
    await writeListing(page, server.url, title);
    // A saved card is ticked first: no card form to type into, which would be ignored.
    await expect(page.locator('input[name=payment_method]').first().isChecked()).resolves.toBe(true);
    await expect(page.locator('#payment-element').isVisible()).resolves.toBe(false);
    await expect(page.locator('input[name=save_card]').isVisible()).resolves.toBe(false);
    await fillCard(page, '5555555555554444');
    await expect(page.locator('#payment-element').isVisible()).resolves.toBe(true);
    await Promise.all([page.waitForURL(paidUrl), page.click('#pay')]);
    const seen = await outcome(chargeIdOnPage(), title);
    expect(seen).toMatchObject({ heading: 'Receipt', row: 'succeeded' });
    expect(seen.receipt).toContain('ending 4444');
  });

  it("shows a declined card's message from Stripe and does not list the job", async () => {
    const title = 'Declined listing';
    await writeListing(page, server.url, title);
    await fillCard(page, '4000000000000002');
    await page.click('#pay');
    await expect(page.locator('#checkout-error').filter({ hasText: 'Your card was declined.' }).waitFor()).resolves.toBeUndefined();
    expect(page.url()).toMatch(/\/edit/);
    const seen = await outcome(await newestCharge(page, server.url), title);
    expect(seen).toMatchObject({ row: 'failed', page: 'failed', onJobs: false });
    expect(seen.heading).not.toBe('Receipt');
    expect(seen.receipt).toContain('Your card was declined.');
    expect(seen.receipt).not.toContain('Live on /jobs until');
  });

  it('completes 3-D Secure in the authentication frame', async () => {
    const title = '3DS completed listing';
    await writeListing(page, server.url, title);
    await fillCard(page, '4000002760003184');
    await page.click('#pay');
    const frame = page.frameLocator('iframe[name=local-stripe-3ds]');
    await frame.locator('#complete-auth').click();
    await page.waitForURL(paidUrl);
    const seen = await outcome(chargeIdOnPage(), title);
    expect(seen).toMatchObject({ heading: 'Receipt', row: 'succeeded', page: 'succeeded', onJobs: true });
    expect(seen.receipt).toContain('Live on /jobs until');
    expect(seen.receipt).toContain('ending 3184');
  });

  it('fails 3-D Secure and says so', async () => {
    const title = '3DS failed listing';
    await writeListing(page, server.url, title);
    await fillCard(page, '4000002760003184');
    await page.click('#pay');
    await page.frameLocator('iframe[name=local-stripe-3ds]').locator('#fail-auth').click();
    await page.locator('#checkout-error').filter({ hasText: 'unable to authenticate' }).waitFor();
    const seen = await outcome(await newestCharge(page, server.url), title);
    expect(seen).toMatchObject({ row: 'failed', page: 'failed', onJobs: false });
    expect(seen.heading).not.toBe('Receipt');
    expect(seen.receipt).toContain('unable to authenticate');
    expect(seen.receipt).not.toContain('Live on /jobs until');
  });

  it('makes one charge from a double click on Pay', async () => {
    const before = await paymentsCount();
    await writeListing(page, server.url, 'Double click listing');
    await page.dblclick('#pay');
    await page.waitForURL(paidUrl);
    expect(await paymentsCount()).toBe(before + 1);
    expect((await jobTitles(server.url)).filter((t) => t === 'Double click listing')).toHaveLength(1);
  });
});
