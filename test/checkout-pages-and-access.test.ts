import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { grantJobs, json, type Member, member, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';
import { checkoutSuite } from './helpers/checkout.js';

// Who may buy what, and the checkout's pages. Paying through the API is in checkout.test.ts.
const { s, newKey, listing, pay, count } = checkoutSuite();
let t: TestApp;
let boss: Member;
let poster: Member;
beforeAll(() => {
  ({ t, boss, poster } = s);
});

describe('authorization and validation', () => {
  it('refuses what the buyer may not buy, and writes nothing', async () => {
    const before = await count('charges');
    const stranger = await member(t.app);
    const mine = await listing();
    const plain = json(
      await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: poster.auth, payload: { title: 'Plain', body_markdown: 'x', published: true } }),
    ).article;
    const draft = await listing(poster, false);
    const cases: Array<[Member | null, Record<string, unknown>, number]> = [
      // Someone else's unpaid listing is not live: it does not exist for them.
      [stranger, { product: 'job_listing', article_id: mine.id, payment_method: 'pm_card_visa' }, 404],
      [stranger, { product: 'featured_article', article_id: plain.id, payment_method: 'pm_card_visa' }, 403],
      [poster, { product: 'job_listing', article_id: 999999, payment_method: 'pm_card_visa' }, 404],
      [stranger, { product: 'job_listing', article_id: draft.id, payment_method: 'pm_card_visa' }, 404],
      [poster, { product: 'job_listing', article_id: plain.id, payment_method: 'pm_card_visa' }, 422],
      [poster, { product: 'gold_badge', payment_method: 'pm_card_visa' }, 400],
      [poster, { product: 'job_listing', payment_method: 'pm_card_visa' }, 400],
      [poster, { product: 'job_listing', article_id: mine.id, payment_method: '4242424242424242' }, 400],
      [poster, { product: 'job_listing', article_id: mine.id, payment_method: 'pm_card_visa', amount: 1 }, 400],
      [poster, { product: 'job_listing', article_id: 'abc', payment_method: 'pm_card_visa' }, 400],
      [poster, { product: 'billboard', payment_method: 'pm_card_visa', headline: 'x', link_url: 'javascript:alert(1)' }, 400],
      [null, { product: 'job_listing', article_id: mine.id, payment_method: 'pm_card_visa' }, 401],
    ];
    for (const [who, payload, status] of cases) {
      const res = who ? await pay(who, payload) : await t.app.inject({ method: 'POST', url: '/api/v1/charges', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(json(res).error.code).toEqual(expect.any(String));
    }
    const badKey = await pay(poster, { product: 'job_listing', article_id: mine.id, payment_method: 'pm_card_visa' }, 'short');
    expect(badKey.statusCode).toBe(400);
    expect(await count('charges')).toBe(before);
  });

  it('refuses a job listing to a member without can_post_jobs', async () => {
    const a = await listing();
    await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${poster.id}/permissions`, headers: boss.auth, payload: { can_post_jobs: false } });
    const res = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' });
    expect(res.statusCode).toBe(403);
    await grantJobs(t, boss, poster.id);
  });

  it("never lets a buyer see, use or remove someone else's charge or card", async () => {
    const alice = await member(t.app);
    const mallory = await member(t.app);
    const res = await pay(alice, { product: 'billboard', payment_method: 'pm_card_visa', save_card: true, headline: 'Alice ads', link_url: 'https://alice.example' });
    expect(res.statusCode).toBe(201);
    const charge = json(res).charge;
    const card = json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: alice.auth })).payment_methods[0];
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/charges/${charge.id}`, headers: mallory.auth })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/charges/${charge.id}`, headers: boss.auth })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/charges/${charge.id}/confirm`, headers: mallory.auth })).statusCode).toBe(404);
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: mallory.auth })).payment_methods).toEqual([]);
    // Mallory becomes a Stripe customer, then tries Alice's saved card.
    await pay(mallory, { product: 'billboard', payment_method: 'pm_card_visa', headline: 'Mallory', link_url: 'https://m.example' });
    const stolen = await pay(mallory, { product: 'billboard', payment_method: card.id, headline: 'Mallory', link_url: 'https://m.example' });
    expect(stolen.statusCode).toBe(404);
    expect(json(stolen).error.code).toBe('payment_method_not_found');
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/payment_methods/${card.id}`, headers: mallory.auth })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/payment_methods/${card.id}`, headers: alice.auth })).statusCode).toBe(204);
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: alice.auth })).payment_methods).toEqual([]);
    const mine = json(await t.app.inject({ method: 'GET', url: '/api/v1/charges', headers: alice.auth })).charges;
    expect(mine.map((c: { id: number }) => c.id)).toEqual([charge.id]);
  });

  it('creates one Stripe customer when two first payments race', async () => {
    const racer = await member(t.app);
    const [a, b] = await Promise.all([
      pay(racer, { product: 'billboard', payment_method: 'pm_card_visa', headline: 'Race one', link_url: 'https://r.example' }),
      pay(racer, { product: 'billboard', payment_method: 'pm_card_visa', headline: 'Race two', link_url: 'https://r.example' }),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    const customers = [...t.stripe.emulator.customers.values()].filter((c) => c.email === racer.email);
    expect(customers).toHaveLength(1);
    const [row] = await queryRows<{ stripe_customer_key: string }>(t.database.db, `select stripe_customer_key from users where id = ${racer.id}`);
    expect(row!.stripe_customer_key).toBe(customers[0]!.id);
  });
});

