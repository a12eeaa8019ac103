import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargeOutcome, fillCard, grantJobsTo, launchBrowser, type RunningServer, screenshot, signUp, startServer, waitForChargeStatus, writeListing } from './harness.js';

/**
 * Stripe-hosted Checkout (CHECKOUT_MODE=hosted) in a real browser: "Pay on Stripe's checkout page"
 * on our form, the local Stripe's hosted page, and back to our return page. After each purchase,
 * /jobs, the charge row and the charge page (the receipt) must say the same thing.
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
  await grantJobsTo(browser, server.url, username);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** "Pay on Stripe's checkout page" for a new listing: our row, then Stripe's page for the session. */
async function toStripesPage(title: string): Promise<void> {
  await writeListing(page, server.url, title);
  await Promise.all([page.waitForURL(/\/c\/pay\/cs_test_/), page.click('#pay-hosted')]);
  await expect(page.locator('#total').textContent()).resolves.toBe('25.00 USD');
}

/** Types a card into the hosted page's form (which keeps what was typed after a decline: cleared first). */
async function typeCard(number: string) {
  for (const [label, value] of [['Card number', number], ['Expiry (MM / YY)', '1234'], ['CVC', '123']] as const) {
    const field = page.getByLabel(label);
    await field.fill('');
    await field.pressSequentially(value);
  }
}

const chargeIdOnPage = () => Number(new URL(page.url()).pathname.match(/^\/charges\/(\d+)$/)![1]);

/** The charge a Stripe page is for: its cancel link goes back to that charge's cancel route. */
async function chargeIdOfSession(): Promise<number> {
  const href = (await page.locator('#cancel').getAttribute('href')) ?? '';
  return Number(new URL(href).pathname.match(/^\/charges\/(\d+)\/cancel$/)![1]);
}

