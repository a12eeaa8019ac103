import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormClient } from './helpers/browser-form.js';
import { queryRows } from '../src/db/client.js';
import { admin, type Member, member, type TestApp, startTestApp } from './helpers/app.js';

let t: TestApp;
let m: Member;
let browser: FormClient;
beforeAll(async () => {
  t = await startTestApp();
  m = await member(t.app);
  browser = new FormClient(t.app);
  const login = await browser.submit('/login', '/login', { email: m.email, password: m.password });
  expect(login.statusCode).toBe(303);
}, 60_000);
afterAll(() => t.close());

/** A request whose path goes on the wire verbatim (fetch and inject normalise it). */
function raw(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: (t.app.server.address() as AddressInfo).port, method, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end(method === 'GET' ? undefined : '{}');
  });
}

describe('the session cookie never authenticates the JSON API', () => {
  const spellings = (path: string) => {
    const rest = path.slice('/api/'.length);
    return [
      path,
      `/%61pi/${rest}`,
      `/%61%70%69/${rest}`,
      `/api%2F${rest}`,
      `/api%2f${rest}`,
      `/%2561pi/${rest}`,
      `/API/${rest}`,
      `//api/${rest}`,
      `/./api/${rest}`,
      `/api/v1/../v1/${rest.slice('v1/'.length)}`,
      `/api/${rest.replace('/', '%2F')}`,
      `/%61pi/${rest}?x=1`,
      `/api/${rest}/`,
      `/api;/${rest}`,
      `/ap%69/${rest}`,
    ];
  };

  it('through any spelling of an API path', async () => {
    // Every API route without a parameter, in every spelling, both ways.
    const prefixes = new Set(t.app.routeTable.filter((r) => r.url.startsWith('/api/') && !r.url.includes(':')).map((r) => r.url));
    expect(prefixes.size).toBeGreaterThan(5);
    for (const path of ['/api/v1/tokens', '/api/v1/me', '/api/v1/articles?mine=1']) {
      for (const spelling of spellings(path)) {
        const res = await raw('GET', spelling, { cookie: browser.cookieHeader, accept: 'application/json' });
        expect(res.status, `${spelling}: ${res.body}`).not.toBe(200);
        expect(res.body, spelling).not.toContain(m.email);
      }
    }
    for (const path of prefixes) {
      for (const spelling of spellings(path)) {
        for (const method of ['GET', 'POST']) {
          // With the cookie, the answer is the anonymous one.
          const anonymous = await raw(method, spelling, { 'content-type': 'application/json' });
          const res = await raw(method, spelling, { cookie: browser.cookieHeader, 'content-type': 'application/json' });
          expect(res.status, `${method} ${spelling}: ${res.body}`).toBe(anonymous.status);
          expect(res.status, `${method} ${spelling}: ${res.body}`).toBeLessThan(500);
          expect(res.body, spelling).not.toContain(m.email);
        }
      }
    }
    // The bearer token still works, however the path is spelled for the router.
    const withToken = await raw('GET', '/%61pi/v1/me', m.auth);
    expect(withToken.status, withToken.body).toBe(200);
    expect(JSON.parse(withToken.body).user.email).toBe(m.email);
  }, 120_000);
});

it('/metrics is never kept by a cache', async () => {
  const a = await admin(t);
  const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: a.auth });
  expect(res.statusCode).toBe(200);
  expect(res.headers['cache-control']).toBe('no-store');
  const refused = await t.app.inject({ method: 'GET', url: '/metrics' });
  expect(refused.statusCode).toBe(401);
  expect(refused.headers['cache-control']).toBe('no-store');
});

it("marks members' links nofollow ugc noopener, in Markdown and raw HTML alike", async () => {
  const body_markdown = '[site](https://a.example) <a href="https://b.example" rel="follow me">b</a> <https://c.example>';
  const created = await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: m.auth, payload: { title: 'Links', body_markdown, published: true } });
  expect(created.statusCode, created.body).toBe(201);
  const html = created.json().article.body_html as string;
  const anchors = html.match(/<a [^>]*>/g) ?? [];
  expect(anchors).toHaveLength(3);
  for (const a of anchors) expect(a).toContain('rel="nofollow ugc noopener"');
  const page = await t.app.inject({ method: 'GET', url: `/articles/${created.json().article.slug ?? created.json().article.id}` });
  expect(page.body).toContain('<a href="https://a.example" rel="nofollow ugc noopener">site</a>');
});

it('gives links stored before rel survived the sanitiser the same rel (migration 0012)', async () => {
  const created = await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: m.auth, payload: { title: 'Old links', body_markdown: 'x', published: true } });
  const id = created.json().article.id as number;
  // As the sanitiser stored it then: every rel stripped; and text that merely looks like a tag.
  const before = '<p><a href="https://a.example">a</a> <a>b</a> &lt;a href="x"&gt; <abbr>c</abbr></p>';
  await queryRows(t.database.db, `update articles set body_html = '${before}' where id = ${id}`);
  await queryRows(t.database.db, readFileSync(new URL('../drizzle/0012_member_link_rel.sql', import.meta.url), 'utf8'));
  const [row] = await queryRows<{ body_html: string }>(t.database.db, `select body_html from articles where id = ${id}`);
  expect(row!.body_html).toBe('<p><a rel="nofollow ugc noopener" href="https://a.example">a</a> <a rel="nofollow ugc noopener">b</a> &lt;a href="x"&gt; <abbr>c</abbr></p>');
});
