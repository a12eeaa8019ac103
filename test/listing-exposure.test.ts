import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEEK_MS } from '../src/products/period.js';
import { admin, grantJobs, json, type Member, member, START, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

let t: TestApp;
let boss: Member;
let poster: Member;
let reader: Member;
beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
  poster = await member(t.app);
  reader = await member(t.app);
  await grantJobs(t, boss, poster.id);
  await grantJobs(t, boss, reader.id);
});
afterAll(() => t.close());

let seq = 0;
const listing = async (title: string) =>
  json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: poster.auth, payload: { title, body_markdown: 'We are hiring.', job_listing: true, published: true } })).article;
const get = (url: string, who?: Member) => t.app.inject({ method: 'GET', url, headers: who?.auth ?? {} });
const pay = (who: Member, product: string, articleId: number) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/charges',
    headers: { ...who.auth, 'idempotency-key': `exposure-${++seq}-${Math.random().toString(36).slice(2)}` },
    payload: { product, article_id: articleId, payment_method: 'pm_card_visa' },
  });
const titles = (res: { json(): Record<string, any> }, list: 'articles' | 'jobs') => res.json()[list].map((a: { title: string }) => a.title) as string[];

/** Every public list an article can show on. */
async function publicLists() {
  return {
    home: (await get('/')).body,
    jobs: (await get('/jobs')).body,
    articles: titles(await get('/api/v1/articles'), 'articles'),
    apiJobs: titles(await get('/api/v1/jobs'), 'jobs'),
  };
}

describe('a job listing is live only while paid', () => {
  it('shows an unpaid listing on no public list and answers 404 on its page to everyone but its author and admins', async () => {
    t.clock.set(START);
    const a = await listing('Unpaid rocket engineer');
    expect(a).toMatchObject({ published: true, paid: false, live: false });
    const lists = await publicLists();
    expect(lists.home).not.toContain('Unpaid rocket engineer');
    expect(lists.jobs).not.toContain('Unpaid rocket engineer');
    expect(lists.articles).not.toContain('Unpaid rocket engineer');
    expect(lists.apiJobs).not.toContain('Unpaid rocket engineer');

    for (const who of [undefined, reader]) {
      expect((await get(`/articles/${a.id}`, who)).statusCode).toBe(404);
      expect((await get(`/api/v1/articles/${a.id}`, who)).statusCode).toBe(404);
    }
    const own = await get(`/api/v1/articles/${a.id}`, poster);
    expect(json(own).article).toMatchObject({ live: false, paid: false });

    // Its author and admins see why it is hidden; the author can pay from there.
    const author = new FormClient(t.app);
    await author.submit('/login', '/login', { email: poster.email, password: poster.password });
    const page = await author.get(`/articles/${a.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Not live: pay to publish');
    expect(page.body).toMatch(new RegExp(`action="/charges/new".*name="article_id" value="${a.id}".*Pay to publish</button>`, 's'));
    // The dashboard does not call it published as if the public saw it.
    const dashboard = (await author.get('/dashboard')).body;
    expect(dashboard).toMatch(new RegExp(`href="/articles/${a.id}">Unpaid rocket engineer</a>\\s*</td>\\s*<td data-label="State">published, not live</td>`));
    const adminBrowser = new FormClient(t.app);
    await adminBrowser.submit('/login', '/login', { email: boss.email, password: boss.password });
    const adminPage = await adminBrowser.get(`/articles/${a.id}`);
    expect(adminPage.statusCode).toBe(200);
    expect(adminPage.body).toContain('Not live: pay to publish');
    expect(adminPage.body).not.toContain('Pay to publish</button>');
  });

  it('shows a listing everywhere once paid, and hides it again when its week ends', async () => {
    t.clock.set(new Date(START.getTime() + 10 * WEEK_MS));
    const a = await listing('Paid rocket engineer');
    expect((await pay(poster, 'job_listing', a.id)).statusCode).toBe(201);
    let lists = await publicLists();
    expect(lists.home).toContain('Paid rocket engineer');
    expect(lists.jobs).toContain('Paid rocket engineer');
    expect(lists.articles).toContain('Paid rocket engineer');
    expect(lists.apiJobs).toContain('Paid rocket engineer');
    const live = json(await get(`/api/v1/articles/${a.id}`));
    expect(live.article).toMatchObject({ live: true, paid: true });
    expect((await get(`/articles/${a.id}`)).body).not.toContain('Not live');

    t.clock.advance(WEEK_MS);
    lists = await publicLists();
    expect(lists.home).not.toContain('Paid rocket engineer');
    expect(lists.articles).not.toContain('Paid rocket engineer');
    expect((await get(`/articles/${a.id}`)).statusCode).toBe(404);
    expect((await get(`/api/v1/articles/${a.id}`, reader)).statusCode).toBe(404);
  });

  it("does not reveal someone else's unpaid listing to a buyer, and features no unpaid listing", async () => {
    t.clock.set(new Date(START.getTime() + 20 * WEEK_MS));
    const a = await listing('Hidden rocket engineer');
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: reader.email, password: reader.password });
    for (const product of ['job_listing', 'featured_article']) {
      const res = await pay(reader, product, a.id);
      expect(res.statusCode, product).toBe(404);
      expect(res.body).not.toContain('Hidden rocket engineer');
      expect((await browser.get(`/charges/new?product=${product}&article_id=${a.id}`)).statusCode).toBe(404);
    }
    // Featuring one's own unpaid listing would buy it the top of the home page for less: refused.
    const featured = await pay(poster, 'featured_article', a.id);
    expect(featured.statusCode).toBe(422);
    expect(json(featured).error.code).toBe('not_live');
    expect((await get('/')).body).not.toContain('Hidden rocket engineer');
  });
});
