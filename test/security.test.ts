import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Member, TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';
import { adminOnly, all, ownerOrAdmin, productAccessRules, type Role, type Rule, securitySuite, signedIn } from './helpers/security.js';

// The authorization matrix and the CSRF check that reads it. Headers, rate limits, fuzzing, NUL
// characters and login redirects are in security-headers-limits-fuzzing.test.ts.
const ROLES: Role[] = ['anon', 'member', 'other', 'admin', 'poster'];

const s = securitySuite();
let t: TestApp;
const { people, browsers } = s;
let listingId = 0;
let chargeId = 0;
let cardForApi = '';
let cardForPage = '';
let tokenForApi = 0;
let tokenForPage = 0;
let joiner: Member;
let seq = 0;
/** A well-formed reset link that was never issued: everyone gets the same 400. */
const UNKNOWN_RESET = `/password-reset/${'A'.repeat(43)}`;

beforeAll(() => {
  ({ t, listingId, chargeId, cardForApi, cardForPage, tokenForApi, tokenForPage, joiner } = s);
});

const unique = () => `u${++seq}_${Math.random().toString(36).slice(2, 8)}`;

/**
 * The authorization matrix: what each of anonymous, a member, the listing's poster, another member
 * and an admin gets from every route. A route missing here fails the test. A product's own routes
 * have their rules in its folder (src/products/<name>/test/access.ts), added here.
 */
