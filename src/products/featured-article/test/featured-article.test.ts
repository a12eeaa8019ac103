import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../db/client.js';
import { WEEK_MS } from '../../period.js';
import { FormClient } from '../../../../test/helpers/browser-form.js';
import { admin, json, type Member, member, START, startTestApp, type TestApp } from '../../../../test/helpers/app.js';

let t: TestApp;
let boss: Member;
let author: Member;

beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
  author = await member(t.app);
});
afterAll(() => t.close());

let seq = 0;
async function article(owner: Member, published = true) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/articles',
    headers: owner.auth,
    payload: { title: `Featured candidate ${++seq}`, body_markdown: 'Worth reading.', published },
  });
  return json(res).article as { id: number; title: string };
}
const feature = (who: Member, articleId: number, key = `featured-${++seq}`) =>
  t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...who.auth, 'idempotency-key': key }, payload: { product: 'featured_article', article_id: articleId, payment_method: 'pm_card_visa' } });
const home = async () => (await t.app.inject({ method: 'GET', url: '/' })).body;

describe('featured article, a third product added without touching the payments core', () => {
  it('is in the catalog with what a purchase needs', async () => {
    const { products } = json(await t.app.inject({ method: 'GET', url: '/api/v1/products' }));
    expect(products).toContainEqual(expect.objectContaining({ id: 'featured_article', amount: 1500, currency: 'usd', requires: ['article_id'] }));
  });

  it('pins the article at the top of the home page for a week; buying again queues the next week', async () => {
    t.clock.set(new Date(START.getTime() + 60 * WEEK_MS));
    const a = await article(author);
    const paid = await feature(author, a.id);
    expect(paid.statusCode).toBe(201);
    const until = new Date(t.clock.now().getTime() + WEEK_MS).toISOString();
    expect(json(paid).charge).toMatchObject({ product: 'featured_article', amount: 1500, article_id: a.id, featured_until: until });
    const page = await home();
    expect(page).toContain('id="featured-heading"');
    expect(page.indexOf(a.title)).toBeLessThan(page.indexOf('<h2>Recent</h2>'));

    const again = await feature(author, a.id);
    expect(json(again).charge.featured_until).toBe(new Date(t.clock.now().getTime() + 2 * WEEK_MS).toISOString());
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: author.email, password: author.password });
    const receipt = (await browser.get(`/charges/${json(again).charge.id}`)).body;
    expect(receipt).toContain(`Featured article: ${a.title}`);
    expect(receipt).toContain('Featured from');

    t.clock.advance(WEEK_MS + 1000);
    expect(await home()).toContain('id="featured-heading"');
    t.clock.advance(WEEK_MS);
    expect(await home()).not.toContain('id="featured-heading"');
  });

  it('refuses a draft, or someone else’s article, before any row or Stripe call', async () => {
    const before = (await queryRows<{ n: number }>(t.database.db, "select count(*)::int as n from charges where product = 'featured_article'"))[0]!.n;
    const draft = await article(author, false);
    const refused = await feature(author, draft.id);
    expect(refused.statusCode).toBe(422);
    expect(json(refused).error.fields).toEqual({ article_id: 'Publish the article first.' });
    const stranger = await member(t.app);
    expect((await feature(stranger, (await article(author)).id)).statusCode).toBe(403);
    expect((await feature(author, 2147483000)).statusCode).toBe(404);
    const after = (await queryRows<{ n: number }>(t.database.db, "select count(*)::int as n from charges where product = 'featured_article'"))[0]!.n;
    expect(after).toBe(before);
  });

  it('leaves the home page when its charge is refunded in full', async () => {
    t.clock.set(new Date(START.getTime() + 70 * WEEK_MS));
    const a = await article(author);
    const charge = json(await feature(author, a.id)).charge;
    expect(await home()).toContain(a.title);
    const refund = await t.app.inject({ method: 'POST', url: `/api/v1/admin/charges/${charge.id}/refunds`, headers: { ...boss.auth, 'idempotency-key': `refund-${charge.id}` }, payload: {} });
    expect(refund.statusCode).toBeLessThan(300);
    expect(await home()).not.toContain('id="featured-heading"');
  });
});
