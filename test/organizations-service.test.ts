import { eq } from 'drizzle-orm';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStripe, startLocalStripe } from '../local-stripe/index.js';
import { createUser } from '../src/accounts/service.js';
import type { Database } from '../src/db/client.js';
import { auditLog, type User } from '../src/db/schema.js';
import { organizationPayer } from '../src/organizations/payer.js';
import { organizationMembers, organizations } from '../src/organizations/schema.js';
import {
  addMember,
  adminMembership,
  createOrganization,
  listMembers,
  membership,
  myOrganizations,
  removeMember,
  setOrganizationCanPostJobs,
  updateOrganization,
} from '../src/organizations/service.js';
import { freshDatabase } from './helpers/db.js';

const now = new Date('2026-03-02T10:00:00Z');
let database: Database;
let ada: User;
let bob: User;
let eve: User;

let local: LocalStripe;
let stripe: Stripe;

beforeAll(async () => {
  local = await startLocalStripe();
  stripe = new Stripe(local.secretKey, { host: '127.0.0.1', port: local.port, protocol: 'http' });
  database = await freshDatabase();
  const make = (u: string) => createUser(database.db, { username: u, email: `${u}@example.com`, password: 'a long password' });
  [ada, bob, eve] = await Promise.all([make('ada'), make('bob'), make('eve')]);
});
afterAll(async () => {
  await database.close();
  await local.close();
});

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: { status?: number; code?: string }) => `${error.status} ${error.code}`,
  );

