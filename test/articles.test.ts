import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { admin, grantJobs, json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

let t: TestApp;
let poster: Member;
let plain: Member;
beforeAll(async () => {
  t = await startTestApp();
  const boss = await admin(t);
  poster = await member(t.app);
  plain = await member(t.app);
  await grantJobs(t, boss, poster.id);
});
afterAll(() => t.close());

const post = (m: Member, payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: m.auth, payload });
const countArticles = async () => (await queryRows<{ n: number }>(t.database.db, 'select count(*)::int as n from articles'))[0]!.n;

describe('articles', () => {
  it('creates, reads, edits, publishes and unpublishes an article', async () => {
    const created = await post(plain, { title: 'Hello', body_markdown: '# Hi\n\nSome *text*.', tags: ['intro', 'TS'] });
    expect(created.statusCode).toBe(201);
    const a = json(created).article;
    expect(a).toMatchObject({ title: 'Hello', tags: ['intro', 'ts'], published: false, job_listing: false, paid: false, paid_until: null, bumped_at: null });
    expect(a.body_html).toContain('<em>text</em>');

    // A draft is invisible to others, visible to its author.
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/articles/${a.id}`, headers: poster.auth })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/articles/${a.id}`, headers: plain.auth })).statusCode).toBe(200);

    const published = await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${a.id}`, headers: plain.auth, payload: { published: true, title: 'Hello again' } });
    expect(json(published).article).toMatchObject({ published: true, title: 'Hello again', published_at: expect.any(String) });
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/articles/${a.id}` })).statusCode).toBe(200);
    const page = await t.app.inject({ method: 'GET', url: `/articles/${a.id}` });
    expect(page.body).toContain('Hello again');

    const unpublished = await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${a.id}`, headers: plain.auth, payload: { published: false } });
    expect(json(unpublished).article.published).toBe(false);
    const mine = await t.app.inject({ method: 'GET', url: '/api/v1/articles?mine=1', headers: plain.auth });
    expect(json(mine).articles.map((x: { id: number }) => x.id)).toContain(a.id);
  });

  it("refuses to edit someone else's article", async () => {
    const a = json(await post(poster, { title: 'Mine', body_markdown: 'x', published: true })).article;
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${a.id}`, headers: plain.auth, payload: { title: 'Stolen' } });
    expect(res.statusCode).toBe(403);
    const draft = json(await post(poster, { title: 'Draft', body_markdown: 'x' })).article;
    const hidden = await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${draft.id}`, headers: plain.auth, payload: { title: 'Stolen' } });
    expect(hidden.statusCode).toBe(404);
    const unknown = await t.app.inject({ method: 'PATCH', url: '/api/v1/articles/987654', headers: plain.auth, payload: { title: 'x' } });
    expect(unknown.statusCode).toBe(404);
    const notAnId = await t.app.inject({ method: 'GET', url: '/api/v1/articles/abc' });
    expect(notAnId.statusCode).toBe(400);
  });

  it('lets only members with can_post_jobs create or turn on a job listing', async () => {
    const before = await countArticles();
    const denied = await post(plain, { title: 'Hiring', body_markdown: 'x', job_listing: true });
    expect(denied.statusCode).toBe(403);
    expect(json(denied).error.message).toMatch(/permission to post jobs/);
    expect(await countArticles()).toEqual(before);

    const a = json(await post(plain, { title: 'Plain', body_markdown: 'x' })).article;
    const turnOn = await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${a.id}`, headers: plain.auth, payload: { job_listing: true } });
    expect(turnOn.statusCode).toBe(403);

    const ok = await post(poster, { title: 'Hiring', body_markdown: 'x', job_listing: true });
    expect(ok.statusCode).toBe(201);
    expect(json(ok).article.job_listing).toBe(true);
  });

  it('renders markdown inert: no scripts, handlers or javascript: links', async () => {
    const body = [
      '<script>alert(1)</script>',
      '<img src="x" onerror="alert(2)">',
      '[click](javascript:alert(3))',
      '<a href="javascript:alert(4)" onclick="alert(5)">x</a>',
      '<iframe src="https://evil.example"></iframe>',
      '<svg onload="alert(6)"></svg>',
      '[ok](https://example.com)',
    ].join('\n\n');
    const a = json(await post(plain, { title: '<b>Title</b>', body_markdown: body, published: true })).article;
    expect(a.body_html).not.toMatch(/<script|onerror|onclick|onload|javascript:|<iframe|<svg/i);
    expect(a.body_html).toContain('href="https://example.com"');
    const page = await t.app.inject({ method: 'GET', url: `/articles/${a.id}` });
    expect(page.body).toContain('&lt;b>Title&lt;/b>');
    expect(page.body).not.toMatch(/<script>alert|onerror=|javascript:alert/);
  });

  it('validates input with a message per field and writes nothing', async () => {
    const before = await countArticles();
    const res = await post(plain, { title: '', body_markdown: 42, tags: ['ok', 'not ok!'], published: 'yes' });
    expect(res.statusCode).toBe(400);
    expect(Object.keys(json(res).error.fields).sort()).toEqual(['body_markdown', 'published', 'tags.1', 'title']);
    const tooMany = await post(plain, { title: 't', body_markdown: 'x', tags: ['a', 'b', 'c', 'd', 'e', 'f'] });
    expect(tooMany.statusCode).toBe(400);
    const anon = await t.app.inject({ method: 'POST', url: '/api/v1/articles', payload: { title: 't', body_markdown: 'x' } });
    expect(anon.statusCode).toBe(401);
    expect(await countArticles()).toEqual(before);
  });

  it('writes and edits through the browser forms', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: poster.email, password: poster.password });
    const created = await browser.submit('/articles/new', '/articles', {
      title: 'Form job',
      body_markdown: 'We are *hiring*.',
      tags: 'jobs, remote',
      job_listing: 'on',
      published: 'on',
    });
    expect(created.statusCode).toBe(303);
    const editUrl = created.headers.location as string;
    const edit = await browser.get(editUrl);
    expect(edit.body).toContain('Not paid');
    expect(edit.body).toContain('Pay to list on /jobs');
    const id = editUrl.match(/\/articles\/(\d+)\/edit/)![1];
    const invalid = await browser.submit(editUrl, `/articles/${id}`, { title: '', body_markdown: 'x' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain('Enter a title.');
    const dashboard = await browser.get('/dashboard');
    expect(dashboard.body).toContain('Form job');
    expect(dashboard.body).toContain('Not paid');
  });

  it('links to the article after saving it: published, or a preview while it is not live', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: plain.email, password: plain.password });
    const published = await browser.submit('/articles/new', '/articles', { title: 'Seen at once', body_markdown: 'Hello.', published: 'on' });
    const id = (published.headers.location as string).match(/\/articles\/(\d+)\/edit/)![1];
    expect((await browser.get(published.headers.location as string)).body).toContain(`<a href="/articles/${id}">See it published</a>`);
    const draft = await browser.submit('/articles/new', '/articles', { title: 'Not yet', body_markdown: 'Soon.' });
    const draftId = (draft.headers.location as string).match(/\/articles\/(\d+)\/edit/)![1];
    expect((await browser.get(draft.headers.location as string)).body).toContain(`<a href="/articles/${draftId}">Preview it</a>`);
  });
});
