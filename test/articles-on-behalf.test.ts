import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { admin, json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

let t: TestApp;
let boss: Member;
let ada: Member;
let bob: Member;
let eve: Member;

beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
  [ada, bob, eve] = [await member(t.app, 'hada'), await member(t.app, 'hbob'), await member(t.app, 'heve')];
  await call(ada, 'POST', '/api/v1/organizations', { name: 'Hire Co', slug: 'hire-co' });
  await call(ada, 'POST', '/api/v1/organizations/hire-co/members', { username: 'hbob', role: 'member' });
  await call(eve, 'POST', '/api/v1/organizations', { name: 'Eve Labs', slug: 'eve-labs' });
});
afterAll(() => t.close());

const call = (who: Member, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => t.app.inject({ method, url, headers: who.auth, ...(payload ? { payload } : {}) });
const write = (who: Member, payload: object) => call(who, 'POST', '/api/v1/articles', { title: 'A post', body_markdown: 'Body', published: true, ...payload });
const articleCount = async () => (await queryRows<{ n: number }>(t.database.db, 'select count(*)::int as n from articles'))[0]!.n;

describe('posting on behalf of an organization', () => {
  it('lets a member post an article on its behalf; a non-member or an unknown organization is a 404, nothing written', async () => {
    const posted = await write(bob, { title: 'Our stack', organization: 'hire-co' });
    expect(posted.statusCode).toBe(201);
    expect(json(posted).article.organization).toEqual({ slug: 'hire-co', name: 'Hire Co' });
    expect(json(await write(bob, { title: 'Mine' })).article.organization).toBeNull();

    const before = await articleCount();
    for (const organization of ['hire-co', 'no-such-org']) {
      const refused = await write(eve, { organization });
      expect(refused.statusCode, organization).toBe(404);
      expect(json(refused).error).toMatchObject({ code: 'not_found', fields: { organization: expect.any(String) } });
    }
    expect((await write(eve, { organization: 42 })).statusCode).toBe(400);
    expect(await articleCount()).toBe(before);
  });

  it('refuses a job listing when neither the organization nor the author may post jobs (403, as before)', async () => {
    const before = await articleCount();
    expect((await write(bob, { job_listing: true, organization: 'hire-co' })).statusCode).toBe(403);
    expect((await write(bob, { job_listing: true })).statusCode).toBe(403);
    expect(await articleCount()).toBe(before);
  });

  it("lets any member post a job listing on behalf of an organization allowed to, and /jobs shows the company", async () => {
    expect((await call(boss, 'POST', '/api/v1/admin/organizations/hire-co/permissions', { can_post_jobs: true })).statusCode).toBe(200);
    const posted = await write(bob, { title: 'Rust engineer at Hire Co', job_listing: true, organization: 'hire-co' });
    expect(posted.statusCode).toBe(201);
    const job = json(posted).article;
    expect(job.organization).toEqual({ slug: 'hire-co', name: 'Hire Co' });
    // Still not without the organization: the permission is the organization's, not bob's.
    expect((await write(bob, { job_listing: true })).statusCode).toBe(403);

    // bob pays for it on the organization's permission, as he posted it; not once the organization loses it.
    const pay = () => call(bob, 'POST', '/api/v1/charges', { product: 'job_listing', article_id: job.id, payment_method: 'pm_card_visa' });
    expect((await pay()).statusCode).toBe(201);
    expect((await call(boss, 'POST', '/api/v1/admin/organizations/hire-co/permissions', { can_post_jobs: false })).statusCode).toBe(200);
    expect((await pay()).statusCode).toBe(403);
    expect((await call(boss, 'POST', '/api/v1/admin/organizations/hire-co/permissions', { can_post_jobs: true })).statusCode).toBe(200);
    const listed = json(await t.app.inject({ method: 'GET', url: '/api/v1/jobs' })).jobs.find((j: { id: number }) => j.id === job.id);
    expect(listed).toMatchObject({ title: 'Rust engineer at Hire Co', organization: { slug: 'hire-co', name: 'Hire Co' }, author: { username: 'hbob' } });
    const page = (await t.app.inject({ method: 'GET', url: '/jobs' })).body;
    expect(page).toMatch(/by hbob for <strong class="organization" data-organization="hire-co">Hire Co<\/strong>/);
    expect((await t.app.inject({ method: 'GET', url: `/articles/${job.id}` })).body).toContain('data-organization="hire-co">Hire Co</strong>');
    expect(json(await t.app.inject({ method: 'GET', url: `/api/v1/articles/${job.id}` })).article.organization).toEqual({ slug: 'hire-co', name: 'Hire Co' });
  });

  it('moves an article between organizations with PATCH, null taking it back; a listing needs the permission where it goes', async () => {
    const own = json(await write(bob, { title: 'Draft listing' })).article;
    expect((await call(bob, 'PATCH', `/api/v1/articles/${own.id}`, { organization: 'eve-labs' })).statusCode).toBe(404);
    expect((await call(eve, 'PATCH', `/api/v1/articles/${own.id}`, { organization: 'eve-labs' })).statusCode).toBe(403);

    const moved = await call(bob, 'PATCH', `/api/v1/articles/${own.id}`, { organization: 'hire-co', job_listing: true });
    expect(moved.statusCode).toBe(200);
    expect(json(moved).article).toMatchObject({ job_listing: true, organization: { slug: 'hire-co' } });

    // Back to bob's own: a job listing bob alone may not post, so it stays where it is.
    const back = await call(bob, 'PATCH', `/api/v1/articles/${own.id}`, { organization: null });
    expect(back.statusCode).toBe(403);
    expect(json(await call(bob, 'GET', `/api/v1/articles/${own.id}`)).article.organization).toEqual({ slug: 'hire-co', name: 'Hire Co' });

    const plain = json(await write(bob, { title: 'Plain', organization: 'hire-co' })).article;
    const cleared = await call(bob, 'PATCH', `/api/v1/articles/${plain.id}`, { organization: null });
    expect(json(cleared).article.organization).toBeNull();
  });

  it('offers "On behalf of" in the editor and posts through it', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: bob.email, password: bob.password });
    const editor = await browser.get('/articles/new');
    expect(editor.body).toMatch(/On behalf of <select name="organization"[^>]*><option value>myself<\/option><option value="hire-co">Hire Co<\/option>/);
    // The organization may post jobs: the box is offered to bob, who may not himself.
    expect(editor.body).toContain('This is a job listing');

    const bad = await browser.submit('/articles/new', '/articles', { title: 'Via form', body_markdown: 'x', organization: 'eve-labs' });
    expect(bad.statusCode).toBe(404);
    expect(bad.body).toMatch(/id="organization-error">You are not a member/);
    expect(bad.body).toContain('value="Via form"');

    const saved = await browser.submit('/articles/new', '/articles', { title: 'Via form', body_markdown: 'x', organization: 'hire-co', job_listing: 'on' });
    expect(saved.statusCode).toBe(303);
    const id = Number(/\/articles\/(\d+)\/edit/.exec(saved.headers.location as string)![1]);
    const edit = await browser.get(`/articles/${id}/edit`);
    expect(edit.body).toContain('<option value="hire-co" selected>Hire Co</option>');
    expect(json(await call(bob, 'GET', `/api/v1/articles/${id}`)).article).toMatchObject({ job_listing: true, organization: { slug: 'hire-co' } });
  });
});
