import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, grantJobs, json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

let t: TestApp;
let buyer: Member;
beforeAll(async () => {
  t = await startTestApp();
  buyer = await member(t.app);
  await grantJobs(t, await admin(t), buyer.id);
});
afterAll(() => t.close());

let seq = 0;
const pay = (payload: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...buyer.auth, 'idempotency-key': `billing-${++seq}-${Date.now()}` }, payload: { payment_method: 'pm_card_visa', ...payload } });
const article = async (title: string, jobListing: boolean) =>
  json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: buyer.auth, payload: { title, body_markdown: 'x', job_listing: jobListing, published: true } })).article.id as number;

describe('the billing page', () => {
  it('names what each payment bought: the listing’s or article’s title, the billboard’s headline', async () => {
    const first = await article('Rust engineer at Acme', true);
    const second = await article('Go engineer at Acme', true);
    const essay = await article('Why we write tests first', false);
    for (const payload of [
      { product: 'job_listing', article_id: first },
      { product: 'job_listing', article_id: second },
      { product: 'billboard', headline: 'Acme is hiring', link_url: 'https://acme.example' },
      { product: 'featured_article', article_id: essay },
    ]) {
      expect((await pay(payload)).statusCode, JSON.stringify(payload)).toBe(201);
    }
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: buyer.email, password: buyer.password });
    const page = (await browser.get('/settings/billing')).body;
    const rows = [...page.matchAll(/<tr>(.*?)<\/tr>/gs)].map((m) => m[1]!).slice(1);
    expect(rows).toHaveLength(4);
    // Newest first; each row names its purchase beside the product.
    expect(rows[0]).toContain('Why we write tests first');
    expect(rows[1]).toContain('Acme is hiring');
    expect(rows[2]).toContain('Go engineer at Acme');
    expect(rows[3]).toContain('Rust engineer at Acme');
    expect(rows[3]).toContain('Job listing — one week on /jobs');
  });
});
