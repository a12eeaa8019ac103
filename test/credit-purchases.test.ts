import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { appendCredits, creditBalance, MAX_BALANCE } from '../src/credits/ledger.js';
import { reconcile } from '../src/payments/reconcile.js';
import { admin, grantJobs, json, type Member, member, settleWebhooks, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let ada: Member;
let bob: Member;
let eve: Member;
let orgId: number;

beforeAll(async () => {
  t = await startTestApp();
  [ada, bob, eve] = [await member(t.app), await member(t.app), await member(t.app)];
  const org = (path: string, payload: object) => t.app.inject({ method: 'POST', url: `/api/v1/organizations${path}`, headers: ada.auth, payload });
  orgId = json(await org('', { name: 'Credit Co', slug: 'credit-co' })).organization.id;
  await org('/credit-co/members', { username: bob.username, role: 'member' });
});
afterAll(() => t.close());

const buy = (who: Member, payload: object, key?: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/credits/purchases', headers: { ...who.auth, ...(key ? { 'idempotency-key': key } : {}) }, payload });
const count = async (sql: string) => (await queryRows<{ n: number }>(t.database.db, `select count(*)::int as n from ${sql}`))[0]!.n;
const grants = (chargeId: number) => count(`credit_entries where charge_id = ${chargeId} and reason = 'purchase'`);

describe('POST /api/v1/credits/purchases', () => {
  it("charges the server's quote and grants the credits once, however often the purchase is submitted", async () => {
    const [first, second] = await Promise.all([
      buy(eve, { quantity: 10, payment_method: 'pm_card_visa' }, 'credits-double-1'),
      buy(eve, { quantity: 10, payment_method: 'pm_card_visa' }, 'credits-double-1'),
    ]);
    const again = await buy(eve, { quantity: 10, payment_method: 'pm_card_visa' }, 'credits-double-1');
    for (const res of [first, second, again]) expect(res.statusCode).toBe(201);
    const charge = json(first).charge;
    expect(charge).toMatchObject({ product: 'credit_pack', status: 'succeeded', amount: 23250, currency: 'usd', credits: 10 });
    expect(json(again).charge.id).toBe(charge.id);
    expect(await count(`charges where user_id = ${eve.id}`)).toBe(1);
    expect(t.stripe.emulator.paymentIntents.get(charge.payment_intent)!.amount).toBe(23250);
    expect(await grants(charge.id)).toBe(1);
    expect(await creditBalance(t.database.db, { userId: eve.id })).toBe(10);
    // The same key for another quantity is another purchase: refused.
    expect((await buy(eve, { quantity: 11, payment_method: 'pm_card_visa' }, 'credits-double-1')).statusCode).toBe(409);
  });

  it('answers 422 for a quantity outside 1 to 1000 and writes nothing', async () => {
    const before = await count('charges');
    for (const quantity of [0, -1, 1001, 2.5]) {
      const res = await buy(eve, { quantity, payment_method: 'pm_card_visa' });
      expect(res.statusCode, String(quantity)).toBe(422);
      expect(json(res).error.fields).toHaveProperty('quantity');
    }
    expect(await count('charges')).toBe(before);
    expect(await creditBalance(t.database.db, { userId: eve.id })).toBe(10);
  });

  it("buys for an organization only as one of its admins, with the organization's own customer", async () => {
    const before = await count('charges');
    const refused = await buy(bob, { quantity: 5, organization: 'credit-co', payment_method: 'pm_card_visa' });
    expect(refused.statusCode).toBe(403);
    expect((await buy(eve, { quantity: 5, organization: 'credit-co', payment_method: 'pm_card_visa' })).statusCode).toBe(404);
    // Not through the charges route either.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: bob.auth, payload: { product: 'credit_pack', quantity: 5, organization: 'credit-co', payment_method: 'pm_card_visa' } })).statusCode).toBe(403);
    expect(await count('charges')).toBe(before);

    const bought = await buy(ada, { quantity: 5, organization: 'credit-co', payment_method: 'pm_card_visa' });
    expect(bought.statusCode).toBe(201);
    const charge = json(bought).charge;
    expect(charge).toMatchObject({ amount: 4 * 2500 + 2250, credits: 5, organization: 'credit-co' });
    const [org] = await queryRows<{ key: string }>(t.database.db, `select stripe_customer_key as key from organizations where id = ${orgId}`);
    expect(t.stripe.emulator.paymentIntents.get(charge.payment_intent)!.customer).toBe(org!.key);
    expect(await creditBalance(t.database.db, { organizationId: orgId })).toBe(5);
    expect(await creditBalance(t.database.db, { userId: ada.id })).toBe(0);
  });

  it('grants once when the webhook, the return page and reconcile race to settle one purchase', async () => {
    const res = await buy(ada, { quantity: 3, payment_method: 'pm_card_authenticationRequired' });
    expect(res.statusCode).toBe(202);
    const charge = json(res).charge;
    expect(await grants(charge.id)).toBe(0);
    t.stripe.setDeliveryFaults({ hold: true });
    t.stripe.emulator.authenticate(charge.payment_intent, 'complete', { id: 'req_test', idempotencyKey: null });
    t.clock.advance(16 * 60_000);
    t.stripe.setDeliveryFaults({});
    const confirm = () => t.app.inject({ method: 'POST', url: `/api/v1/charges/${charge.id}/confirm`, headers: ada.auth });
    await Promise.all([
      reconcile({ db: t.database.db, clock: t.clock, catalog: t.app.payments.catalog, stripe: t.app.payments.stripe }, { since: new Date(t.clock.now().getTime() - 3600_000) }),
      confirm(),
      confirm(),
      (async () => {
        t.stripe.webhooks.release({ reverse: true });
        await settleWebhooks(t);
      })(),
    ]);
    await settleWebhooks(t);
    expect(json(await confirm()).charge.status).toBe('succeeded');
    expect(await grants(charge.id)).toBe(1);
    expect(await creditBalance(t.database.db, { userId: ada.id })).toBe(3);
  });
});

describe("POST /api/v1/charges with pay_with: 'credits'", () => {
  async function poster() {
    const who = await member(t.app);
    await grantJobs(t, await admin(t), who.id);
    return who;
  }
  const listing = async (who: Member, organization?: string) =>
    json(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/articles',
        headers: who.auth,
        payload: { title: 'Paid in credits', body_markdown: 'x', job_listing: true, published: true, ...(organization ? { organization } : {}) },
      }),
    ).article.id as number;
  const spend = (who: Member, payload: object, key: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...who.auth, 'idempotency-key': key }, payload: { product: 'job_listing', pay_with: 'credits', ...payload } });

  it('20 spends at once against 5 credits: exactly 5 paid at once, 15 refused with the balance, no call to Stripe', async () => {
    const ann = await poster();
    expect((await buy(ann, { quantity: 5, payment_method: 'pm_card_visa' })).statusCode).toBe(201);
    const articleId = await listing(ann);
    const intents = t.stripe.emulator.paymentIntents.size;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => spend(ann, { article_id: articleId }, `spend-race-${ann.id}-${i}`)));
    const paid = answers.filter((a) => a.statusCode === 201);
    const refused = answers.filter((a) => a.statusCode === 402);
    expect([paid.length, refused.length]).toEqual([5, 15]);
    for (const a of paid) expect(json(a).charge).toMatchObject({ status: 'succeeded', product: 'job_listing', amount: 2500, payment_intent: null });
    for (const a of refused) expect(json(a)).toMatchObject({ error: { code: 'insufficient_credits' }, balance: 0, charge: { status: 'failed' } });
    expect(t.stripe.emulator.paymentIntents.size).toBe(intents);
    expect(await creditBalance(t.database.db, { userId: ann.id })).toBe(0);
    expect(await count(`credit_entries e join credit_accounts a on a.id = e.account_id where a.user_id = ${ann.id} and e.reason = 'spend'`)).toBe(5);
    expect(await count(`fulfilments f join charges c on c.id = f.charge_id where c.user_id = ${ann.id} and c.product = 'job_listing'`)).toBe(5);
    // A repeat of a paid spend is the same charge, spent once.
    const again = await spend(ann, { article_id: articleId }, `spend-race-${ann.id}-${answers.indexOf(paid[0]!)}`);
    expect(again.statusCode).toBe(201);
    expect(json(again).charge.id).toBe(json(paid[0]!).charge.id);
    expect(await creditBalance(t.database.db, { userId: ann.id })).toBe(0);
  });

  it("lets an organization's members spend its credits on its listings, and nobody else", async () => {
    await grantJobs(t, await admin(t), bob.id);
    const articleId = await listing(bob, 'credit-co');
    const before = await creditBalance(t.database.db, { organizationId: orgId });
    expect(before).toBeGreaterThan(0);
    const paid = await spend(bob, { article_id: articleId, organization: 'credit-co' }, `org-spend-${bob.id}`);
    expect(paid.statusCode).toBe(201);
    expect(json(paid).charge.status).toBe('succeeded');
    expect(await creditBalance(t.database.db, { organizationId: orgId })).toBe(before - 1);
    await grantJobs(t, await admin(t), eve.id);
    const outsider = await spend(eve, { article_id: await listing(eve), organization: 'credit-co' }, `org-spend-${eve.id}`);
    expect(outsider.statusCode).toBe(404);
    expect(await creditBalance(t.database.db, { organizationId: orgId })).toBe(before - 1);

    // The ledger, as its members read it: the balance is the sum of its entries.
    const ledger = json(await t.app.inject({ method: 'GET', url: '/api/v1/credits?organization=credit-co', headers: bob.auth }));
    expect(ledger.balance).toBe(before - 1);
    expect(ledger.entries.reduce((sum: number, e: { change: number }) => sum + e.change, 0)).toBe(ledger.balance);
    expect(ledger.entries.map((e: { reason: string; change: number; by: string }) => [e.reason, e.change, e.by])).toEqual([
      ['purchase', 5, ada.username],
      ['spend', -1, bob.username],
    ]);
    expect(ledger.entries[1].charge_id).toBe(json(paid).charge.id);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/credits?organization=credit-co', headers: eve.auth })).statusCode).toBe(404);
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/credits', headers: eve.auth }))).toMatchObject({ balance: 10 });
  });

  it("refuses an organization's credits for anything not posted on its behalf: 403 credits_not_for_this, the row failed, no credit spent", async () => {
    await grantJobs(t, await admin(t), bob.id);
    const own = await listing(bob);
    const before = await creditBalance(t.database.db, { organizationId: orgId });
    expect(before).toBeGreaterThan(2);
    const spends = () => count(`credit_entries where reason = 'spend'`);
    const spent = await spends();
    const refusals = [
      await spend(bob, { article_id: own, organization: 'credit-co' }, `org-own-${bob.id}`),
      // A product with no subject is posted on nobody's behalf.
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/charges',
        headers: { ...bob.auth, 'idempotency-key': `org-billboard-${bob.id}` },
        payload: { product: 'billboard', pay_with: 'credits', organization: 'credit-co', headline: 'Hire with us', link_url: 'https://credit.example/jobs' },
      }),
    ];
    for (const refused of refusals) {
      expect(refused.statusCode).toBe(403);
      expect(json(refused).error.code).toBe('credits_not_for_this');
    }
    const rows = await queryRows<{ status: string; failure_code: string }>(
      t.database.db,
      `select status, failure_code from charges where user_id = ${bob.id} and idempotency_key in ('org-own-${bob.id}', 'org-billboard-${bob.id}')`,
    );
    expect(rows).toEqual([
      { status: 'failed', failure_code: 'credits_not_for_this' },
      { status: 'failed', failure_code: 'credits_not_for_this' },
    ]);
    expect(await count(`fulfilments f join charges c on c.id = f.charge_id where c.idempotency_key in ('org-own-${bob.id}', 'org-billboard-${bob.id}')`)).toBe(0);
    expect(await creditBalance(t.database.db, { organizationId: orgId })).toBe(before);
    expect(await spends()).toBe(spent);
    // Another organization's listing is not this one's either.
    await t.app.inject({ method: 'POST', url: '/api/v1/organizations', headers: bob.auth, payload: { name: 'Bob Works', slug: 'bob-works' } });
    const theirs = await listing(bob, 'bob-works');
    const other = await spend(bob, { article_id: theirs, organization: 'credit-co' }, `org-other-${bob.id}`);
    expect([other.statusCode, json(other).error.code]).toEqual([403, 'credits_not_for_this']);
    expect(await creditBalance(t.database.db, { organizationId: orgId })).toBe(before);
  });
});

