import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEEK_MS } from '../src/products/period.js';
import { admin, grantJobs, json, type Member, member, START, startTestApp, type TestApp } from './helpers/app.js';
import { recordListingCharge } from './helpers/charges.js';

let t: TestApp;
let poster: Member;
beforeAll(async () => {
  t = await startTestApp();
  const boss = await admin(t);
  poster = await member(t.app);
  await grantJobs(t, boss, poster.id);
});
afterAll(() => t.close());

const DAY = 24 * 3600 * 1000;
const listing = async (title: string, published = true) =>
  json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: poster.auth, payload: { title, body_markdown: `${title} body`, job_listing: true, published } })).article;
const jobs = async (page = 1) => json(await t.app.inject({ method: 'GET', url: `/api/v1/jobs?page=${page}` }));
const ids = (body: Record<string, any>) => body.jobs.map((j: { id: number }) => j.id);
const jobsPage = async () => (await t.app.inject({ method: 'GET', url: '/jobs' })).body;

describe('/jobs', () => {
  it('shows a listing only while paid, and drops it when the week ends without any job running', async () => {
    t.clock.set(START);
    const a = await listing('Backend engineer');
    expect(ids(await jobs())).not.toContain(a.id);
    expect(await jobsPage()).not.toContain('Backend engineer');

    // The page is read before the API each time: its own rendering follows the payment and the expiry.
    await recordListingCharge(t.database.db, { userId: poster.id, articleId: a.id, paidAt: t.clock.now() });
    expect(await jobsPage()).toContain('Backend engineer');
    const live = await jobs();
    expect(ids(live)).toContain(a.id);
    const job = live.jobs.find((j: { id: number }) => j.id === a.id);
    expect(job).toMatchObject({ title: 'Backend engineer', paid: true, author: { username: poster.username }, url: `/articles/${a.id}` });
    expect(job.excerpt).toBe('Backend engineer body');

    t.clock.advance(WEEK_MS - 1);
    expect(await jobsPage()).toContain('Backend engineer');
    expect(ids(await jobs())).toContain(a.id);
    t.clock.advance(1);
    expect(await jobsPage()).not.toContain('Backend engineer');
    expect(ids(await jobs())).not.toContain(a.id);
    // Past its week the listing is hidden again: only its author still reads it.
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/articles/${a.id}` })).statusCode).toBe(404);
    const article = json(await t.app.inject({ method: 'GET', url: `/api/v1/articles/${a.id}`, headers: poster.auth })).article;
    expect(article).toMatchObject({ paid: false, live: false });
    expect(article.paid_until).toBe(new Date(START.getTime() + WEEK_MS).toISOString());
  });

  it('bumps a listing paid again to the top and extends it from the end of its week', async () => {
    t.clock.set(new Date(START.getTime() + 10 * WEEK_MS));
    const first = await listing('First');
    const second = await listing('Second');
    await recordListingCharge(t.database.db, { userId: poster.id, articleId: first.id, paidAt: t.clock.now() });
    t.clock.advance(DAY);
    await recordListingCharge(t.database.db, { userId: poster.id, articleId: second.id, paidAt: t.clock.now() });
    expect(ids(await jobs()).slice(0, 2)).toEqual([second.id, first.id]);

    t.clock.advance(DAY);
    const bumpedAt = t.clock.now();
    const w = await recordListingCharge(t.database.db, { userId: poster.id, articleId: first.id, paidAt: bumpedAt });
    expect(ids(await jobs()).slice(0, 2)).toEqual([first.id, second.id]);
    expect(w.bumpedAt).toEqual(bumpedAt);
    expect(w.paidUntil!.getTime()).toBe(START.getTime() + 12 * WEEK_MS);
  });

  it('hides unpublished and refunded listings and recomputes before saving', async () => {
    t.clock.set(new Date(START.getTime() + 20 * WEEK_MS));
    const draft = await listing('Draft job', false);
    await recordListingCharge(t.database.db, { userId: poster.id, articleId: draft.id, paidAt: t.clock.now() });
    expect(ids(await jobs())).not.toContain(draft.id);
    const saved = await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${draft.id}`, headers: poster.auth, payload: { published: true } });
    expect(json(saved).article.paid).toBe(true);
    expect(ids(await jobs())).toContain(draft.id);

    const refunded = await listing('Refunded job');
    await recordListingCharge(t.database.db, { userId: poster.id, articleId: refunded.id, paidAt: t.clock.now(), status: 'refunded' });
    expect(ids(await jobs())).not.toContain(refunded.id);
  });

  it('paginates 20 a page with the total', async () => {
    t.clock.set(new Date(START.getTime() + 30 * WEEK_MS));
    for (let i = 0; i < 23; i++) {
      const a = await listing(`Paged ${i}`);
      await recordListingCharge(t.database.db, { userId: poster.id, articleId: a.id, paidAt: new Date(t.clock.now().getTime() + i) });
    }
    const p1 = await jobs(1);
    const p2 = await jobs(2);
    expect(p1.total).toBe(23);
    expect(p1.jobs).toHaveLength(20);
    expect(p2.jobs).toHaveLength(3);
    expect(p2.page).toBe(2);
    expect(p1.jobs[0].title).toBe('Paged 22');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/jobs?page=0' })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/jobs?page=abc' })).statusCode).toBe(400);
  });
});
