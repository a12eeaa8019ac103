import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStripe, startLocalStripe } from '../server.js';

/**
 * The Payment Element stand-in and the hosted checkout page in Chromium: a shop page on another
 * origin mounts the element, tokenises the card, and its server confirms with the token.
 */
let local: LocalStripe;
let stripe: Stripe;
let shop: Server;
let shopUrl: string;
let browser: Browser;

/** The shop's page: the deferred-intent flow, as the Payment Element docs describe it. */
const shopPage = () => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script src="${local.url}/js/v3.js"></script></head><body><main>
<form id="pay"><div id="element"></div><button id="submit">Pay</button></form><p id="outcome"></p>
<script>
const stripe = Stripe(${JSON.stringify(local.publishableKey)});
const elements = stripe.elements({ mode: 'payment', amount: 2500, currency: 'usd' });
elements.create('payment').mount('#element');
const say = (text) => { document.getElementById('outcome').textContent = text; };
document.getElementById('pay').addEventListener('submit', async (event) => {
  event.preventDefault();
  const submitted = await elements.submit();
  if (submitted.error) return say('invalid: ' + submitted.error.message);
  const { confirmationToken, error } = await stripe.createConfirmationToken({ elements, params: { return_url: location.href } });
  if (error) return say('token: ' + error.message);
  const res = await fetch('/pay', { method: 'POST', body: confirmationToken.id });
  const paid = await res.json();
  if (paid.error) return say('declined: ' + paid.error);
  if (paid.status === 'requires_action') {
    const next = await stripe.handleNextAction({ clientSecret: paid.client_secret });
    return say(next.error ? 'failed: ' + next.error.message : next.paymentIntent.status);
  }
  say(paid.status);
});
</script></main></body></html>`;

beforeAll(async () => {
  local = await startLocalStripe();
  stripe = new Stripe(local.secretKey, { host: '127.0.0.1', port: local.port, protocol: 'http', maxNetworkRetries: 0 });
  shop = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (req.method === 'POST' && req.url === '/pay') {
        const token = Buffer.concat(chunks).toString('utf8');
        const answer = await stripe.paymentIntents
          .create({ amount: 2500, currency: 'usd', confirm: true, confirmation_token: token })
          .then((pi) => ({ status: pi.status, client_secret: pi.client_secret }))
          .catch((e: Stripe.errors.StripeError) => ({ error: e.message }));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' }).end(req.url?.startsWith('/done') ? '<h1>Thank you</h1>' : shopPage());
    });
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
});
afterAll(async () => {
  await browser?.close();
  await local.close();
  await new Promise((resolve) => shop.close(resolve));
});

async function typeCard(page: Page, number: string) {
  await page.getByLabel('Card number').pressSequentially(number);
  await page.getByLabel('Expiration date').pressSequentially('1234');
  await page.getByLabel('Security code').pressSequentially('123');
}

describe('the Payment Element stand-in', () => {
  it('formats what is typed, shows each field’s error on submit, and pays with a confirmation token', async () => {
    const page = await browser.newPage();
    await page.goto(shopUrl);
    await page.click('#submit');
    await expect.poll(() => page.textContent('#outcome')).toBe('invalid: Your card number is incomplete.');
    expect(await page.textContent('[data-error=expiry]')).toBe("Your card's expiration date is incomplete.");
    expect(await page.textContent('[data-error=cvc]')).toBe("Your card's security code is incomplete.");
    await page.getByLabel('Card number').pressSequentially('4242424242424241');
    await page.click('#submit');
    await expect.poll(() => page.textContent('[data-error=number]')).toBe('Your card number is invalid.');
    await page.getByLabel('Card number').fill('');
    await typeCard(page, '4242424242424242');
    expect(await page.inputValue('[data-field=number]')).toBe('4242 4242 4242 4242');
    expect(await page.inputValue('[data-field=expiry]')).toBe('12 / 34');
    await page.click('#submit');
    await expect.poll(() => page.textContent('#outcome')).toBe('succeeded');
    expect(await page.textContent('[data-error=number]')).toBe('');
    await page.close();
  });

  it('handles 3-D Secure with handleNextAction, and reports a decline', async () => {
    const page = await browser.newPage();
    await page.goto(shopUrl);
    await typeCard(page, '4000002760003184');
    await page.click('#submit');
    await page.frameLocator('iframe[name=local-stripe-3ds]').locator('#complete-auth').click();
    await expect.poll(() => page.textContent('#outcome')).toBe('succeeded');
    await page.reload();
    await typeCard(page, '4000000000000002');
    await page.click('#submit');
    await expect.poll(() => page.textContent('#outcome')).toBe('declined: Your card was declined.');
    await page.close();
  });
});

describe('the hosted checkout page', () => {
  it('pays with a 3-D Secure card and lands on success_url; cancel goes to cancel_url', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'eur', unit_amount: 1999, product_data: { name: 'Featured job' } }, quantity: 1 }],
      success_url: `${shopUrl}/done?session={CHECKOUT_SESSION_ID}`,
      cancel_url: `${shopUrl}/cancelled`,
    });
    const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
    await page.goto(session.url!);
    expect(await page.textContent('#total')).toBe('19.99 EUR');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.getByLabel('Card number').pressSequentially('4000002760003184');
    expect(await page.inputValue('#number')).toBe('4000 0027 6000 3184');
    await page.getByLabel('Expiry (MM / YY)').pressSequentially('1234');
    await page.getByLabel('CVC').pressSequentially('123');
    await page.click('#pay');
    await page.click('#complete-auth');
    await page.waitForURL(`${shopUrl}/done?session=${session.id}`);
    expect((await stripe.checkout.sessions.retrieve(session.id)).payment_status).toBe('paid');

    const other = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'eur', unit_amount: 1999, product_data: { name: 'Featured job' } }, quantity: 1 }],
      success_url: `${shopUrl}/done`,
      cancel_url: `${shopUrl}/cancelled`,
    });
    await page.goto(other.url!);
    await page.click('#cancel');
    await page.waitForURL(`${shopUrl}/cancelled`);
    await page.close();
  });
});
