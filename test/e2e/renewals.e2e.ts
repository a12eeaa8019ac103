import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, grantJobs, json, type Member, member, startTestApp, type TestApp } from '../helpers/app.js';
import { fillCard, launchBrowser, logIn, screenshot } from './harness.js';

/**
 * Extending, reminders and auto-renewal in a real browser, against the in-process app so that its
 * clock can be moved and its upkeep run: no waiting for a week to pass.
 */

let t: TestApp;
let base: string;
let browser: Browser;
let page: Page;
let poster: Member;
let boss: Member;
const HOUR = 3600_000;

beforeAll(async () => {
  t = await startTestApp();
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  boss = await admin(t);
  poster = await member(t.app);
  await grantJobs(t, boss, poster.id);
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await logIn(page, base, poster.email, poster.password);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

let seq = 0;
/** A published job listing, paid for a week through the API with the card (saved for next time). */
async function paidListing(card = 'pm_card_visa'): Promise<{ id: number; title: string; chargeKey: string }> {
  const title = `Renewal e2e ${++seq}`;
  const article = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: poster.auth, payload: { title, body_markdown: 'We are hiring.', job_listing: true, published: true } })).article;
  const charge = json(
    await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: poster.auth, payload: { product: 'job_listing', article_id: article.id, payment_method: card, save_card: true } }),
  ).charge;
  expect(charge.status).toBe('succeeded');
  return { id: article.id, title, chargeKey: charge.stripe_charge_key };
}

const paidUntil = async (id: number) => new Date(json(await t.app.inject({ method: 'GET', url: `/api/v1/articles/${id}`, headers: poster.auth })).article.paid_until).getTime();

