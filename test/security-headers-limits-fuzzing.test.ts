import fc from 'fast-check';
import qs from 'qs';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { json, member, startTestApp, type TestApp } from './helpers/app.js';
import { csrfFrom, FormClient } from './helpers/browser-form.js';
import { securitySuite } from './helpers/security.js';

// Security headers, rate limits, fuzzing, NUL characters and login redirects. The authorization
// matrix and the CSRF check are in security.test.ts.
const s = securitySuite();
let t: TestApp;
const { people, browsers } = s;
let listingId = 0;
let chargeId = 0;

beforeAll(async () => {
  ({ t, listingId, chargeId } = s);
});

describe('headers', () => {
  it('sends security headers, and a CSP that allows only the Stripe origin on checkout', async () => {
    const home = await t.app.inject({ method: 'GET', url: '/' });
    expect(home.headers['x-content-type-options']).toBe('nosniff');
    expect(home.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(home.headers['referrer-policy']).toBe('no-referrer');
    // Over plain HTTP browsers ignore HSTS; it is sent on HTTPS responses (test/proxy.test.ts).
    expect(home.headers['strict-transport-security']).toBeUndefined();
    const csp = String(home.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const checkout = await browsers.poster!.get('/charges/new?product=billboard');
    const checkoutCsp = String(checkout.headers['content-security-policy']);
    const scriptSources = checkoutCsp.match(/script-src ([^;]+)/)![1]!.trim().split(/\s+/);
    expect(scriptSources).toEqual(["'self'", t.stripe.url]);
    expect(checkoutCsp).not.toContain('unsafe-eval');
    // The same headers on JSON, on errors and on what no route matches.
    for (const url of ['/api/v1/jobs', '/api/v1/charges/999999', '/no-such-page']) {
      const res = await t.app.inject({ method: 'GET', url, headers: people.member!.auth });
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(String(res.headers['content-security-policy']), url).toContain("frame-ancestors 'none'");
    }
  });
});

describe('rate limits', () => {
  it('limits logins per client and charges per user', async () => {
    const limited = await startTestApp({ rateLimits: true });
    try {
      const m = await member(limited.app);
      const bystander = await member(limited.app);
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        statuses.push((await limited.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { email: m.email, password: 'wrong password' } })).statusCode);
      }
      expect(statuses.slice(0, 8).every((s) => s === 401)).toBe(true);
      expect(statuses.at(-1)).toBe(429);
      const browser = new FormClient(limited.app);
      const pageStatuses: number[] = [];
      for (let i = 0; i < 11; i++) pageStatuses.push((await browser.submit('/login', '/login', { email: m.email, password: 'wrong password' })).statusCode);
      expect(pageStatuses.at(-1)).toBe(429);
      const charges: number[] = [];
      for (let i = 0; i < 31; i++) {
        charges.push((await limited.app.inject({ method: 'POST', url: '/api/v1/charges', headers: m.auth, payload: { product: 'nope', payment_method: 'pm_card_visa' } })).statusCode);
      }
      expect(charges.slice(0, 30).every((s) => s === 400)).toBe(true);
      expect(charges[30]).toBe(429);
      // Another user is not limited by the first one's requests.
      const n = await limited.app.inject({ method: 'POST', url: '/api/v1/charges', headers: bystander.auth, payload: { product: 'nope', payment_method: 'pm_card_visa' } });
      expect(n.statusCode).toBe(400);
    } finally {
      await limited.close();
    }
  });
});

