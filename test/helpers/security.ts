import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { admin, grantJobs, json, type Member, member, startTestApp, type TestApp } from './app.js';
import { FormClient } from './browser-form.js';

export type Role = 'anon' | 'member' | 'poster' | 'other' | 'admin';

/** What one route of the authorization matrix (test/security.test.ts) must answer each role, and how to call it. */
export interface Rule {
  expect: Record<Role, number>;
  url?: () => string;
  body?: () => Record<string, unknown>;
  /** Runs on a fresh, signed-out browser (routes that change the session itself). */
  fresh?: boolean;
  /** Where a route that always redirects sends everyone (otherwise a 302 must be to the login page). */
  location?: string;
}

export const all = (status: number): Record<Role, number> => ({ anon: status, member: status, poster: status, other: status, admin: status });
export const signedIn = (anon: number, rest: number): Record<Role, number> => ({ anon, member: rest, poster: rest, other: rest, admin: rest });
export const adminOnly = (anon: number, ok: number): Record<Role, number> => ({ anon, member: 403, poster: 403, other: 403, admin: ok });
export const ownerOrAdmin = (anon: number, stranger: number, ok: number): Record<Role, number> => ({ anon, member: stranger, other: stranger, poster: ok, admin: ok });

const PRODUCTS = path.resolve(import.meta.dirname, '../../src/products');

/** The matrix's rules for the products' own routes, each product's from its folder (test/access.ts, exporting `accessRules`). */
export async function productAccessRules(): Promise<Record<string, Rule>> {
  const files = readdirSync(PRODUCTS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(PRODUCTS, entry.name, 'test', 'access.ts')))
    .map((entry) => path.join(PRODUCTS, entry.name, 'test', 'access.ts'));
  const modules = await Promise.all(files.map((file) => import(file) as Promise<{ accessRules: Record<string, Rule> }>));
  return Object.assign({}, ...modules.map((m) => m.accessRules));
}

/**
 * The security tests' app, for one test file: hosted checkout on, an admin, two members and a
 * poster with a paid listing and two saved cards, spare API tokens, an organization, and a
 * browser signed in for each role. Read its fields inside tests (they are set in beforeAll).
 */
export function securitySuite() {
  const s = {
    people: {} as Partial<Record<Exclude<Role, 'anon'>, Member>>,
    browsers: {} as Partial<Record<Role, FormClient>>,
    listingId: 0,
    chargeId: 0,
    cardForApi: '',
    cardForPage: '',
    /** Spare tokens of the member: one for the API's revoke route, one for the settings page's. */
    tokenForApi: 0,
    tokenForPage: 0,
  } as {
    t: TestApp;
    people: Partial<Record<Exclude<Role, 'anon'>, Member>>;
    browsers: Partial<Record<Role, FormClient>>;
    listingId: number;
    chargeId: number;
    cardForApi: string;
    cardForPage: string;
    tokenForApi: number;
    tokenForPage: number;
    /** Added to the poster's organization by the matrix, then removed. */
    joiner: Member;
  };
  const { people, browsers } = s;

  beforeAll(async () => {
    // Hosted checkout on, so its routes are in the matrix with the rest.
    const t = await startTestApp({ checkoutMode: 'hosted' });
    s.t = t;
    people.admin = await admin(t);
    people.member = await member(t.app);
    people.other = await member(t.app);
    people.poster = await member(t.app);
    await grantJobs(t, people.admin, people.poster.id);
    const poster = people.poster;
    s.listingId = json(
      await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: poster.auth, payload: { title: 'Matrix job', body_markdown: 'x', job_listing: true, published: true } }),
    ).article.id;
    const pay = async () =>
      json(
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/charges',
          headers: poster.auth,
          payload: { product: 'job_listing', article_id: s.listingId, payment_method: 'pm_card_visa', save_card: true },
        }),
      ).charge;
    s.chargeId = (await pay()).id;
    await pay();
    const cards = json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: poster.auth })).payment_methods;
    [s.cardForApi, s.cardForPage] = [cards[0].id, cards[1].id];
    const spare = async () =>
      json(await t.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { email: people.member!.email, password: people.member!.password, name: 'spare' } })).id as number;
    s.tokenForApi = await spare();
    s.tokenForPage = await spare();
    // An organization the poster runs, with the member in it; the other member and the admin are outsiders.
    s.joiner = await member(t.app);
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
  afterAll(() => s.t.close());
  return s;
}