/** The one e-mail whose file name starts so, quoted-printable line breaks undone. */
function mail(prefix: string): string {
  const files = readdirSync(t.mailDir).filter((f) => f.startsWith(prefix));
  expect(files).toHaveLength(1);
  return readFileSync(path.join(t.mailDir, files[0]!), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=');
}

/** The pay link an e-mail carries, followed in the browser. */
async function followPayLink(eml: string, id: number) {
  const link = eml.match(/\/charges\/new\?product=job_listing&article_id=(\d+)/);
  expect(link?.[1]).toBe(String(id));
  await page.goto(`${base}${link![0]}`);
}

async function payInPage(): Promise<void> {
  await Promise.all([page.waitForURL(/\/charges\/\d+(\?done=paid)?$/), page.click('#pay')]);
  await expect(page.locator('[data-status]').getAttribute('data-status')).resolves.toBe('succeeded');
}

/** The listing's auto-renew switched on from its dashboard row, and the confirmation read. */
async function turnOnAutoRenew(title: string) {
  await page.goto(`${base}/dashboard`);
  const row = page.locator('tr', { hasText: title });
  await Promise.all([page.waitForURL(/\/dashboard\?auto_renew=on/), row.getByRole('button', { name: 'Turn on auto-renew' }).click()]);
  await expect(page.locator('.flash').textContent()).resolves.toContain(`Auto-renew is on for “${title}”`);
  await expect(page.locator('tr', { hasText: title }).locator('[data-auto-renew]').getAttribute('data-auto-renew')).resolves.toBe('on');
}

/** The clock moved into the last hour of the listing's week, and the upkeep run as the server's timer would. */
async function endOfWeek(id: number) {
  t.clock.set(new Date((await paidUntil(id)) - 30 * 60_000));
  await t.app.runRenewals();
}

describe('extending and renewing a listing in the browser', () => {
  it('extends a week from the dashboard with the saved card', async () => {
    const listing = await paidListing();
    const before = await paidUntil(listing.id);
    await page.goto(`${base}/dashboard`);
    await page.locator('tr', { hasText: listing.title }).getByRole('link', { name: 'Extend a week' }).click();
    await page.waitForURL(/\/charges\/new\?product=job_listing/);
    await expect(page.locator('input[name=payment_method]').first().isChecked()).resolves.toBe(true);
    await payInPage();
    expect(await paidUntil(listing.id)).toBe(before + 7 * 24 * HOUR);
  });

  it('e-mails a reminder the day before the week ends, whose link pays for another week', async () => {
    const listing = await paidListing();
    const before = await paidUntil(listing.id);
    t.clock.set(new Date(before - 20 * HOUR));
    await t.app.runRenewals();
    const eml = mail(`listing-reminder-${listing.id}-`);
    expect(eml).toContain(`"${listing.title}" leaves /jobs at ${new Date(before).toISOString().replace('T', ' ').slice(0, 16)} UTC`);
    await followPayLink(eml, listing.id);
    await screenshot(page, 'reminder-link-checkout');
    await payInPage();
    expect(await paidUntil(listing.id)).toBe(before + 7 * 24 * HOUR);
  });

  it('auto-renews when the week ends, shown on the dashboard and in the finance console', async () => {
    const listing = await paidListing();
    const before = await paidUntil(listing.id);
    await turnOnAutoRenew(listing.title);
    await endOfWeek(listing.id);
    expect(await paidUntil(listing.id)).toBe(before + 7 * 24 * HOUR);
    await page.goto(`${base}/dashboard`);
    await expect(page.locator('tr', { hasText: listing.title }).textContent()).resolves.toContain(`Paid until ${new Date(before + 7 * 24 * HOUR).toISOString().replace('T', ' ').slice(0, 16)} UTC`);

    const console = await (await browser.newContext()).newPage();
    await logIn(console, base, boss.email, boss.password);
    await console.goto(`${base}/admin/renewals`);
    await expect(console.locator(`tr[data-renewal="${listing.id}"]`).getAttribute('data-outcome')).resolves.toBe('renewed');
    await screenshot(console, 'renewals-console');
    await console.context().close();
  });

  it('lets the listing lapse when the card needs authentication, and the e-mailed link pays with 3-D Secure', async () => {
    // Paid in the browser with the 3-D Secure card, saved, authenticated in the frame.
    const title = `Renewal e2e ${++seq} (3-D Secure)`;
    const id = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: poster.auth, payload: { title, body_markdown: 'x', job_listing: true, published: true } })).article.id;
    await page.goto(`${base}/charges/new?product=job_listing&article_id=${id}`);
    await fillCard(page, '4000002760003184');
    await page.check('input[name=save_card]');
    await page.click('#pay');
    await page.frameLocator('iframe[name=local-stripe-3ds]').locator('#complete-auth').click();
    await page.waitForURL(/\/charges\/\d+(\?done=paid)?$/);
    const before = await paidUntil(id);

    await turnOnAutoRenew(title);
    await endOfWeek(id);
    expect(await paidUntil(id)).toBe(before);
    const eml = mail(`listing-renewal-failed-${id}-`);
    expect(eml).toContain('confirm this payment');
    await followPayLink(eml, id);
    // The saved card is offered first; the bank asks to authenticate, in the frame, on-session.
    await expect(page.locator('input[name=payment_method]').first().isChecked()).resolves.toBe(true);
    await page.click('#pay');
    await page.frameLocator('iframe[name=local-stripe-3ds]').locator('#complete-auth').click();
    await page.waitForURL(/\/charges\/\d+(\?done=paid)?$/);
    await expect(page.locator('[data-status]').getAttribute('data-status')).resolves.toBe('succeeded');
    // Paid in the week's last hour: the new week starts where the old one ends.
    expect(await paidUntil(id)).toBe(before + 7 * 24 * HOUR);
  });

  it('lets the listing lapse when the saved card is declined, and the e-mailed link pays with another card', async () => {
    const listing = await paidListing();
    const card = t.stripe.emulator.paymentIntents.get(listing.chargeKey)!.payment_method as string;
    t.stripe.emulator.chargeCardAs(card, '4000000000000002');
    const before = await paidUntil(listing.id);
    await turnOnAutoRenew(listing.title);
    await endOfWeek(listing.id);
    expect(await paidUntil(listing.id)).toBe(before);
    t.clock.set(new Date(before + HOUR));
    const eml = mail(`listing-renewal-failed-${listing.id}-`);
    expect(eml).toContain('Your card was declined.');
    await followPayLink(eml, listing.id);
    await fillCard(page, '4242 4242 4242 4242');
    await payInPage();
    // Lapsed an hour ago: the new week starts with the payment.
    expect(await paidUntil(listing.id)).toBe(t.clock.now().getTime() + 7 * 24 * HOUR);
  });
});
