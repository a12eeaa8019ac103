import { randomUUID } from 'node:crypto';
import { type AddressInfo, connect } from 'node:net';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { csvCell } from '../src/finance/export.js';
import { admin, grantJobs, json, type Member, member, startTestApp, TEST_WEBHOOK_SECRET, type TestApp } from './helpers/app.js';
import { csrfFrom, FormClient } from './helpers/browser-form.js';
import { hardeningSuite } from './helpers/hardening.js';

// CSRF tokens, small things that were 500s or wrong answers, and sign-up. Article rendering is in
// hardening-article-rendering.test.ts.
const sdk = new Stripe('sk_test_unused');

const { s, countArticles, postArticle } = hardeningSuite();
let t: TestApp;
let writer: Member;
beforeAll(() => {
  ({ t, writer } = s);
});

describe('CSRF tokens', () => {
  const post = (cookie: string, url: string, fields: Record<string, string>) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(fields).toString(),
    });
  const signedIn = async (who: Member) => {
    const browser = new FormClient(t.app);
    const res = await browser.submit('/login', '/login', { email: who.email, password: who.password });
    expect(res.statusCode).toBe(303);
    return browser;
  };
  /** The victim's session cookie with every other cookie (and the token) of the attacker's browser. */
  const planted = (victim: FormClient, attacker: FormClient) =>
    [`sid=${victim.cookie('sid')}`, ...attacker.cookieHeader.split('; ').filter((c) => c && !c.startsWith('sid='))].join('; ');
  const refusedAsForged = (res: { statusCode: number; body: string }) => {
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('The form expired or was not sent from this site');
  };

  it('refuses a token from another session, signed in or not, even with its cookies planted', async () => {
    const victim = await signedIn(writer);
    const before = (await queryRows<{ n: number }>(t.database.db, `select count(*)::int as n from api_tokens where user_id = ${writer.id}`))[0]!.n;
    const otherMember = await signedIn(await member(t.app));
    const stranger = new FormClient(t.app);
    for (const attacker of [otherMember, stranger]) {
      const token = csrfFrom((await attacker.get(attacker === stranger ? '/login' : '/settings')).body);
      refusedAsForged(await post(planted(victim, attacker), '/settings/tokens', { _csrf: token }));
      const json = await t.app.inject({
        method: 'POST',
        url: '/articles',
        headers: { cookie: planted(victim, attacker), 'x-csrf-token': token, 'content-type': 'application/json' },
        payload: { title: 'Forged', body_markdown: 'x' },
      });
      expect(json.statusCode).toBe(403);
    }
    const after = (await queryRows<{ n: number }>(t.database.db, `select count(*)::int as n from api_tokens where user_id = ${writer.id}`))[0]!.n;
    expect(after).toBe(before);
    // The victim's own token still works.
    expect((await victim.submit('/settings', '/settings/tokens', {})).statusCode).toBe(201);
  });

  it('rotates at login and at logout: a token from before no longer works', async () => {
    const browser = new FormClient(t.app);
    const beforeLogin = csrfFrom((await browser.get('/login')).body);
    expect(browser.cookie('psid')).toBeTruthy();
    const login = await post(browser.cookieHeader, '/login', { _csrf: beforeLogin, email: writer.email, password: writer.password });
    expect(login.statusCode).toBe(303);
    const cleared = (login.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'psid');
    expect(cleared?.value).toBe('');
    const sid = (login.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'sid')!.value;
    // The browser now holds the new session; its pre-session is gone (as a browser would drop it).
    const session = `sid=${sid}`;
    refusedAsForged(await post(`${session}; psid=${browser.cookie('psid')}`, '/settings/tokens', { _csrf: beforeLogin }));
    const signedInToken = csrfFrom((await t.app.inject({ method: 'GET', url: '/settings', headers: { cookie: session } })).body);
    expect(signedInToken).not.toBe(beforeLogin);
    expect((await post(session, '/settings/tokens', { _csrf: signedInToken })).statusCode).toBe(201);
    expect((await post(session, '/logout', { _csrf: signedInToken })).statusCode).toBe(303);
    // Logged in again: the token of the ended session is refused.
    const again = await signedIn(writer);
    refusedAsForged(await post(again.cookieHeader, '/settings/tokens', { _csrf: signedInToken }));
  });
});