describe('POST /api/v1/admin/credits', () => {
  it('grants and revokes with a required note, audited, never below zero', async () => {
    const boss = await admin(t);
    const adjust = (who: Member, payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/admin/credits', headers: who.auth, payload });
    const start = await creditBalance(t.database.db, { userId: eve.id });
    expect((await adjust(eve, { user_id: eve.id, change: 5, note: 'Self-service' })).statusCode).toBe(403);
    expect((await adjust(boss, { user_id: eve.id, change: 5 })).statusCode).toBeGreaterThanOrEqual(400);
    const granted = await adjust(boss, { user_id: eve.id, change: 3, note: 'Goodwill for the outage' });
    expect(granted.statusCode).toBe(201);
    expect(json(granted).balance).toBe(start + 3);
    const tooMany = await adjust(boss, { user_id: eve.id, change: -(start + 4), note: 'Too many' });
    expect(tooMany.statusCode).toBe(409);
    expect(json(tooMany)).toMatchObject({ error: { code: 'insufficient_credits' }, balance: start + 3 });
    expect(json(await adjust(boss, { user_id: eve.id, change: -2, note: 'Granted twice by mistake' })).balance).toBe(start + 1);
    const ledger = json(await t.app.inject({ method: 'GET', url: '/api/v1/credits', headers: eve.auth }));
    expect(ledger.entries.slice(-2).map((e: { reason: string; change: number; note: string; by: string }) => [e.reason, e.change, e.note, e.by])).toEqual([
      ['grant', 3, 'Goodwill for the outage', boss.username],
      ['revoke', -2, 'Granted twice by mistake', boss.username],
    ]);
    expect(await count(`audit_log where action in ('credits.grant', 'credits.revoke')`)).toBe(2);
    expect((await adjust(boss, { organization: 'nobody-here', change: 1, note: 'x' })).statusCode).toBe(404);
  });

  it('refuses a grant past what a balance holds with a 422, not a 500', async () => {
    const boss = await admin(t);
    const whale = await member(t.app);
    await appendCredits(t.database.db, { userId: whale.id }, { change: MAX_BALANCE - 1, reason: 'grant', note: 'Near the top', byUserId: boss.id, at: t.clock.now() });
    const over = await t.app.inject({ method: 'POST', url: '/api/v1/admin/credits', headers: boss.auth, payload: { user_id: whale.id, change: 2, note: 'One too many' } });
    expect([over.statusCode, json(over).error.code]).toEqual([422, 'balance_too_large']);
    expect(await creditBalance(t.database.db, { userId: whale.id })).toBe(MAX_BALANCE - 1);
  });
});

describe("credits on Stripe's hosted checkout page", () => {
  it('opens a session for the quote of the quantity and grants the credits when it completes', async () => {
    const h = await startTestApp({ checkoutMode: 'hosted' });
    try {
      const kim = await member(h.app);
      const opened = await h.app.inject({ method: 'POST', url: '/api/v1/checkout_sessions', headers: kim.auth, payload: { product: 'credit_pack', quantity: 10 } });
      expect(opened.statusCode).toBe(201);
      const charge = json(opened).charge;
      expect(charge).toMatchObject({ amount: 23250, credits: 10 });
      const [row] = await queryRows<{ session: string }>(h.database.db, `select checkout_session_id as session from charges where id = ${charge.id}`);
      const paid = await fetch(`${h.stripe.url}/_local/checkout/sessions/${row!.session}/pay`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.stripe.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ payment_method: 'pm_card_visa' }),
      });
      expect(paid.status).toBe(200);
      await settleWebhooks(h);
      expect(await creditBalance(h.database.db, { userId: kim.id })).toBe(10);
    } finally {
      await h.close();
    }
  });
});