describe('fuzzing', () => {
  const tables = ['users', 'articles', 'charges', 'refunds', 'stripe_events', 'api_tokens', 'fulfilments', 'billboards', 'sessions', 'password_resets', 'payment_mismatches'];
  const snapshot = async () =>
    (await queryRows<{ t: string; n: number }>(t.database.db, tables.map((name) => `select '${name}' as t, count(*)::int as n from ${name}`).join(' union all '))).map(
      (r) => `${r.t}=${r.n}`,
    );
  const nasty = fc.oneof(
    fc.constantFrom(
      "' or 1=1 --",
      '<script>alert(1)</script>',
      '../../etc/passwd',
      ['$', '{7*7}'].join(''),
      '\u0000',
      'pm_card_visa',
      '{"$gt": ""}',
      '9'.repeat(400),
      -1,
      1e308,
      Number.NaN,
      null,
      true,
      [],
      {},
    ),
    fc.string({ maxLength: 200 }),
    fc.integer(),
  );
  const payload = fc.oneof(
    fc.dictionary(fc.constantFrom('product', 'article_id', 'payment_method', 'save_card', 'title', 'body_markdown', 'tags', 'email', 'password', 'username', 'name', 'expires_in_days', 'current_password', 'new_password', 'revoke_tokens', 'amount', 'reason', 'headline', 'link_url', 'job_listing', 'published', '__proto__', 'constructor'), nasty),
    fc.anything({ maxDepth: 3 }),
    fc.string({ maxLength: 300 }),
  );
  const targets = () => [
    { method: 'POST', url: '/api/v1/users', who: undefined },
    { method: 'POST', url: '/api/v1/tokens', who: undefined },
    { method: 'POST', url: '/api/v1/me/password', who: people.member },
    { method: 'POST', url: '/api/v1/articles', who: people.member },
    { method: 'PATCH', url: `/api/v1/articles/${listingId}`, who: people.poster },
    { method: 'POST', url: '/api/v1/charges', who: people.poster },
    { method: 'POST', url: `/api/v1/admin/charges/${chargeId}/refunds`, who: people.admin },
    { method: 'POST', url: `/api/v1/admin/users/${people.member!.id}/permissions`, who: people.admin },
    { method: 'POST', url: '/api/v1/admin/reconcile', who: people.admin },
    { method: 'GET', url: '/api/v1/jobs', who: undefined, query: true },
    { method: 'GET', url: '/api/v1/admin/charges', who: people.admin, query: true },
    { method: 'POST', url: '/webhooks/stripe', who: undefined },
  ];

  it('never answers 5xx and never writes on a rejected request', async () => {
    for (const target of targets()) {
      await fc.assert(
        fc.asyncProperty(payload, fc.boolean(), async (body, asText) => {
          const before = await snapshot();
          const res = target.query
            ? await t.app.inject({
                method: 'GET',
                url: `${target.url}?${typeof body === 'object' && body !== null ? qs.stringify(body) : `page=${encodeURIComponent(String(body))}`}`,
                headers: target.who?.auth,
              })
            : await t.app.inject({
                method: target.method as 'POST',
                url: target.url,
                headers: { ...(target.who?.auth ?? {}), 'content-type': asText ? 'text/plain' : 'application/json', 'stripe-signature': 't=1,v1=00' },
                payload: asText ? String(JSON.stringify(body) ?? 'x') : (JSON.stringify(body) ?? 'null'),
              });
          expect(res.statusCode, `${target.method} ${target.url} ${JSON.stringify(body)?.slice(0, 200)}`).toBeLessThan(500);
          if (res.statusCode >= 400) expect(await snapshot()).toEqual(before);
          else expect(JSON.parse(res.body)).toBeTruthy();
        }),
        { numRuns: 40 },
      );
    }
  }, 120_000);

  it('rejects oversized bodies with 413 and writes nothing', async () => {
    const before = await snapshot();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/articles',
      headers: { ...people.member!.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ title: 'big', body_markdown: 'x'.repeat(300_000) }),
    });
    expect(res.statusCode).toBe(413);
    const hook = await t.app.inject({ method: 'POST', url: '/webhooks/stripe', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=0' }, payload: JSON.stringify({ x: 'y'.repeat(1_100_000) }) });
    expect(hook.statusCode).toBe(413);
    expect(await snapshot()).toEqual(before);
  });

  it('takes no session from the URL or a forged cookie', async () => {
    const forged = await t.app.inject({ method: 'GET', url: '/dashboard', headers: { cookie: 'sid=forged-session-id' } });
    expect(forged.statusCode).toBe(302);
    const page = await browsers.anon!.get('/login');
    expect(csrfFrom(page.body)).toBeTruthy();
    // The signed-out page may set its CSRF cookie (psid), never a session (sid).
    const cookieNames = [page.headers['set-cookie'] ?? []].flat().map((cookie) => cookie.split('=')[0]);
    expect(cookieNames).not.toContain('sid');
  });
});

describe('NUL characters', () => {
  it('are refused with 400 wherever text is accepted (PostgreSQL text cannot hold them)', async () => {
    const admin = people.admin!;
    const cases = [
      t.app.inject({ method: 'GET', url: '/api/v1/admin/charges?product=%00', headers: admin.auth }),
      t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: people.member!.auth, payload: { title: 'a\u0000b', body_markdown: 'x' } }),
      t.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'nul', email: 'nul@example.test', password: 'pass\u0000word' } }),
      t.app.inject({ method: 'GET', url: '/api/v1/jobs?page=1%00' }),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.statusCode).toBe(400);
      expect(json(res).error.code).toBe('validation_failed');
    }
  });
});

describe('login redirects', () => {
  it('go only to a path on this site', async () => {
    for (const next of ['//evil.example', 'https://evil.example', '/\\evil', '/a\tb']) {
      const page = await browsers.anon!.get(`/login?next=${encodeURIComponent(next)}`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('name="next" value="/dashboard"');
    }
    // A NUL is refused before any route runs, like anywhere else.
    expect((await browsers.anon!.get(`/login?next=${encodeURIComponent('/ok\u0000')}`)).statusCode).toBe(400);
  });
});
