import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { admin, json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

let t: TestApp;
let ada: Member;
let bob: Member;
let eve: Member;

beforeAll(async () => {
  t = await startTestApp();
  const boss = await admin(t);
  [ada, bob, eve] = [await member(t.app), await member(t.app), await member(t.app)];
  await call(ada, 'POST', '/api/v1/organizations', { name: 'Pay Co', slug: 'pay-co' });
  await call(ada, 'POST', '/api/v1/organizations/pay-co/members', { username: bob.username, role: 'member' });
  expect((await call(boss, 'POST', '/api/v1/admin/organizations/pay-co/permissions', { can_post_jobs: true })).statusCode).toBe(200);
});
afterAll(() => t.close());

const call = (who: Member, method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method, url, headers: { ...who.auth, ...headers }, ...(payload ? { payload } : {}) });
const orgListing = async (who: Member) =>
  json(await call(who, 'POST', '/api/v1/articles', { title: 'Engineer at Pay Co', body_markdown: 'x', job_listing: true, published: true, organization: 'pay-co' })).article.id as number;
const pay = (who: Member, payload: object, key: string) => call(who, 'POST', '/api/v1/charges', { product: 'job_listing', ...payload }, { 'idempotency-key': key });
const customerOf = async (table: 'organizations' | 'users', where: string) =>
  (await queryRows<{ key: string | null }>(t.database.db, `select stripe_customer_key as key from ${table} where ${where}`))[0]!.key;
const chargeCount = async () => (await queryRows<{ n: number }>(t.database.db, 'select count(*)::int as n from charges'))[0]!.n;