const productRules = await productAccessRules();
const coreRules: Record<string, Rule> = {
  'GET /assets/app.css': { expect: all(200) },
  'GET /assets/favicon.svg': { expect: all(200) },
  'GET /assets/:name': { expect: all(200), url: () => '/assets/checkout.js' },
  'GET /healthz': { expect: all(200) },
  'GET /readyz': { expect: all(200) },
  'GET /metrics': { expect: adminOnly(401, 200) },
  'GET /api/v1/openapi.json': { expect: all(200) },
  'GET /api/docs': { expect: all(200) },
  'GET /api/docs/static/index.html': { expect: all(302), location: '/api/docs/' },
  'GET /api/docs/static/swagger-initializer.js': { expect: all(200) },
  'GET /api/docs/json': { expect: all(200) },
  'GET /api/docs/yaml': { expect: all(200) },
  'GET /api/docs/static/*': { expect: all(200), url: () => '/api/docs/static/swagger-ui.css' },
  'GET /api/docs/static/theme/theme.css': { expect: all(200) },
  'POST /api/v1/users': { expect: all(201), body: () => ({ username: unique(), email: `${unique()}@example.test`, password: 'long enough' }) },
  'POST /api/v1/tokens': { expect: all(201), body: () => ({ email: people.other!.email, password: people.other!.password }) },
  'GET /api/v1/tokens': { expect: signedIn(401, 200) },
  'DELETE /api/v1/tokens/:id': { expect: { anon: 401, member: 204, other: 404, admin: 404, poster: 404 }, url: () => `/api/v1/tokens/${tokenForApi}` },
  // A wrong current password: every signed-in role reaches the check, and nothing changes.
  'POST /api/v1/me/password': { expect: signedIn(401, 400), body: () => ({ current_password: 'not my password', new_password: 'a new password' }) },
  'GET /api/v1/me': { expect: signedIn(401, 200) },
  'POST /api/v1/admin/users/:id/permissions': { expect: adminOnly(401, 200), url: () => `/api/v1/admin/users/${people.member!.id}/permissions`, body: () => ({ can_post_jobs: false }) },
  'GET /signup': { expect: all(200) },
  'POST /signup': { expect: all(303), fresh: true, body: () => ({ username: unique(), email: `${unique()}@example.test`, password: 'long enough' }) },
  'GET /login': { expect: all(200) },
  'POST /login': { expect: all(303), fresh: true, body: () => ({ email: people.other!.email, password: people.other!.password }) },
  'POST /logout': { expect: all(303), fresh: true },
  'GET /settings': { expect: signedIn(302, 200) },
  'POST /settings/tokens': { expect: signedIn(401, 201) },
  'POST /settings/tokens/:id/revoke': { expect: { anon: 401, member: 303, other: 404, admin: 404, poster: 404 }, url: () => `/settings/tokens/${tokenForPage}/revoke` },
  'POST /settings/password': { expect: signedIn(401, 400), body: () => ({ current_password: 'not my password', new_password: 'a new password' }) },
  'GET /password-reset': { expect: all(200) },
  'POST /password-reset': { expect: all(200), body: () => ({ email: people.other!.email }) },
  'GET /password-reset/:token': { expect: all(400), url: () => UNKNOWN_RESET },
  'POST /password-reset/:token': { expect: all(400), url: () => UNKNOWN_RESET, body: () => ({ new_password: 'a new password' }) },
  'GET /admin/users': { expect: adminOnly(302, 200) },
  'POST /admin/users/:id/permissions': { expect: adminOnly(401, 303), url: () => `/admin/users/${people.member!.id}/permissions`, body: () => ({ can_post_jobs: '0' }) },
  // Everyone but the admin and the poster asks once (201): the member's pending request stops later ones.
  'POST /api/v1/me/permission-requests': { expect: { anon: 401, member: 201, other: 201, admin: 409, poster: 409 }, body: () => ({ note: 'Matrix request' }) },
  'POST /permission-requests': { expect: { anon: 401, member: 409, other: 409, admin: 409, poster: 409 }, body: () => ({ note: 'Matrix form request' }) },
  'GET /api/v1/admin/permission-requests': { expect: adminOnly(401, 200) },
  'POST /api/v1/admin/permission-requests/:id': { expect: adminOnly(401, 404), url: () => '/api/v1/admin/permission-requests/999999', body: () => ({ decision: 'decline' }) },
  'GET /admin/permission-requests': { expect: adminOnly(302, 200) },
  'POST /admin/permission-requests/:id': { expect: adminOnly(401, 404), url: () => '/admin/permission-requests/999999', body: () => ({ decision: 'decline' }) },
  'POST /api/v1/articles': { expect: signedIn(401, 201), body: () => ({ title: 'Matrix article', body_markdown: 'x' }) },
  'GET /api/v1/articles/:id': { expect: all(200), url: () => `/api/v1/articles/${listingId}` },
  'PATCH /api/v1/articles/:id': { expect: ownerOrAdmin(401, 403, 200), url: () => `/api/v1/articles/${listingId}`, body: () => ({ title: 'Matrix job' }) },
  'GET /api/v1/articles': { expect: all(200) },
  'GET /api/v1/jobs': { expect: all(200) },
  'GET /': { expect: all(200) },
  'GET /jobs': { expect: all(200) },
  'GET /dashboard': { expect: signedIn(302, 200) },
  'GET /articles/new': { expect: signedIn(302, 200) },
  'POST /articles': { expect: signedIn(401, 303), body: () => ({ title: 'Form article', body_markdown: 'x' }) },
  'GET /articles/:id': { expect: all(200), url: () => `/articles/${listingId}` },
  'GET /articles/:id/edit': { expect: ownerOrAdmin(302, 403, 200), url: () => `/articles/${listingId}/edit` },
  'POST /articles/:id': {
    expect: ownerOrAdmin(401, 403, 303),
    url: () => `/articles/${listingId}`,
    body: () => ({ title: 'Matrix job', body_markdown: 'x', job_listing: 'on', published: 'on' }),
  },
  // Only the author switches auto-renew (an admin does not decide to charge someone's card): anyone else finds no listing of theirs.
  'POST /api/v1/articles/:id/auto-renew': { expect: { anon: 401, member: 404, other: 404, admin: 404, poster: 200 }, url: () => `/api/v1/articles/${listingId}/auto-renew`, body: () => ({ enabled: false }) },
  'POST /articles/:id/auto-renew': { expect: { anon: 401, member: 404, other: 404, admin: 404, poster: 303 }, url: () => `/articles/${listingId}/auto-renew`, body: () => ({ enabled: '0' }) },
  // The same switch through the renewal core's routes, for every renewable product: only the buyer's own.
  'GET /api/v1/renewals': { expect: signedIn(401, 200) },
  'POST /api/v1/renewals/:product/:subject_id/auto-renew': { expect: { anon: 401, member: 404, other: 404, admin: 404, poster: 200 }, url: () => `/api/v1/renewals/job_listing/${listingId}/auto-renew`, body: () => ({ enabled: false }) },
  'POST /settings/renewals/:product/:subject_id/auto-renew': { expect: { anon: 401, member: 404, other: 404, admin: 404, poster: 303 }, url: () => `/settings/renewals/job_listing/${listingId}/auto-renew`, body: () => ({ enabled: '0' }) },
  'POST /articles/:id/published': { expect: ownerOrAdmin(401, 403, 303), url: () => `/articles/${listingId}/published`, body: () => ({ published: '1' }) },
  'GET /api/v1/products': { expect: all(200) },
  'POST /api/v1/charges': { expect: signedIn(401, 201), body: () => ({ product: 'billboard', payment_method: 'pm_card_visa', headline: 'Matrix ad', link_url: 'https://m.example' }) },
  'POST /api/v1/charges/:id/confirm': { expect: ownerOrAdmin(401, 404, 201), url: () => `/api/v1/charges/${chargeId}/confirm` },
  'POST /api/v1/checkout_sessions': { expect: signedIn(401, 201), body: () => ({ product: 'billboard', headline: 'Hosted matrix ad', link_url: 'https://h.example' }) },
  'POST /checkout_sessions': {
    expect: signedIn(401, 303),
    body: () => ({ product: 'billboard', headline: 'Hosted form ad', link_url: 'https://h.example', idempotency_key: `hosted-${unique()}` }),
  },
  'GET /api/v1/charges': { expect: signedIn(401, 200) },
  'GET /api/v1/charges/:id': { expect: ownerOrAdmin(401, 404, 200), url: () => `/api/v1/charges/${chargeId}` },
  'GET /api/v1/payment_methods': { expect: signedIn(401, 200) },
  'POST /api/v1/organizations': { expect: signedIn(401, 201), body: () => ({ name: 'Org', slug: unique().toLowerCase().replace(/_/g, '-') }) },
  'GET /api/v1/organizations': { expect: signedIn(401, 200) },
  'GET /api/v1/organizations/:slug': { expect: { anon: 401, member: 200, poster: 200, other: 404, admin: 404 }, url: () => '/api/v1/organizations/matrix-co' },
  'PATCH /api/v1/organizations/:slug': { expect: { anon: 401, member: 403, poster: 200, other: 404, admin: 404 }, url: () => '/api/v1/organizations/matrix-co', body: () => ({ name: 'Matrix Co' }) },
  'POST /api/v1/organizations/:slug/members': {
    expect: { anon: 401, member: 403, poster: 201, other: 404, admin: 404 },
    url: () => '/api/v1/organizations/matrix-co/members',
    body: () => ({ username: joiner.username, role: 'member' }),
  },
  'GET /api/v1/organizations/:slug/members': { expect: { anon: 401, member: 200, poster: 200, other: 404, admin: 404 }, url: () => '/api/v1/organizations/matrix-co/members' },
  'DELETE /api/v1/organizations/:slug/members/:username': {
    expect: { anon: 401, member: 403, poster: 204, other: 404, admin: 404 },
    url: () => `/api/v1/organizations/matrix-co/members/${joiner.username}`,
  },
  'GET /api/v1/organizations/:slug/payment_methods': { expect: { anon: 401, member: 403, poster: 200, other: 404, admin: 404 }, url: () => '/api/v1/organizations/matrix-co/payment_methods' },
  // Its admin asks once (201), before the site admin's grant (registered after it); the form comes after the grant: 409 already_allowed.
  'POST /api/v1/organizations/:slug/permission-requests': {
    expect: { anon: 401, member: 403, poster: 201, other: 404, admin: 404 },
    url: () => '/api/v1/organizations/matrix-co/permission-requests',
    body: () => ({ note: 'Matrix organization request' }),
  },
  'POST /organizations/:slug/permission-requests': {
    expect: { anon: 401, member: 403, poster: 409, other: 404, admin: 404 },
    url: () => '/organizations/matrix-co/permission-requests',
    body: () => ({ note: 'Matrix organization form request' }),
  },
  'POST /api/v1/admin/organizations/:slug/permissions': { expect: adminOnly(401, 200), url: () => '/api/v1/admin/organizations/matrix-co/permissions', body: () => ({ can_post_jobs: true }) },
  'GET /organizations': { expect: signedIn(302, 200) },
  'POST /organizations': { expect: signedIn(401, 303), body: () => ({ name: 'Form Org', slug: unique().toLowerCase().replace(/_/g, '-') }) },
  'GET /organizations/:slug': { expect: { anon: 302, member: 200, poster: 200, other: 404, admin: 404 }, url: () => '/organizations/matrix-co' },
  // The API's route removed the joiner before: the form adds them again, and the next route removes them.
  'POST /organizations/:slug/members': {
    expect: { anon: 401, member: 403, poster: 303, other: 404, admin: 404 },
    url: () => '/organizations/matrix-co/members',
    body: () => ({ username: joiner.username, role: 'member' }),
  },
  'POST /organizations/:slug/members/:username/remove': {
    expect: { anon: 401, member: 403, poster: 303, other: 404, admin: 404 },
    url: () => `/organizations/matrix-co/members/${joiner.username}/remove`,
  },
  'POST /organizations/:slug/billing': { expect: { anon: 401, member: 403, poster: 303, other: 404, admin: 404 }, url: () => '/organizations/matrix-co/billing', body: () => ({ name: 'Matrix Co' }) },
  'GET /api/v1/credits/prices': { expect: all(200) },
  'GET /api/v1/credits/quote': { expect: all(200), url: () => '/api/v1/credits/quote?quantity=10' },
  // An organization's ledger: its members read it; anyone else finds no organization.
  'GET /api/v1/credits': { expect: { anon: 401, member: 200, poster: 200, other: 404, admin: 404 }, url: () => '/api/v1/credits?organization=matrix-co' },
  // Its page: the same, in HTML (anonymous visitors are sent to log in).
  'GET /credits': { expect: { anon: 302, member: 200, poster: 200, other: 404, admin: 404 }, url: () => '/credits?organization=matrix-co' },
  'GET /organizations/:slug/credits': { expect: { anon: 302, member: 200, poster: 200, other: 404, admin: 404 }, url: () => '/organizations/matrix-co/credits' },
  'POST /api/v1/admin/credits': { expect: adminOnly(401, 201), body: () => ({ organization: 'matrix-co', change: 1, note: 'Matrix grant' }) },
  'DELETE /api/v1/payment_methods/:id': { expect: { anon: 401, member: 404, other: 404, admin: 404, poster: 204 }, url: () => `/api/v1/payment_methods/${cardForApi}` },
  'GET /charges/new': { expect: signedIn(302, 200), url: () => '/charges/new?product=billboard' },
  'POST /charges': {
    expect: signedIn(401, 303),
    body: () => ({ product: 'billboard', payment_method: 'pm_card_visa', headline: 'Form ad', link_url: 'https://f.example', idempotency_key: `form-${unique()}` }),
  },
  'POST /charges/:id/confirm': { expect: ownerOrAdmin(401, 404, 201), url: () => `/charges/${chargeId}/confirm` },
  'GET /charges/:id': { expect: ownerOrAdmin(302, 404, 200), url: () => `/charges/${chargeId}` },
  'GET /charges/:id/return': { expect: ownerOrAdmin(302, 404, 303), url: () => `/charges/${chargeId}/return` },
  'GET /charges/:id/cancel': { expect: ownerOrAdmin(302, 404, 303), url: () => `/charges/${chargeId}/cancel` },
  'GET /charges/:id/receipt.pdf': { expect: ownerOrAdmin(302, 404, 200), url: () => `/charges/${chargeId}/receipt.pdf` },
  'GET /settings/billing': { expect: signedIn(302, 200) },
  'POST /settings/cards/:id/remove': { expect: { anon: 401, member: 404, other: 404, admin: 404, poster: 303 }, url: () => `/settings/cards/${cardForPage}/remove` },
  'POST /webhooks/stripe': { expect: all(400), body: () => ({ id: 'evt_unsigned', type: 'payment_intent.succeeded' }) },
  'GET /api/v1/admin/charges': { expect: adminOnly(401, 200) },
  'GET /api/v1/admin/charges/:id': { expect: adminOnly(401, 200), url: () => `/api/v1/admin/charges/${chargeId}` },
  'GET /api/v1/admin/finance/summary': { expect: adminOnly(401, 200) },
  'GET /api/v1/admin/audit': { expect: adminOnly(401, 200) },
  'GET /admin/finance/charges.csv': { expect: adminOnly(302, 200) },
  'GET /admin/finance/charges.jsonl': { expect: adminOnly(302, 200) },
  'GET /admin/finance/refunds.csv': { expect: adminOnly(302, 200) },
  'GET /api/v1/admin/finance/charges.csv': { expect: adminOnly(401, 200) },
  'GET /api/v1/admin/finance/charges.jsonl': { expect: adminOnly(401, 200) },
  'GET /api/v1/admin/finance/refunds.csv': { expect: adminOnly(401, 200) },
  'GET /api/v1/admin/finance/credits': { expect: adminOnly(401, 200) },
  'GET /admin/finance/credit-ledger.csv': { expect: adminOnly(302, 200) },
  'GET /api/v1/admin/finance/credit-ledger.csv': { expect: adminOnly(401, 200) },
  'POST /api/v1/admin/charges/:id/refunds': { expect: adminOnly(401, 201), url: () => `/api/v1/admin/charges/${chargeId}/refunds`, body: () => ({ amount: 100 }) },
  'GET /api/v1/admin/webhooks/failed': { expect: adminOnly(401, 200) },
  'POST /api/v1/admin/webhooks/:id/retry': { expect: adminOnly(401, 404), url: () => '/api/v1/admin/webhooks/evt_missing/retry' },
  'GET /api/v1/admin/disputes': { expect: adminOnly(401, 200) },
  'GET /api/v1/admin/payment-mismatches': { expect: adminOnly(401, 200) },
  'POST /api/v1/admin/reconcile': { expect: adminOnly(401, 200), body: () => ({ since: new Date(Date.now() - 3600_000).toISOString() }) },
  'GET /api/v1/admin/reconcile/latest': { expect: adminOnly(401, 200) },
  'GET /api/v1/admin/reconcile/runs': { expect: adminOnly(401, 200) },
  'GET /api/v1/admin/renewals': { expect: adminOnly(401, 200) },
  'GET /admin/renewals': { expect: adminOnly(302, 200) },
  'GET /admin/finance': { expect: adminOnly(302, 200) },
  'GET /admin/finance/credits': { expect: adminOnly(302, 200) },
  'GET /admin/finance/charges/:id': { expect: adminOnly(302, 200), url: () => `/admin/finance/charges/${chargeId}` },
  'GET /admin/audit': { expect: adminOnly(302, 200) },
  'GET /admin/webhooks': { expect: adminOnly(302, 200) },
  'POST /admin/webhooks/:id/retry': { expect: adminOnly(401, 303), url: () => '/admin/webhooks/evt_missing/retry' },
  'GET /admin/disputes': { expect: adminOnly(302, 200) },
  'GET /admin/payment-mismatches': { expect: adminOnly(302, 200) },
  'GET /admin/reconcile': { expect: adminOnly(302, 200) },
  'POST /admin/reconcile': { expect: adminOnly(401, 303) },
  'POST /admin/charges/:id/refunds': { expect: adminOnly(401, 303), url: () => `/admin/charges/${chargeId}/refunds`, body: () => ({ amount: '1.00', idempotency_key: `matrix-${unique()}` }) },
};
const rules: Record<string, Rule> = { ...coreRules, ...productRules };

