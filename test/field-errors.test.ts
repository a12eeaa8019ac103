import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, grantJobs, json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

let t: TestApp;
let boss: Member;
let poster: Member;
beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
  poster = await member(t.app);
  await grantJobs(t, boss, poster.id);
});
afterAll(() => t.close());

let seq = 0;
const key = () => `field-errors-${++seq}-${Date.now()}`;
const send = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: unknown, who: Member | undefined = poster) =>
  t.app.inject({ method, url, headers: { ...(who?.auth ?? {}), 'idempotency-key': key() }, ...(payload === undefined ? {} : { payload: payload as object }) });

/** The zod library's own words, which no field error may show. */
const LIBRARY_TEXT = /Invalid input|Invalid option|Invalid (URL|email)|Invalid string|expected (string|number|boolean|int|array|object)|received|Too (big|small)|Unrecognized key|Required\.$/;

/** A sentence a person wrote: a capital letter (or a quote), words, a full stop. */
function expectSentences(fields: Record<string, string>, what: string) {
  expect(Object.keys(fields).length, what).toBeGreaterThan(0);
  for (const [field, message] of Object.entries(fields)) {
    expect(message, `${what}: ${field}`).not.toMatch(LIBRARY_TEXT);
    expect(message, `${what}: ${field}`).toMatch(/^[A-Z“"$].*[.?]$/s);
  }
}

describe('field errors are sentences a person wrote', () => {
  it('names the missing headline of a billboard in words (API)', async () => {
    const res = await send('POST', '/api/v1/charges', { product: 'billboard', payment_method: 'pm_card_visa', link_url: 'https://a.example' });
    expect(res.statusCode).toBe(400);
    expect(json(res).error.fields).toEqual({ headline: 'Enter a headline.' });
  });

  it('answers every bad field of every member-facing API in sentences', async () => {
    const article = json(await send('POST', '/api/v1/articles', { title: 'Mine', body_markdown: 'x' })).article;
    const cases: Array<[string, 'POST' | 'PATCH' | 'GET', string, unknown, Member?]> = [
      ['empty article', 'POST', '/api/v1/articles', {}],
      ['wrong types', 'POST', '/api/v1/articles', { title: 5, body_markdown: [], tags: 'a b c d e f', published: 'yes' }],
      ['bad tag', 'PATCH', `/api/v1/articles/${article.id}`, { tags: ['no spaces allowed'] }],
      ['unknown field', 'PATCH', `/api/v1/articles/${article.id}`, { title: 'x'.repeat(201), colour: 'red' }],
      ['auto-renew', 'POST', `/api/v1/articles/${article.id}/auto-renew`, { enabled: 'yes' }],
      ['page', 'GET', '/api/v1/jobs?page=0', undefined],
      ['id', 'GET', '/api/v1/articles/abc', undefined],
      ['charge', 'POST', '/api/v1/charges', { product: '', article_id: 'one' }],
      ['billboard', 'POST', '/api/v1/charges', { product: 'billboard', payment_method: 'pm_card_visa', headline: 'Hi', link_url: 'ftp://x', image_url: 7 }],
      ['listing without article', 'POST', '/api/v1/charges', { product: 'job_listing', payment_method: 'pm_card_visa' }],
      ['signup', 'POST', '/api/v1/users', { username: 'a b', email: 'not-mail', password: 'short' }, undefined],
      ['signup, nothing', 'POST', '/api/v1/users', {}, undefined],
      ['token', 'POST', '/api/v1/tokens', { email: 'x' }, undefined],
      ['password', 'POST', '/api/v1/me/password', { new_password: 1 }],
      ['permission request', 'POST', '/api/v1/me/permission-requests', { note: 5 }],
      ['permission', 'POST', `/api/v1/admin/users/${poster.id}/permissions`, { can_post_jobs: 'yes' }, boss],
      ['refund', 'POST', '/api/v1/admin/charges/1/refunds', { amount: -5, reason: 'bored' }, boss],
      ['ledger', 'GET', '/api/v1/admin/charges?status=lost&sort=colour&page=-1', undefined, boss],
    ];
    for (const [what, method, url, payload, who] of cases) {
      const res = await send(method, url, payload, who === undefined && ['signup', 'signup, nothing', 'token'].includes(what) ? undefined : (who ?? poster));
      expect(res.statusCode, `${what}: ${res.body}`).toBe(400);
      expectSentences(json(res).error.fields, what);
    }
  });

  it('shows the same sentences beside the fields of the forms', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: poster.email, password: poster.password });
    const empty = await browser.submit('/articles/new', '/articles', { title: ' ', body_markdown: 'x' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toMatch(/id="title-error">Enter a title\.</);
    const billboard = await browser.submit('/charges/new?product=billboard', '/charges', {
      product: 'billboard',
      headline: '',
      link_url: 'nope',
      payment_method: 'pm_card_visa',
      idempotency_key: key(),
    });
    expect(billboard.statusCode).toBe(400);
    expect(billboard.body).toMatch(/id="error-headline"[^>]*>Enter a headline\.</);
    expect(billboard.body).not.toMatch(LIBRARY_TEXT);
  });

  it('marks each refused field of the sign-up form invalid, beside its message', async () => {
    const page = await new FormClient(t.app).submit('/signup', '/signup', { username: 'a b', email: 'not-mail', password: 'short' });
    expect(page.statusCode).toBe(400);
    for (const field of ['username', 'email', 'password']) {
      expect(page.body, field).toMatch(new RegExp(`name="${field}"[^>]*aria-invalid="true"[^>]*aria-describedby="${field}-error"`));
      expect(page.body, field).toMatch(new RegExp(`id="${field}-error">[A-Z][^<]+\\.<`));
    }
  });

  it('speaks dollars, in the currency’s format, when a refund asks for too much', async () => {
    const article = json(await send('POST', '/api/v1/articles', { title: 'Refund me', body_markdown: 'x', job_listing: true, published: true })).article;
    const charge = json(await send('POST', '/api/v1/charges', { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa' })).charge;
    const api = await send('POST', `/api/v1/admin/charges/${charge.id}/refunds`, { amount: 2501 }, boss);
    expect(api.statusCode).toBe(400);
    expect(json(api).error.fields).toEqual({ amount: 'At most $25.00, what is left to refund.' });

    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: boss.email, password: boss.password });
    const page = `/admin/finance/charges/${charge.id}`;
    const idempotencyKey = (await browser.get(page)).body.match(/name="idempotency_key" value="([^"]+)"/)![1]!;
    const form = await browser.submit(page, `/admin/charges/${charge.id}/refunds`, { idempotency_key: idempotencyKey, amount: '30.00' });
    expect(form.statusCode).toBe(400);
    expect(form.body).toContain('At most $25.00, what is left to refund.');
    expect(form.body).toMatch(/id="amount-error">At most \$25\.00, what is left to refund\.</);
  });
});