describe('organizations', () => {
  it('makes its creator the first admin; a slug is taken once; the database refuses a bad slug', async () => {
    const { organization, role } = await createOrganization(database.db, ada, { name: 'Acme', slug: 'acme' }, now);
    expect(role).toBe('admin');
    expect(await code(createOrganization(database.db, bob, { name: 'Other Acme', slug: 'acme' }, now))).toBe('409 slug_taken');
    // Nothing half-written: the refused organization left no row and bob no membership.
    expect(await database.db.select().from(organizationMembers).where(eq(organizationMembers.userId, bob.id))).toEqual([]);
    await expect(database.db.insert(organizations).values({ slug: 'Bad Slug', name: 'x' })).rejects.toThrow();
    expect((await membership(database.db, ada, 'acme')).organization.id).toBe(organization.id);
  });

  it('hides an organization from non-members (404) and its admin actions from members (403)', async () => {
    expect(await code(membership(database.db, eve, 'acme'))).toBe('404 not_found');
    expect(await code(membership(database.db, eve, 'no-such-org'))).toBe('404 not_found');
    await addMember(database.db, ada, 'acme', { username: 'BOB', role: 'member' }, now);
    expect((await membership(database.db, bob, 'acme')).role).toBe('member');
    expect(await code(adminMembership(database.db, bob, 'acme'))).toBe('403 forbidden');
    expect(await code(addMember(database.db, bob, 'acme', { username: 'eve', role: 'admin' }, now))).toBe('403 forbidden');
    expect(await code(updateOrganization(database.db, stripe, bob, 'acme', { name: 'Bob Co' }, now))).toBe('403 forbidden');
    expect(await code(addMember(database.db, ada, 'acme', { username: 'bob', role: 'admin' }, now))).toBe('409 already_member');
    expect(await code(addMember(database.db, ada, 'acme', { username: 'nobody', role: 'member' }, now))).toBe('404 not_found');
  });

  it('lists members, and the caller’s organizations with their role', async () => {
    expect((await listMembers(database.db, bob, 'acme')).map((m) => [m.username, m.role])).toEqual([
      ['ada', 'admin'],
      ['bob', 'member'],
    ]);
    await createOrganization(database.db, bob, { name: 'Bobs', slug: 'bobs' }, now);
    expect((await myOrganizations(database.db, bob)).map((m) => [m.organization.slug, m.role])).toEqual([
      ['acme', 'member'],
      ['bobs', 'admin'],
    ]);
    expect(await myOrganizations(database.db, eve)).toEqual([]);
  });

  it("keeps billing details, audited, on the organization's own Stripe customer too", async () => {
    const org = await updateOrganization(database.db, stripe, ada, 'acme', { legal_name: 'Acme GmbH', address: { line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE' }, tax_id: { type: 'eu_vat', value: 'DE123456789' } }, now);
    expect(org).toMatchObject({ name: 'Acme', legalName: 'Acme GmbH', address: { country: 'DE' }, taxId: { type: 'eu_vat', value: 'DE123456789' } });
    const customer = org.stripeCustomerKey!;
    expect(await stripe.customers.retrieve(customer)).toMatchObject({ name: 'Acme GmbH', address: { line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE' } });
    expect((await stripe.customers.listTaxIds(customer)).data).toEqual([expect.objectContaining({ type: 'eu_vat', value: 'DE123456789' })]);
    // A value Stripe refuses is a 400 on the field, and nothing changes, here or there.
    const refused = await updateOrganization(database.db, stripe, ada, 'acme', { legal_name: 'Other GmbH', tax_id: { type: 'eu_vat', value: 'DE1' } }, now).catch((e) => e);
    expect(refused).toMatchObject({ status: 400, fields: { 'tax_id.value': expect.stringMatching(/Invalid value for eu_vat/) } });
    expect((await membership(database.db, ada, 'acme')).organization).toMatchObject({ legalName: 'Acme GmbH', taxId: { value: 'DE123456789' } });
    expect((await stripe.customers.listTaxIds(customer)).data).toHaveLength(1);
    const cleared = await updateOrganization(database.db, stripe, ada, 'acme', { tax_id: null, address: null }, now);
    expect(cleared).toMatchObject({ legalName: 'Acme GmbH', taxId: null, address: null, stripeCustomerKey: customer });
    expect((await stripe.customers.listTaxIds(customer)).data).toEqual([]);
    expect(await stripe.customers.retrieve(customer)).toMatchObject({ address: null });
    const actions = (await database.db.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.subjectType, 'organization'))).map((a) => a.action);
    expect(actions.filter((a) => a === 'organization.updated')).toHaveLength(2);
  });

  it('never lets its last admin leave or be removed, even when two admins remove each other at once', async () => {
    expect(await code(removeMember(database.db, ada, 'acme', 'ada', now))).toBe('409 last_admin');
    expect(await code(removeMember(database.db, bob, 'acme', 'ada', now))).toBe('403 forbidden');
    await addMember(database.db, ada, 'acme', { username: 'eve', role: 'admin' }, now);
    const results = await Promise.all([code(removeMember(database.db, ada, 'acme', 'eve', now)), code(removeMember(database.db, eve, 'acme', 'ada', now))]);
    expect(results.sort()).toEqual(['404 not_found', 'ok']);
    const admins = (await listMembers(database.db, bob, 'acme')).filter((m) => m.role === 'admin');
    expect(admins).toHaveLength(1);
    // A member may leave; then the organization is hidden from them.
    expect(await code(removeMember(database.db, bob, 'acme', 'bob', now))).toBe('ok');
    expect(await code(membership(database.db, bob, 'acme'))).toBe('404 not_found');
    expect(await code(removeMember(database.db, admins[0]!.username === 'ada' ? ada : eve, 'acme', 'bob', now))).toBe('404 not_found');
  });

  it('takes can_post_jobs from a site admin, audited once per change', async () => {
    expect((await setOrganizationCanPostJobs(database.db, ada, 'bobs', true, now)).canPostJobs).toBe(true);
    expect((await setOrganizationCanPostJobs(database.db, ada, 'bobs', true, now)).canPostJobs).toBe(true);
    const grants = await database.db.select().from(auditLog).where(eq(auditLog.action, 'permission.granted'));
    expect(grants.filter((g) => g.subjectType === 'organization')).toHaveLength(1);
    expect(await code(setOrganizationCanPostJobs(database.db, ada, 'nope', true, now))).toBe('404 not_found');
  });
});

describe('the organization as a payer', () => {
  it('makes its own Stripe customer once, even when two first payments race', async () => {
    const [org] = await database.db.select().from(organizations).where(eq(organizations.slug, 'bobs'));
    const a = organizationPayer({ ...org! });
    const b = organizationPayer({ ...org! });
    expect(a.knownCustomer()).toBeNull();
    const [x, y] = await Promise.all([a.customerFor(database.db, stripe), b.customerFor(database.db, stripe)]);
    expect(x).toBe(y);
    expect(a.kind).toBe('organization');
    const customer = await stripe.customers.retrieve(x);
    expect(customer).toMatchObject({ name: 'Bobs', metadata: { organization_id: String(org!.id) } });
    expect(await a.forgetCustomer(database.db)).toBe(x);
    const replaced = await a.customerFor(database.db, stripe, x);
    expect(replaced).not.toBe(x);
  });
});
