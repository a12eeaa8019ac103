import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { admin, grantJobs, json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

/** Forms keep what was typed and show each field's error beside it; state changes confirm themselves. */

let t: TestApp;
let boss: Member;

beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
});
afterAll(() => t.close());

async function signedIn(m: Member): Promise<FormClient> {
  const browser = new FormClient(t.app);
  await browser.submit('/login', '/login', { email: m.email, password: m.password });
  return browser;
}

let keys = 0;
async function pay(m: Member, payload: Record<string, unknown>) {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...m.auth, 'idempotency-key': `forms-key-${++keys}` }, payload });
  if (!json(res).charge) throw new Error(`charge refused: ${res.body}`);
  return json(res).charge;
}

const count = async (table: string) => (await queryRows<{ n: number }>(t.database.db, `select count(*)::int as n from ${table}`))[0]!.n;

describe('forms sent back with an error', () => {
  it('log in: keeps the e-mail, never the password, with the error beside the field', async () => {
    const browser = new FormClient(t.app);
    const wrong = await browser.submit('/login', '/login', { email: 'someone@example.test', password: 'not the password' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('value="someone@example.test"');
    expect(wrong.body).not.toContain('not the password');
    const invalid = await browser.submit('/login', '/login', { email: 'not-an-address', password: 'x' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain('value="not-an-address"');
    expect(invalid.body).toContain('<span class="field-error" id="email-error">Not a valid e-mail address.</span>');
  });

  it('sign up: keeps the username and e-mail, each error beside its field, and creates nobody', async () => {
    const before = await count('users');
    const res = await new FormClient(t.app).submit('/signup', '/signup', { username: 'x', email: 'fine@example.test', password: 'short' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('value="x"');
    expect(res.body).toContain('value="fine@example.test"');
    expect(res.body).toContain('<span class="field-error" id="username-error">At least 2 characters.</span>');
    expect(res.body).toContain('<span class="field-error" id="password-error">At least 8 characters.</span>');
    expect(await count('users')).toBe(before);
  });

  it('article editor: keeps title, body, tags and the boxes as sent, with the field errors beside them', async () => {
    const m = await member(t.app);
    await grantJobs(t, boss, m.id);
    const browser = await signedIn(m);
    const res = await browser.submit('/articles/new', '/articles', { title: '   ', body_markdown: 'my **draft**', tags: 'ok, not a tag!', job_listing: 'on' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<span class="field-error" id="title-error">Enter a title.</span>');
    expect(res.body).toMatch(/<span class="field-error" id="tags-error">[^<]+<\/span>/);
    expect(res.body).toContain('>my **draft**</textarea>');
    expect(res.body).toContain('value="ok, not a tag!"');
    expect(res.body).toMatch(/name="job_listing" checked/);
    expect(res.body).not.toMatch(/name="published" checked/);
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/articles?mine=1', headers: m.auth })).articles).toEqual([]);
  });

  it('checkout without JavaScript: a bad billboard link comes back beside its field, with what was typed, and charges nothing', async () => {
    const m = await member(t.app);
    const browser = await signedIn(m);
    const before = await count('charges');
    const res = await browser.submit('/charges/new?product=billboard', '/charges', {
      product: 'billboard',
      headline: 'Our great ad',
      link_url: 'javascript:alert(1)',
      payment_method: 'pm_card_visa',
      idempotency_key: 'forms-bad-link',
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('value="Our great ad"');
    expect(res.body).toMatch(/aria-invalid="true" aria-describedby="error-link_url"\/><span class="field-error" id="error-link_url" role="alert">[^<]+<\/span>/);
    expect(await count('charges')).toBe(before);
  });

  it('checkout without JavaScript: an unreachable provider keeps the idempotency key, so sending again charges once', async () => {
    const m = await member(t.app);
    await pay(m, { product: 'billboard', payment_method: 'pm_card_visa', save_card: true, headline: 'First ad', link_url: 'https://a.example' });
    const [card] = json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: m.auth })).payment_methods;
    const browser = await signedIn(m);
    const fields = { product: 'billboard', headline: 'Second ad', link_url: 'https://b.example', payment_method: card.id, idempotency_key: 'forms-unreachable-1' };
    t.stripe.injectFault({ kind: '500', when: 'before', path: '/v1/payment_intents', count: 10 });
    const down = await browser.submit('/charges/new?product=billboard', '/charges', fields);
    t.stripe.clearFaults();
    expect(down.statusCode).toBe(503);
    expect(down.body).toContain('value="forms-unreachable-1"');
    expect(down.body).toContain('value="Second ad"');
    const again = await browser.submit('/charges/new?product=billboard', '/charges', fields);
    expect(again.statusCode).toBe(303);
    expect(await queryRows(t.database.db, `select 1 from charges where user_id = ${m.id} and product_data->>'headline' = 'Second ad'`)).toHaveLength(1);
  });

  it('refund in the console: keeps the amount, with its error beside it, and refunds nothing', async () => {
    const m = await member(t.app);
    const charge = await pay(m, { product: 'billboard', payment_method: 'pm_card_visa', headline: 'An ad', link_url: 'https://a.example' });
    const browser = await signedIn(boss);
    const res = await browser.submit(`/admin/finance/charges/${charge.id}`, `/admin/charges/${charge.id}/refunds`, { amount: '12,50', reason: 'duplicate', idempotency_key: 'forms-refund' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('value="12,50"');
    expect(res.body).toContain('<span class="field-error" id="amount-error">Enter an amount in dollars, like 12.50.</span>');
    expect(res.body).toMatch(/<option value="duplicate" selected>/);
    expect(await queryRows(t.database.db, `select 1 from refunds where charge_id = ${charge.id}`)).toEqual([]);
    const done = await browser.submit(`/admin/finance/charges/${charge.id}`, `/admin/charges/${charge.id}/refunds`, { amount: '1.00', idempotency_key: 'forms-refund-2' });
    expect(done.headers.location).toBe(`/admin/finance/charges/${charge.id}?done=refunded`);
    expect((await browser.get(done.headers.location as string)).body).toContain('Refund requested at Stripe');
  });
});

describe('confirmations and empty states', () => {
  it("greet a new member's dashboard and billing with what to do next", async () => {
    const browser = await signedIn(await member(t.app));
    const dashboard = (await browser.get('/dashboard')).body;
    expect(dashboard).toContain('data-empty="dashboard"');
    expect(dashboard).toContain('href="/articles/new"');
    expect(dashboard).toContain('Ask for the permission on the Write page');
    expect((await browser.get('/settings/billing')).body).toContain('data-empty="payments"');
  });

  it('say so when an article is published or unpublished, and a card removed', async () => {
    const m = await member(t.app);
    const browser = await signedIn(m);
    const article = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: m.auth, payload: { title: 'Hello', body_markdown: 'x' } })).article;
    const published = await browser.submit('/dashboard', `/articles/${article.id}/published`, { published: '1' });
    expect(published.headers.location).toBe('/dashboard?done=published');
    expect((await browser.get('/dashboard?done=published')).body).toContain('Published: the article is public now');
    await pay(m, { product: 'billboard', payment_method: 'pm_card_visa', save_card: true, headline: 'An ad', link_url: 'https://a.example' });
    const [card] = json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: m.auth })).payment_methods;
    const removed = await browser.submit('/settings/billing', `/settings/cards/${card.id}/remove`, {});
    expect(removed.headers.location).toBe('/settings/billing?done=card_removed');
    expect((await browser.get('/settings/billing?done=card_removed')).body).toContain('The card was removed');
  });

  it('never echo the query: an unknown key shows nothing, and "paid" thanks only for money taken', async () => {
    const m = await member(t.app);
    const browser = await signedIn(m);
    const page = (await browser.get('/settings/billing?done=%3Cscript%3Ealert(1)%3C%2Fscript%3E')).body;
    expect(page).not.toContain('alert(1)');
    expect(page).not.toContain('class="flash"');
    const declined = await pay(m, { product: 'billboard', payment_method: 'pm_card_chargeDeclined', headline: 'An ad', link_url: 'https://a.example' });
    const failed = (await browser.get(`/charges/${declined.id}?done=paid`)).body;
    expect(failed).not.toContain('Thank you');
    expect(failed).toContain('Try again with another card');
  });
});
