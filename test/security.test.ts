import fc from 'fast-check';
import qs from 'qs';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { admin, grantJobs, json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { csrfFrom, FormClient } from './helpers/browser-form.js';

type Role = 'anon' | 'member' | 'poster' | 'other' | 'admin';
const ROLES: Role[] = ['anon', 'member', 'other', 'admin', 'poster'];

let t: TestApp;
const people: Partial<Record<Exclude<Role, 'anon'>, Member>> = {};
const browsers: Partial<Record<Role, FormClient>> = {};
let listingId = 0;
let chargeId = 0;
let cardForApi = '';
let cardForPage = '';
/** Spare tokens of the member: one for the API's revoke route, one for the settings page's. */
let tokenForApi = 0;
let tokenForPage = 0;
/** Added to the poster's organization by the matrix, then removed. */
let joiner: Member;
let seq = 0;
/** A well-formed reset link that was never issued: everyone gets the same 400. */
const UNKNOWN_RESET = `/password-reset/${'A'.repeat(43)}`;

beforeAll(async () => {
  // Hosted checkout on, so its routes are in the matrix with the rest.
  t = await startTestApp({ checkoutMode: 'hosted' });
  people.admin = await admin(t);
  people.member = await member(t.app);
  people.other = await member(t.app);
  people.poster = await member(t.app);
  await grantJobs(t, people.admin, people.poster.id);
  const poster = people.poster;
  listingId = json(
    await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: poster.auth, payload: { title: 'Matrix job', body_markdown: 'x', job_listing: true, published: true } }),
  ).article.id;
  const pay = async () =>
    json(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/charges',
        headers: poster.auth,
        payload: { product: 'job_listing', article_id: listingId, payment_method: 'pm_card_visa', save_card: true },
      }),
    ).charge;
  chargeId = (await pay()).id;
  await pay();
  const cards = json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: poster.auth })).payment_methods;
  [cardForApi, cardForPage] = [cards[0].id, cards[1].id];
  const spare = async () =>
    json(await t.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { email: people.member!.email, password: people.member!.password, name: 'spare' } })).id as number;
  tokenForApi = await spare();
  tokenForPage = await spare();
  // An organization the poster runs, with the member in it; the other member and the admin are outsiders.
  joiner = await member(t.app);
  const org = (path: string, payload: object) => t.app.inject({ method: 'POST', url: `/api/v1/organizations${path}`, headers: poster.auth, payload });
  await org('', { name: 'Matrix Co', slug: 'matrix-co' });
  await org('/matrix-co/members', { username: people.member.username, role: 'member' });
  // Polling as in production, so that /readyz is ready.
  t.app.payments.worker.start(60_000);
  browsers.anon = new FormClient(t.app);
  for (const role of ['member', 'other', 'admin', 'poster'] as const) {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: people[role]!.email, password: people[role]!.password });
    browsers[role] = browser;
  }
});
afterAll(() => t.close());

const all = (status: number): Record<Role, number> => ({ anon: status, member: status, poster: status, other: status, admin: status });
const signedIn = (anon: number, rest: number): Record<Role, number> => ({ anon, member: rest, poster: rest, other: rest, admin: rest });
const adminOnly = (anon: number, ok: number): Record<Role, number> => ({ anon, member: 403, poster: 403, other: 403, admin: ok });
const ownerOrAdmin = (anon: number, stranger: number, ok: number): Record<Role, number> => ({ anon, member: stranger, other: stranger, poster: ok, admin: ok });

interface Rule {
  expect: Record<Role, number>;
  url?: () => string;
  body?: () => Record<string, unknown>;
  /** Runs on a fresh, signed-out browser (routes that change the session itself). */
  fresh?: boolean;
  /** Where a route that always redirects sends everyone (otherwise a 302 must be to the login page). */
  location?: string;
}

const unique = () => `u${++seq}_${Math.random().toString(36).slice(2, 8)}`;

/**
 * The authorization matrix: what each of anonymous, a member, the listing's poster, another member
 * and an admin gets from every route. A route missing here fails the test.
 */
const rules: Record<string, Rule> = {
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
  // Credits for the organization: its admins buy them; a plain member may not (403); outsiders find no organization (404).
  'POST /api/v1/credits/purchases': {
    expect: { anon: 401, member: 403, poster: 201, other: 404, admin: 404 },
    body: () => ({ quantity: 2, organization: 'matrix-co', payment_method: 'pm_card_visa' }),
  },
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
  'GET /newsletter': { expect: all(200) },
  'GET /api/v1/admin/newsletter': { expect: adminOnly(401, 200) },
  'GET /admin/newsletter': { expect: adminOnly(302, 200) },
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
    expect(String(page.headers['set-cookie'] ?? '')).not.toContain('sid=');
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