const outcome = (chargeId: number, title: string, tab: Page = page) => chargeOutcome(tab, server.url, chargeId, title);

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
    const seen = await outcome(chargeIdOnPage(), title);
    expect(seen).toMatchObject({ heading: 'Receipt', row: 'succeeded', page: 'succeeded', onJobs: true });
    expect(seen.receipt).toContain('Live on /jobs until');
    expect(seen.receipt).toContain('ending 4242');
  });

  it("pays in one click with a card saved on an earlier payment, which Stripe's page lists", async () => {
    // The earlier payment, on our own form (the Payment Element), with "Save this card" ticked.
    await writeListing(page, server.url, 'Hosted saved card, first listing');
    await fillCard(page, '5555555555554444');
    await page.check('input[name=save_card]');
    await Promise.all([page.waitForURL(/\/charges\/\d+(\?done=paid)?$/), page.click('#pay')]);

    const title = 'Hosted saved card listing';
    await toStripesPage(title);
    const saved = page.locator('button[data-saved-card]');
    await expect(saved.count()).resolves.toBe(1);
    await expect(saved.textContent()).resolves.toContain('mastercard •••• 4444');
    await screenshot(page, 'hosted-checkout-saved-card');
    await Promise.all([page.waitForURL(/\/charges\/\d+$/), saved.click()]);
    const seen = await outcome(chargeIdOnPage(), title);
    expect(seen).toMatchObject({ heading: 'Receipt', row: 'succeeded', page: 'succeeded', onJobs: true });
    expect(seen.receipt).toContain('Live on /jobs until');
    expect(seen.receipt).toContain('ending 4444');
  });

  it('declined on the hosted page: the page says so and takes another card; the receipt is for the card that paid', async () => {
    const title = 'Hosted declined, then paid listing';
    await toStripesPage(title);
    const id = await chargeIdOfSession();
    await typeCard('4000000000000002');
    await page.click('#pay');
    await expect(page.locator('#payment-error').textContent()).resolves.toBe('Your card was declined.');
    expect(page.url()).toMatch(/\/c\/pay\/cs_test_/);
    await screenshot(page, 'hosted-checkout-declined');

    // Meanwhile, in another tab: the decline's webhook fails the charge; no receipt, nothing on /jobs.
    const tab = await page.context().newPage();
    await waitForChargeStatus(tab, server.url, id, 'failed');
    const declined = await outcome(id, title, tab);
    expect(declined).toMatchObject({ row: 'failed', page: 'failed', onJobs: false });
    expect(declined.heading).not.toBe('Receipt');
    expect(declined.receipt).toContain('No money was taken');
    expect(declined.receipt).toContain('Your card was declined.');
    expect(declined.receipt).not.toContain('Live on /jobs until');
    await tab.close();

    // The buyer stays on Stripe's page and pays with another card: the same charge succeeds.
    await typeCard('4242424242424242');
    await Promise.all([page.waitForURL(/\/charges\/\d+$/), page.click('#pay')]);
    expect(chargeIdOnPage()).toBe(id);
    const paid = await outcome(id, title);
    expect(paid).toMatchObject({ heading: 'Receipt', row: 'succeeded', page: 'succeeded', onJobs: true });
    expect(paid.receipt).toContain('ending 4242');
    expect(paid.receipt).not.toContain('Your card was declined');
  });

  it('cancelled: the cancel link comes back to a canceled charge at once, and nothing is bought', async () => {
    const title = 'Hosted cancelled listing';
    await toStripesPage(title);
    await Promise.all([page.waitForURL(/\/charges\/\d+$/), page.click('#cancel')]);
    await expect(page.locator('.notice').textContent()).resolves.toContain('Canceled: nothing was charged.');
    await expect(page.locator('[data-pay-again]').textContent()).resolves.toBe('Try again');
    const seen = await outcome(chargeIdOnPage(), title);
    expect(seen).toMatchObject({ row: 'canceled', page: 'canceled', onJobs: false });
    expect(seen.heading).not.toBe('Receipt');
    expect(seen.receipt).not.toContain('Live on /jobs until');
  });

  it('completes 3-D Secure on the hosted page', async () => {
    const title = 'Hosted 3DS listing';
    await toStripesPage(title);
    await typeCard('4000002760003184');
    await page.click('#pay');
    await Promise.all([page.waitForURL(/\/charges\/\d+$/), page.click('#complete-auth')]);
    const seen = await outcome(chargeIdOnPage(), title);
    expect(seen).toMatchObject({ heading: 'Receipt', row: 'succeeded', page: 'succeeded', onJobs: true });
    expect(seen.receipt).toContain('Live on /jobs until');
  });

  it('fails 3-D Secure on the hosted page: back on the page with the reason; cancelling then leaves a canceled charge and no receipt', async () => {
    const title = 'Hosted 3DS failed listing';
    await toStripesPage(title);
    const id = await chargeIdOfSession();
    await typeCard('4000002760003184');
    await page.click('#pay');
    await Promise.all([page.waitForURL(/\/c\/pay\/cs_test_\w+\?payment_intent=pi_/), page.click('#fail-auth')]);
    await expect(page.locator('#payment-error').textContent()).resolves.toContain('unable to authenticate');
    await Promise.all([page.waitForURL(/\/charges\/\d+$/), page.click('#cancel')]);
    expect(chargeIdOnPage()).toBe(id);
    const seen = await outcome(id, title);
    // Ending the session cancels its unfinished PaymentIntent, so the row ends canceled.
    expect(seen).toMatchObject({ row: 'canceled', page: 'canceled', onJobs: false });
    expect(seen.heading).not.toBe('Receipt');
    expect(seen.receipt).toContain('nothing was charged');
    expect(seen.receipt).not.toContain('Live on /jobs until');
  });

  it("expired: when the session expires (the local Stripe's clock moved), the charge is canceled and nothing is bought", async () => {
    const title = 'Hosted expired listing';
    await toStripesPage(title);
    const sessionUrl = page.url();
    // Past expires_at (35 minutes): Stripe expires the session and sends checkout.session.expired.
    await localStripe('/_local/clock/advance', { seconds: 36 * 60 });
    await page.goto(sessionUrl);
    await expect(page.locator('h1').textContent()).resolves.toBe('This checkout session has expired');
    await Promise.all([page.waitForURL(/\/charges\/\d+$/), page.click('#cancel')]);
    const seen = await outcome(chargeIdOnPage(), title);
    expect(seen).toMatchObject({ row: 'canceled', page: 'canceled', onJobs: false });
    expect(seen.heading).not.toBe('Receipt');
    expect(seen.receipt).not.toContain('Live on /jobs until');
  });
});