async function call(role: Role, method: string, url: string, rule: Rule): Promise<LightMyRequestResponse> {
  const body = rule.body?.();
  if (url.startsWith('/api/') || url.startsWith('/webhooks/') || ['/healthz', '/readyz', '/metrics'].includes(url)) {
    const headers = role === 'anon' ? {} : people[role]!.auth;
    return t.app.inject({ method: method as 'GET', url, headers, ...(method === 'GET' || method === 'DELETE' ? {} : { payload: body ?? {} }) });
  }
  const browser = rule.fresh ? new FormClient(t.app) : browsers[role]!;
  if (rule.fresh && url === '/logout') await browser.submit('/login', '/login', { email: people.other!.email, password: people.other!.password });
  if (method === 'GET') return browser.get(url);
  const fields = Object.fromEntries(Object.entries(body ?? {}).map(([k, v]) => [k, String(v)]));
  return browser.submit('/login', url, fields);
}

describe('authorization matrix', () => {
  it("takes a product's routes' rules from its folder, none of them a core route's", () => {
    expect(Object.keys(productRules).filter((key) => key in coreRules)).toEqual([]);
  });

  it('has a rule for every route, and no rule without a route', () => {
    const routes = t.app.routeTable.map((r) => `${r.method} ${r.url}`).sort();
    expect(routes).toEqual(Object.keys(rules).sort());
  });

  it('gives each role the expected status on every route', async () => {
    const failures: string[] = [];
    for (const route of t.app.routeTable) {
      const key = `${route.method} ${route.url}`;
      const rule = rules[key]!;
      for (const role of ROLES) {
        const res = await call(role, route.method, rule.url?.() ?? route.url, rule);
        if (res.statusCode !== rule.expect[role]) failures.push(`${key} as ${role}: ${res.statusCode}, expected ${rule.expect[role]}`);
        if (res.statusCode === 302 && rule.location) expect(res.headers.location).toBe(rule.location);
        else if (res.statusCode === 302) expect(res.headers.location).toMatch(/^\/login\?next=/);
        expect(res.statusCode, `${key} as ${role}`).toBeLessThan(500);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

describe('CSRF', () => {
  it('refuses every form POST without a token, even from an admin', async () => {
    const formRoutes = t.app.routeTable.filter((r) => r.method === 'POST' && !r.url.startsWith('/api/') && !r.url.startsWith('/webhooks/'));
    expect(formRoutes.length).toBeGreaterThan(10);
    for (const route of formRoutes) {
      const url = (rules[`POST ${route.url}`]!.url?.() ?? route.url).replace(':id', '1');
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: { cookie: browsers.admin!.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'x=1',
      });
      expect(res.statusCode, url).toBe(403);
      expect(res.body).toContain('The form expired');
    }
  });
});
