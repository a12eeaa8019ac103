import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { queryRows } from '../src/db/client.js';
import { organizationPayer } from '../src/organizations/payer.js';
import { organizations } from '../src/organizations/schema.js';
import { admin, type Member, member, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let boss: Member;
let ada: Member;
let bob: Member;
let eve: Member;

beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
  [ada, bob, eve] = [await member(t.app, 'ada'), await member(t.app, 'bob'), await member(t.app, 'eve')];
});
afterAll(() => t.close());

const call = (who: Member | undefined, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: who?.auth ?? {}, ...(payload ? { payload } : {}) });
const count = async (table: string) => (await queryRows<{ n: number }>(t.database.db, `select count(*)::int as n from ${table}`))[0]!.n;

describe('organizations API', () => {
  it('creates an organization whose creator is its first admin; 409 for a taken slug, 422 for a bad one, nothing half-written', async () => {
    const created = await call(ada, 'POST', '/api/v1/organizations', { name: 'Acme Jobs', slug: 'acme' });
    expect(created.statusCode).toBe(201);
    expect(created.json().organization).toMatchObject({ slug: 'acme', name: 'Acme Jobs', role: 'admin', can_post_jobs: false, legal_name: null });
    expect(typeof created.json().organization.created_at).toBe('string');

    const [orgs, members] = [await count('organizations'), await count('organization_members')];
    const taken = await call(bob, 'POST', '/api/v1/organizations', { name: 'Other', slug: 'acme' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toMatchObject({ code: 'slug_taken', fields: { slug: 'Already taken.' } });
    for (const slug of ['A', 'Acme', 'acme co', 'a', 'x'.repeat(41), 'acme_co']) {
      const bad = await call(bob, 'POST', '/api/v1/organizations', { name: 'Other', slug });
      expect(bad.statusCode, slug).toBe(422);
      expect(bad.json().error.fields.slug).toMatch(/Lowercase/);
    }
    const missing = await call(bob, 'POST', '/api/v1/organizations', { slug: 'fine' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ code: 'validation_failed', fields: { name: expect.any(String) } });
    expect(await call(undefined, 'POST', '/api/v1/organizations', { name: 'x', slug: 'anon-co' }).then((r) => r.statusCode)).toBe(401);
    expect([await count('organizations'), await count('organization_members')]).toEqual([orgs, members]);
  });

  it('shows an organization to its members only: 404 for anyone else', async () => {
    expect((await call(ada, 'GET', '/api/v1/organizations/acme')).statusCode).toBe(200);
    expect((await call(eve, 'GET', '/api/v1/organizations/acme')).statusCode).toBe(404);
    expect((await call(eve, 'GET', '/api/v1/organizations/nope')).statusCode).toBe(404);
    expect((await call(eve, 'GET', '/api/v1/organizations/acme/members')).statusCode).toBe(404);
    expect((await call(eve, 'PATCH', '/api/v1/organizations/acme', { name: 'Mine' })).statusCode).toBe(404);
    expect((await call(eve, 'POST', '/api/v1/organizations/acme/members', { username: 'eve', role: 'admin' })).statusCode).toBe(404);
    expect((await call(undefined, 'GET', '/api/v1/organizations/acme')).statusCode).toBe(401);
  });

  it('lets admins add members (201), refuses members (403), a member twice (409) and an unknown username (404)', async () => {
    const added = await call(ada, 'POST', '/api/v1/organizations/acme/members', { username: 'bob', role: 'member' });
    expect(added.statusCode).toBe(201);
    expect(added.json().member).toMatchObject({ username: 'bob', role: 'member' });
    const mails = readdirSync(t.mailDir).filter((f) => f.startsWith('organization-'));
    expect(mails).toHaveLength(1);
    const mail = readFileSync(path.join(t.mailDir, mails[0]!), 'utf8');
    expect(mail).toContain('To: bob@example.test');
    expect(mail).toMatch(/Subject: You are now a member of Acme Jobs on DevBoard/);
    expect(mail).toContain('ada added you to Acme Jobs as a member.');
    expect((await call(bob, 'POST', '/api/v1/organizations/acme/members', { username: 'eve', role: 'member' })).statusCode).toBe(403);
    expect((await call(bob, 'PATCH', '/api/v1/organizations/acme', { name: 'Bob Co' })).statusCode).toBe(403);
    expect((await call(ada, 'POST', '/api/v1/organizations/acme/members', { username: 'bob', role: 'admin' })).statusCode).toBe(409);
    expect((await call(ada, 'POST', '/api/v1/organizations/acme/members', { username: 'nobody', role: 'member' })).statusCode).toBe(404);
    const badRole = await call(ada, 'POST', '/api/v1/organizations/acme/members', { username: 'eve', role: 'owner' });
    expect(badRole.statusCode).toBe(400);
    expect(badRole.json().error.fields.role).toBeDefined();
    const list = await call(bob, 'GET', '/api/v1/organizations/acme/members');
    expect(list.json().members.map((m: { username: string; role: string }) => [m.username, m.role])).toEqual([
      ['ada', 'admin'],
      ['bob', 'member'],
    ]);
  });

  it("lists the caller's organizations with their role", async () => {
    await call(bob, 'POST', '/api/v1/organizations', { name: 'Bob Co', slug: 'bob-co' });
    const mine = await call(bob, 'GET', '/api/v1/organizations');
    expect(mine.statusCode).toBe(200);
    expect(mine.json().organizations.map((o: { slug: string; role: string }) => [o.slug, o.role])).toEqual([
      ['acme', 'member'],
      ['bob-co', 'admin'],
    ]);
    expect((await call(eve, 'GET', '/api/v1/organizations')).json()).toEqual({ organizations: [] });
  });

  it('keeps billing details (admins); a bad country or an unknown field is a 400 and changes nothing', async () => {
    const patched = await call(ada, 'PATCH', '/api/v1/organizations/acme', {
      legal_name: 'Acme Jobs GmbH',
      address: { line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE' },
      tax_id: { type: 'eu_vat', value: 'DE123456789' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().organization).toMatchObject({ name: 'Acme Jobs', legal_name: 'Acme Jobs GmbH', address: { city: 'Berlin', country: 'DE' }, tax_id: { type: 'eu_vat', value: 'DE123456789' } });
    const bad = await call(ada, 'PATCH', '/api/v1/organizations/acme', { name: 'Renamed', address: { country: 'Germany' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields['address.country']).toMatch(/two-letter/);
    expect((await call(ada, 'PATCH', '/api/v1/organizations/acme', { name: 'Renamed', colour: 'red' })).statusCode).toBe(400);
    expect((await call(bob, 'GET', '/api/v1/organizations/acme')).json().organization).toMatchObject({ name: 'Acme Jobs', role: 'member' });
  });

  it('removes members (admins) and lets a member leave, but never the last admin (409)', async () => {
    const last = await call(ada, 'DELETE', '/api/v1/organizations/acme/members/ada');
    expect(last.statusCode).toBe(409);
    expect(last.json().error.code).toBe('last_admin');
    expect((await call(bob, 'DELETE', '/api/v1/organizations/acme/members/ada')).statusCode).toBe(403);
    expect((await call(eve, 'DELETE', '/api/v1/organizations/acme/members/bob')).statusCode).toBe(404);
    expect((await call(ada, 'DELETE', '/api/v1/organizations/acme/members/eve')).statusCode).toBe(404);
    expect((await call(ada, 'DELETE', '/api/v1/organizations/acme/members/bob')).statusCode).toBe(204);
    expect((await call(bob, 'GET', '/api/v1/organizations/acme')).statusCode).toBe(404);
    await call(ada, 'POST', '/api/v1/organizations/acme/members', { username: 'eve', role: 'member' });
    expect((await call(eve, 'DELETE', '/api/v1/organizations/acme/members/eve')).statusCode).toBe(204);
  });

  it("lists the organization's saved cards, from its own Stripe customer, to its admins only", async () => {
    expect((await call(ada, 'GET', '/api/v1/organizations/acme/payment_methods')).json()).toEqual({ payment_methods: [] });
    const [org] = await t.database.db.select().from(organizations).where(eq(organizations.slug, 'acme'));
    const stripe = t.app.payments.stripe.client;
    const customer = await organizationPayer(org!).customerFor(t.database.db, stripe);
    await stripe.paymentMethods.attach('pm_card_visa', { customer });
    const cards = await call(ada, 'GET', '/api/v1/organizations/acme/payment_methods');
    expect(cards.statusCode).toBe(200);
    expect(cards.json().payment_methods).toEqual([expect.objectContaining({ brand: 'visa', last4: '4242' })]);
    await call(ada, 'POST', '/api/v1/organizations/acme/members', { username: 'bob', role: 'member' });
    expect((await call(bob, 'GET', '/api/v1/organizations/acme/payment_methods')).statusCode).toBe(403);
    expect((await call(eve, 'GET', '/api/v1/organizations/acme/payment_methods')).statusCode).toBe(404);
    // The member's own saved cards are not the organization's.
    expect((await call(ada, 'GET', '/api/v1/payment_methods')).json().payment_methods).toEqual([]);
  });

  it("takes a site admin's grant of can_post_jobs; 403 for anyone else", async () => {
    expect((await call(ada, 'POST', '/api/v1/admin/organizations/acme/permissions', { can_post_jobs: true })).statusCode).toBe(403);
    expect((await call(ada, 'POST', '/api/v1/admin/organizations/acme/permissions', {})).statusCode).toBe(403);
    expect((await call(undefined, 'POST', '/api/v1/admin/organizations/acme/permissions', { can_post_jobs: true })).statusCode).toBe(401);
    const granted = await call(boss, 'POST', '/api/v1/admin/organizations/acme/permissions', { can_post_jobs: true });
    expect(granted.statusCode).toBe(200);
    expect(granted.json().organization).toMatchObject({ slug: 'acme', can_post_jobs: true });
    expect((await call(boss, 'POST', '/api/v1/admin/organizations/nope/permissions', { can_post_jobs: true })).statusCode).toBe(404);
    expect((await call(boss, 'POST', '/api/v1/admin/organizations/acme/permissions', { can_post_jobs: 'yes' })).statusCode).toBe(400);
    expect((await call(ada, 'GET', '/api/v1/organizations/acme')).json().organization.can_post_jobs).toBe(true);
  });
});

describe('credits API', () => {
  it('shows the price list: graduated tiers and the credits a week of each product costs', async () => {
    const prices = await call(undefined, 'GET', '/api/v1/credits/prices');
    expect(prices.statusCode).toBe(200);
    expect(prices.json()).toMatchObject({
      currency: 'usd',
      tiers: [
        { up_to: 4, unit_amount: 2500 },
        { up_to: 9, unit_amount: 2250 },
        { up_to: 24, unit_amount: 2000 },
        { up_to: null, unit_amount: 1750 },
      ],
      products: expect.arrayContaining([{ product: 'job_listing', credits: 1 }, { product: 'billboard', credits: 2 }]),
    });
  });

  it('quotes a quantity tier by tier; 422 outside 1–1000, 400 for no number', async () => {
    const q = await call(ada, 'GET', '/api/v1/credits/quote?quantity=10');
    expect(q.statusCode).toBe(200);
    expect(q.json()).toEqual({
      quantity: 10,
      amount: 23250,
      currency: 'usd',
      lines: [
        { quantity: 4, unit_amount: 2500, amount: 10000 },
        { quantity: 5, unit_amount: 2250, amount: 11250 },
        { quantity: 1, unit_amount: 2000, amount: 2000 },
      ],
    });
    expect((await call(undefined, 'GET', '/api/v1/credits/quote?quantity=1000')).statusCode).toBe(200);
    for (const n of ['0', '-3', '1001', '2.5']) {
      const bad = await call(undefined, 'GET', `/api/v1/credits/quote?quantity=${n}`);
      expect(bad.statusCode, n).toBe(422);
      expect(bad.json().error.fields.quantity).toMatch(/1 to 1000/);
    }
    expect((await call(undefined, 'GET', '/api/v1/credits/quote?quantity=ten')).statusCode).toBe(400);
    expect((await call(undefined, 'GET', '/api/v1/credits/quote')).statusCode).toBe(400);
  });
});