describe('pages', () => {
  it('renders the checkout page with saved cards and a CSP that allows only the Stripe origin', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: poster.email, password: poster.password });
    const a = await listing();
    const page = await browser.get(`/charges/new?product=job_listing&article_id=${a.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('$25.00');
    expect(page.body).toMatch(/name="idempotency_key" value="[0-9a-f-]{36}"/);
    expect(page.body).toContain(`${t.stripe.url}/js/v3.js`);
    // CHECKOUT_MODE=elements (the default): no "Pay on Stripe's checkout page".
    expect(page.body).not.toContain('id="pay-hosted"');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain(`script-src 'self' ${t.stripe.url}`);
    expect(csp).not.toMatch(/\*|unsafe-eval/);
    expect((await browser.get('/charges/new?product=nope')).statusCode).toBe(400);
    const script = await browser.get('/assets/checkout.js');
    expect(script.statusCode).toBe(200);
    expect(script.body).toContain('handleNextAction');
  });

  it('pays with a saved card without JavaScript, then shows the receipt and billing', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: poster.email, password: poster.password });
    await pay(poster, { product: 'billboard', payment_method: 'pm_card_visa', save_card: true, headline: 'Saved card ad', link_url: 'https://p.example' });
    const a = await listing();
    const card = json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: poster.auth })).payment_methods[0];
    const res = await browser.submit(`/charges/new?product=job_listing&article_id=${a.id}`, '/charges', {
      product: 'job_listing',
      article_id: String(a.id),
      payment_method: card.id,
      idempotency_key: newKey(),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/charges\/\d+\?done=paid$/);
    const receipt = await browser.get(res.headers.location as string);
    expect(receipt.body).toContain('Thank you: your payment went through.');
    expect(receipt.body).toContain('Live on /jobs until');
    expect(receipt.body).toContain('ending 4242');
    await t.app.payments.mailer!.sendDue(t.clock.now());
    const chargeId = (res.headers.location as string).match(/\/charges\/(\d+)/)![1];
    const eml = readFileSync(path.join(t.mailDir, `receipt-${chargeId}.eml`), 'utf8');
    expect(eml).toContain(`Listing: ${a.title}`);
    expect(eml).toContain('Live on /jobs until');
    const billing = await browser.get('/settings/billing');
    expect(billing.body).toContain(`ending ${card.last4}`);
    const editor = await browser.get(`/articles/${(await listing(poster, false)).id}/edit`);
    expect(editor.body).toContain('Publish and pay');
  });

  it('pays for a billboard without JavaScript with its optional image URL left empty, as a browser sends it', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: poster.email, password: poster.password });
    await pay(poster, { product: 'billboard', payment_method: 'pm_card_visa', save_card: true, headline: 'Saved card ad', link_url: 'https://p.example' });
    const card = json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: poster.auth })).payment_methods[0];
    const res = await browser.submit('/charges/new?product=billboard', '/charges', {
      product: 'billboard',
      headline: 'No image ad',
      link_url: 'https://p.example/no-image',
      image_url: '',
      payment_method: card.id,
      idempotency_key: newKey(),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/charges\/\d+\?done=paid$/);
    expect((await browser.get(res.headers.location as string)).body).toContain('Billboard: No image ad');
  });
});

describe('honest pages', () => {
  it('shows a declined payment as what it is: no receipt, no PDF, nothing bought, and a way to try again', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: poster.email, password: poster.password });
    const a = await listing();
    const declined = json(await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_chargeDeclined' })).charge;
    const page = await browser.get(`/charges/${declined.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('<h1>Receipt</h1>');
    expect(page.body).not.toContain('receipt.pdf');
    expect(page.body).not.toContain('Live on /jobs until');
    expect(page.body).toContain('data-status="failed">Failed<');
    expect(page.body).toContain('Your card was declined.');
    expect(page.body).toContain(`href="/charges/new?product=job_listing&amp;article_id=${a.id}" data-pay-again`);
    expect((await browser.get(`/charges/${declined.id}/receipt.pdf`)).statusCode).toBe(404);

    const paid = json(await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' })).charge;
    const receipt = await browser.get(`/charges/${paid.id}`);
    expect(receipt.body).toContain('<h1>Receipt</h1>');
    expect(receipt.body).toContain('data-status="succeeded">Paid<');
    expect(receipt.body).toContain('Pay again');
    // Extending is offered where the poster looks: the dashboard, the editor and the listing itself.
    for (const url of ['/dashboard', `/articles/${a.id}/edit`, `/articles/${a.id}`]) {
      expect((await browser.get(url)).body).toContain(`href="/charges/new?product=job_listing&amp;article_id=${a.id}" data-extend`);
    }
    const billing = await browser.get('/settings/billing');
    expect(billing.body).toContain('>Job listing — one week on /jobs</span>');
    expect(billing.body).not.toContain('>job_listing<');
    expect(billing.body).toContain('data-status="failed">Failed<');
  });

  it("answers the checkout form's script with each field's error as JSON, not an HTML page", async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: poster.email, password: poster.password });
    const form = await browser.get('/charges/new?product=billboard');
    expect(form.body).toContain('aria-describedby="error-link_url"');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const res = await t.app.inject({
      method: 'POST',
      url: '/charges',
      headers: { cookie: browser.cookieHeader, 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf, 'idempotency-key': newKey() },
      payload: { product: 'billboard', payment_method: 'pm_card_visa', headline: 'Bad link', link_url: 'javascript:alert(1)' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(json(res).error.fields).toHaveProperty('link_url');
  });

  it('shows the catalog on /charges/new without a product', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: poster.email, password: poster.password });
    const page = await browser.get('/charges/new');
    expect(page.statusCode).toBe(200);
    for (const product of json(await t.app.inject({ method: 'GET', url: '/api/v1/products' })).products) {
      expect(page.body).toContain(`data-product="${product.id}"`);
    }
    expect(page.body).toContain('href="/charges/new?product=billboard"');
  });
});