describe('an organization paying by card on POST /api/v1/charges', () => {
  it("lets its admin pay with a new card saved to the organization's customer, then with that saved card", async () => {
    const listing = await orgListing(ada);
    const first = await pay(ada, { article_id: listing, organization: 'pay-co', payment_method: 'pm_card_visa', save_card: true }, 'org-card-new-1');
    expect(first.statusCode).toBe(201);
    const charge = json(first).charge;
    expect(charge).toMatchObject({ status: 'succeeded', product: 'job_listing', article_id: listing });
    // The row says who paid, and the receipt is made out to it.
    expect(await queryRows(t.database.db, `select payer_organization_id = o.id as theirs from charges, organizations o where charges.id = ${charge.id} and o.slug = 'pay-co'`)).toEqual([{ theirs: true }]);
    const billing = { legal_name: 'Pay Co Ltd', address: { line1: '1 Main St', city: 'Leeds', postal_code: 'LS1 1AA', country: 'GB' } };
    expect((await t.app.inject({ method: 'PATCH', url: '/api/v1/organizations/pay-co', headers: ada.auth, payload: billing })).statusCode).toBe(200);
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: ada.email, password: ada.password });
    const receipt = (await browser.get(`/charges/${charge.id}`)).body;
    for (const text of ['Billed to', 'Pay Co Ltd', '1 Main St', 'LS1 1AA Leeds', 'GB']) expect(receipt).toContain(text);
    const orgCustomer = await customerOf('organizations', "slug = 'pay-co'");
    expect(orgCustomer).toMatch(/^cus_/);
    expect(t.stripe.emulator.paymentIntents.get(charge.payment_intent)!.customer).toBe(orgCustomer);
    // The buyer is still ada (her charges, her receipt); her own customer holds nothing of it.
    expect(await customerOf('users', `id = ${ada.id}`)).not.toBe(orgCustomer);
    expect(json(await call(ada, 'GET', '/api/v1/payment_methods')).payment_methods).toEqual([]);

    const cards = json(await call(ada, 'GET', '/api/v1/organizations/pay-co/payment_methods')).payment_methods;
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatchObject({ brand: 'visa', last4: '4242' });

    // "Pay with a previously used card", the organization's.
    const again = await pay(ada, { article_id: listing, organization: 'pay-co', payment_method: cards[0].id }, 'org-card-saved-1');
    expect(again.statusCode).toBe(201);
    const pi = t.stripe.emulator.paymentIntents.get(json(again).charge.payment_intent)!;
    expect([pi.customer, pi.payment_method]).toEqual([orgCustomer, cards[0].id]);

    // The organization's card is not ada's own: paying for herself with it charges nothing.
    const notHers = await pay(ada, { article_id: listing, payment_method: cards[0].id }, 'org-card-not-hers-1');
    expect([notHers.statusCode, json(notHers).error.code]).toEqual([404, 'payment_method_not_found']);
    const adaCustomer = await customerOf('users', `id = ${ada.id}`);
    expect([...t.stripe.emulator.paymentIntents.values()].filter((p) => p.status === 'succeeded' && p.customer === adaCustomer)).toHaveLength(0);

    // One key names one payer: the same body paid by ada herself is another purchase.
    const reused = await pay(ada, { article_id: listing, payment_method: 'pm_card_visa' }, 'org-card-new-1');
    expect([reused.statusCode, json(reused).error.code]).toEqual([409, 'idempotency_key_reused']);
  });

  it('refuses a member without pay rights (403) and anyone else (404), writing no charge', async () => {
    const listing = await orgListing(bob);
    const before = await chargeCount();
    const refused = await pay(bob, { article_id: listing, organization: 'pay-co', payment_method: 'pm_card_visa' }, 'org-card-bob-1');
    expect([refused.statusCode, json(refused).error.code]).toEqual([403, 'forbidden']);
    const outsider = await pay(eve, { article_id: listing, organization: 'pay-co', payment_method: 'pm_card_visa' }, 'org-card-eve-1');
    expect([outsider.statusCode, json(outsider).error.code]).toEqual([404, 'not_found']);
    const unknown = await pay(ada, { article_id: listing, organization: 'no-such-co', payment_method: 'pm_card_visa' }, 'org-card-none-1');
    expect(unknown.statusCode).toBe(404);
    expect((await pay(ada, { article_id: listing, organization: 42, payment_method: 'pm_card_visa' }, 'org-card-bad-1')).statusCode).toBe(400);
    expect(await chargeCount()).toBe(before);
    expect((await call(bob, 'GET', '/api/v1/organizations/pay-co/payment_methods')).statusCode).toBe(403);
    expect((await call(eve, 'GET', '/api/v1/organizations/pay-co/payment_methods')).statusCode).toBe(404);
    // bob, its author, still pays for it himself.
    expect((await pay(bob, { article_id: listing, payment_method: 'pm_card_visa' }, 'org-card-bob-own-1')).statusCode).toBe(201);
  });

  it("renews a listing it paid for with auto_renew on the organization's card, while its admin may still pay for it", async () => {
    const listing = await orgListing(ada);
    const first = await pay(ada, { article_id: listing, organization: 'pay-co', payment_method: 'pm_card_visa', save_card: true }, 'org-renew-1');
    expect(first.statusCode).toBe(201);
    expect((await call(ada, 'POST', `/api/v1/articles/${listing}/auto-renew`, { enabled: true })).statusCode).toBe(200);
    const paidUntil = new Date(json(first).charge.paid_until);
    t.clock.set(new Date(paidUntil.getTime() - 30 * 60_000));
    await t.app.runRenewals();
    t.clock.advance(60 * 60_000);
    await t.app.runRenewals();
    const paid = await queryRows<{ stripe_charge_key: string; org: boolean }>(
      t.database.db,
      `select stripe_charge_key, payer_organization_id = (select id from organizations where slug = 'pay-co') as org from charges where article_id = ${listing} and status = 'succeeded' order by id`,
    );
    expect(paid.map((c) => c.org)).toEqual([true, true]);
    const orgCustomer = await customerOf('organizations', "slug = 'pay-co'");
    expect(t.stripe.emulator.paymentIntents.get(paid[1]!.stripe_charge_key)!.customer).toBe(orgCustomer);
  });
});