describe('small things that were 500s or wrong answers', () => {
  let boss: Member;
  let bossBrowser: FormClient;
  beforeAll(async () => {
    boss = await admin(t);
    bossBrowser = new FormClient(t.app);
    await bossBrowser.submit('/login', '/login', { email: boss.email, password: boss.password });
  });

  it('refuses unpaired surrogates and NUL in any field, body, query or path, with 400', async () => {
    const before = await countArticles();
    const bad = [
      t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: { ...writer.auth, 'content-type': 'application/json' }, payload: '{"title":"a\\ud800b","body_markdown":"x"}' }),
      t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: { ...writer.auth, 'content-type': 'application/json' }, payload: '{"title":"ok","body_markdown":"x","tags":["\\udc00"]}' }),
      t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'application/json' }, payload: '{"username":"sur","email":"s@example.test","password":"pass\\ud83dword"}' }),
      t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...writer.auth, 'content-type': 'application/json' }, payload: '{"product":"billboard","headline":"\\ud800","link_url":"https://example.com"}' }),
      t.app.inject({ method: 'GET', url: '/api/v1/admin/audit?action=%00', headers: boss.auth }),
      t.app.inject({ method: 'GET', url: '/api/v1/admin/audit?subject_id=a%00', headers: boss.auth }),
    ];
    for (const res of await Promise.all(bad)) {
      expect(res.statusCode, res.body).toBe(400);
      expect(json(res).error.code).toBe('validation_failed');
    }
    // A form cannot carry a lone surrogate (the browser sends U+FFFD), but it can carry a NUL.
    const form = await bossBrowser.submit('/articles/new', '/articles', { title: 'Form \u0000', body_markdown: 'x' });
    expect(form.statusCode).toBe(400);
    // A well-formed pair (an emoji) is fine.
    expect((await postArticle('Fine 😀')).statusCode).toBe(201);
    expect(await countArticles()).toBe(before + 1);
  });

  it("answers Fastify's own refusals in our error shape", async () => {
    const shape = (res: { statusCode: number; body: string }, status: number) => {
      expect(res.statusCode).toBe(status);
      const body = JSON.parse(res.body);
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error).toEqual({ code: expect.any(String), message: expect.any(String) });
    };
    const json = { 'content-type': 'application/json' };
    shape(await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: json, payload: '{bad' }), 400);
    shape(await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: json, payload: '' }), 400);
    shape(await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'application/xml' }, payload: '<a/>' }), 415);
    shape(await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: json, payload: JSON.stringify({ a: 'x'.repeat(300_000) }) }), 413);
    shape(await t.app.inject({ method: 'GET', url: '/api/v1/articles/%E0%A4%A' }), 400);
    shape(await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here' }), 404);
    const page = await t.app.inject({ method: 'GET', url: '/articles/%E0%A4%A' });
    expect(page.statusCode).toBe(400);
    expect(page.headers['content-type']).toContain('text/html');
    // Requests Node refuses before they reach a route: a control character in a header, a bad length.
    const port = (t.app.server.address() as AddressInfo).port;
    for (const head of ['X-Bad: a\u0001b', 'Content-Length: abc']) {
      const raw = await new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(`GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\n${head}\r\n\r\n`));
        let data = '';
        socket.on('data', (chunk) => {
          data += chunk;
        });
        socket.on('close', () => resolve(data));
      });
      const [status, body] = [raw.split('\r\n')[0], raw.split('\r\n\r\n')[1] ?? ''];
      expect(status).toBe('HTTP/1.1 400 Bad Request');
      shape({ statusCode: 400, body }, 400);
    }
  });

  it('refuses out-of-range dates in admin filters and exports with 400', async () => {
    for (const url of [
      '/api/v1/admin/charges?to=9999-12-31',
      '/api/v1/admin/charges?from=275760-09-13',
      '/api/v1/admin/finance/summary?to=9999-12-31',
      '/api/v1/admin/finance/charges.csv?to=9999-12-31',
      '/api/v1/admin/finance/charges.jsonl?from=%2B275760-09-13T00:00:00Z',
      '/api/v1/admin/finance/refunds.csv?from=1969-12-31',
    ]) {
      const res = await t.app.inject({ method: 'GET', url, headers: boss.auth });
      expect(res.statusCode, url).toBe(400);
      expect(json(res).error.code).toBe('validation_failed');
    }
    const reconcile = await t.app.inject({ method: 'POST', url: '/api/v1/admin/reconcile', headers: boss.auth, payload: { since: '+275760-09-13T00:00:00Z' } });
    expect(reconcile.statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/finance/charges.csv?to=2999-12-31', headers: boss.auth })).statusCode).toBe(200);
  });

  it('keeps negative amounts numbers in CSV, and still defuses formulas', () => {
    expect(csvCell('-1.03')).toBe('-1.03');
    expect(csvCell('-0.05')).toBe('-0.05');
    expect(csvCell('-1+2')).toBe("'-1+2");
    expect(csvCell('-A1')).toBe("'-A1");
    expect(csvCell('=SUM(A1:A2)')).toBe("'=SUM(A1:A2)");
    expect(csvCell('+1')).toBe("'+1");
  });

  it('reads console refund amounts in plain decimal notation only', async () => {
    const poster = await member(t.app);
    await grantJobs(t, boss, poster.id);
    const article = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: poster.auth, payload: { title: 'Refund', body_markdown: 'x', job_listing: true, published: true } })).article;
    const charge = json(await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: poster.auth, payload: { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa' } })).charge;
    const refund = (amount: string) =>
      bossBrowser.submit(`/admin/finance/charges/${charge.id}`, `/admin/charges/${charge.id}/refunds`, { idempotency_key: randomUUID(), amount });
    for (const amount of ['0x10', '1e1', ' 5', '5.', '-1', '1.234', 'Infinity', '0']) expect((await refund(amount)).statusCode, amount).toBe(400);
    expect((await queryRows<{ n: number }>(t.database.db, `select count(*)::int as n from refunds where charge_id = ${charge.id}`))[0]!.n).toBe(0);
    expect((await refund('2.5')).statusCode).toBe(303);
    const [row] = await queryRows<{ amount: number }>(t.database.db, `select amount from refunds where charge_id = ${charge.id}`);
    expect(Number(row!.amount)).toBe(250);
  });

  it('refuses webhooks signed too far in the future, like stale ones', async () => {
    const payload = JSON.stringify({ id: 'evt_future_1', object: 'event', type: 'customer.created', data: { object: {} } });
    const send = (timestamp: number) =>
      t.app.inject({
        method: 'POST',
        url: '/webhooks/stripe',
        headers: { 'content-type': 'application/json', 'stripe-signature': sdk.webhooks.generateTestHeaderString({ payload, secret: TEST_WEBHOOK_SECRET, timestamp }) },
        payload,
      });
    const now = Math.floor(Date.now() / 1000);
    for (const timestamp of [now + 3600, now + 86_400 * 365, now - 3600]) {
      const res = await send(timestamp);
      expect(res.statusCode).toBe(400);
      expect(json(res).error.code).toBe('signature_invalid');
    }
    expect((await queryRows(t.database.db, `select 1 from stripe_events where id = 'evt_future_1'`)).length).toBe(0);
    expect((await send(now + 60)).statusCode).toBe(200);
  });

  it('sends Cache-Control: no-store on everything a session or a token unlocks, and on pages with a form', async () => {
    const signedIn = await new FormClient(t.app).submit('/login', '/login', { email: writer.email, password: writer.password });
    const cookie = `sid=${(signedIn.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'sid')!.value}`;
    for (const url of ['/dashboard', '/settings', '/settings/billing', '/articles/new', '/', '/jobs']) {
      const res = await t.app.inject({ method: 'GET', url, headers: { cookie } });
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
    for (const url of ['/api/v1/me', '/api/v1/articles?mine=1', '/api/v1/payment_methods']) {
      expect((await t.app.inject({ method: 'GET', url, headers: writer.auth })).headers['cache-control'], url).toBe('no-store');
    }
    expect((await t.app.inject({ method: 'GET', url: '/login' })).headers['cache-control']).toBe('no-store');
    expect((await t.app.inject({ method: 'GET', url: '/assets/app.css', headers: { cookie } })).headers['cache-control']).toBe('public, max-age=3600');
    expect((await t.app.inject({ method: 'GET', url: '/jobs' })).headers['cache-control']).toBeUndefined();
  });
});

describe('sign-up and registered e-mails', () => {
  it('names a taken username before a taken e-mail, and limits tries per address', async () => {
    const someone = await member(t.app);
    const both = await t.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: someone.username, email: someone.email, password: 'long enough' } });
    expect(both.statusCode).toBe(409);
    expect(json(both).error.fields).toEqual({ username: 'Already taken.' });
    const limited = await startTestApp({ rateLimits: true });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const payload = { username: `probe${i}`, email: `probe${i}@example.test`, password: 'long enough' };
        statuses.push((await limited.app.inject({ method: 'POST', url: '/api/v1/users', payload })).statusCode);
      }
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
    } finally {
      await limited.close();
    }
  });
});
