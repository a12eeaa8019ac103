import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CreditOwner, creditBalance, creditEntriesOf } from '../src/credits/ledger.js';
import { queryRows } from '../src/db/client.js';
import { FormClient } from './helpers/browser-form.js';
import { admin, grantJobs, json, type Member, member, settleWebhooks, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let boss: Member;

beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
});
afterAll(() => t.close());
beforeEach(async () => {
  t.stripe.setDeliveryFaults({});
  await settleWebhooks(t);
});

let seq = 0;
const key = (what: string) => `${what}-${++seq}-${Date.now()}`;
const stripe = () => t.app.payments.stripe.client;

/** A member allowed to post jobs, with `credits` bought by card: the member and the purchase's charge. */
async function buyer(credits: number) {
  const who = await member(t.app);
  await grantJobs(t, boss, who.id);
  const bought = await t.app.inject({ method: 'POST', url: '/api/v1/credits/purchases', headers: { ...who.auth, 'idempotency-key': key('buy') }, payload: { quantity: credits, payment_method: 'pm_card_visa' } });
  expect(bought.statusCode).toBe(201);
  return { who, charge: json(bought).charge as { id: number; amount: number; payment_intent: string } };
}
const listing = async (who: Member) =>
  json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: who.auth, payload: { title: `Credit job ${++seq}`, body_markdown: 'x', job_listing: true, published: true } })).article.id as number;
/** A week of a job listing paid with one credit: its charge. */
async function spend(who: Member, articleId?: number) {
  const paid = await t.app.inject({
    method: 'POST',
    url: '/api/v1/charges',
    headers: { ...who.auth, 'idempotency-key': key('spend') },
    payload: { product: 'job_listing', article_id: articleId ?? (await listing(who)), pay_with: 'credits' },
  });
  expect(paid.statusCode).toBe(201);
  return json(paid).charge as { id: number; amount: number; article_id: number };
}
const refund = (chargeId: number, payload: object = {}, idempotencyKey = key('refund')) =>
  t.app.inject({ method: 'POST', url: `/api/v1/admin/charges/${chargeId}/refunds`, headers: { ...boss.auth, 'idempotency-key': idempotencyKey }, payload });
const own = (who: Member): CreditOwner => ({ userId: who.id });
/** The balance, checked to be the sum of the ledger's entries. */
async function balance(who: Member): Promise<number> {
  const held = await creditBalance(t.database.db, own(who));
  const entries = await creditEntriesOf(t.database.db, own(who));
  expect(entries.reduce((sum, e) => sum + e.change, 0)).toBe(held);
  expect(held).toBeGreaterThanOrEqual(0);
  return held;
}
const entriesOf = async (who: Member, chargeId: number) =>
  (await creditEntriesOf(t.database.db, own(who))).filter((e) => e.charge_id === chargeId).map((e) => [e.reason, e.change]);
const row = async (sql: string) => (await queryRows<Record<string, unknown>>(t.database.db, sql))[0];
const chargeStatus = async (id: number) => (await row(`select status from charges where id = ${id}`))!.status;
const refundsAtStripe = async (pi: string) => (await stripe().refunds.list({ payment_intent: pi })).data;
const jobIds = async () => json(await t.app.inject({ method: 'GET', url: '/api/v1/jobs' })).jobs.map((j: { id: number }) => j.id);
const latestCharge = (pi: string) => t.stripe.emulator.paymentIntents.get(pi)!.latest_charge as string;

describe('refunds of a credit purchase', () => {
  it('take back floor(refund × quantity ÷ amount paid) credits, partial refunds adding up exactly, once per double submission', async () => {
    const { who } = await buyer(3);
    const bought = await t.app.inject({ method: 'POST', url: '/api/v1/credits/purchases', headers: { ...who.auth, 'idempotency-key': key('buy') }, payload: { quantity: 10, payment_method: 'pm_card_visa' } });
    const pack = json(bought).charge as { id: number; amount: number; payment_intent: string };
    expect(pack.amount).toBe(23250);
    expect(await balance(who)).toBe(13);

    // A double click: one refund at Stripe, 5000 × 10 ÷ 23250 = 2 credits taken back once.
    const sameKey = key('double');
    const [a, b] = await Promise.all([refund(pack.id, { amount: 5000 }, sameKey), refund(pack.id, { amount: 5000 }, sameKey)]);
    // The repeat meets the row first written (200), or its Stripe call still waiting and sends it again under the same key (201).
    for (const answer of [a, b]) expect([200, 201]).toContain(answer.statusCode);
    expect(json(a).refund.id).toBe(json(b).refund.id);
    await settleWebhooks(t);
    expect(await refundsAtStripe(pack.payment_intent)).toHaveLength(1);
    expect(await balance(who)).toBe(11);

    // 10000 refunded in all is 4 credits: this one takes 2 more; the rest takes the last 6, and the
    // full refund's reversal of the purchase takes nothing more (the other purchase's 3 stay).
    expect((await refund(pack.id, { amount: 5000 })).statusCode).toBe(201);
    expect(await balance(who)).toBe(9);
    const rest = await refund(pack.id);
    expect(rest.statusCode).toBe(201);
    expect(json(rest).charge.status).toBe('refunded');
    await settleWebhooks(t);
    expect(await balance(who)).toBe(3);
    expect(await entriesOf(who, pack.id)).toEqual([
      ['purchase', 10],
      ['refund', -2],
      ['refund', -2],
      ['refund', -6],
    ]);
  });

  it('is refused with 409 credits_already_spent before Stripe is called when the credits were spent; a refund that fits is made', async () => {
    const { who, charge } = await buyer(4);
    const articleId = await listing(who);
    for (let i = 0; i < 3; i++) await spend(who, articleId);
    expect(await balance(who)).toBe(1);
    const calls = t.stripe.requestCount('POST /v1/refunds');

    const refused = await refund(charge.id);
    expect(refused.statusCode).toBe(409);
    expect(json(refused)).toMatchObject({ error: { code: 'credits_already_spent' }, balance: 1, credits: 4 });
    expect(json(refused).error.message).toContain('the balance is 1');
    expect(json(refused).error.message).toContain('remove 4 credits');
    // Nothing was written but the audit of the refusal, and Stripe never heard of it.
    expect(t.stripe.requestCount('POST /v1/refunds')).toBe(calls);
    expect(await row(`select count(*)::int as n from refunds where charge_id = ${charge.id}`)).toEqual({ n: 0 });
    expect(await row(`select count(*)::int as n from audit_log where action = 'refund.refused' and subject_id = '${charge.id}'`)).toEqual({ n: 1 });
    expect(await chargeStatus(charge.id)).toBe('succeeded');
    expect(await balance(who)).toBe(1);

    // A quarter of the money is one credit: it fits.
    const fits = await refund(charge.id, { amount: 2500 });
    expect(fits.statusCode).toBe(201);
    expect(json(fits).charge.status).toBe('partially_refunded');
    expect(await balance(who)).toBe(0);
    // Another quarter would take a credit there is no more of.
    const again = await refund(charge.id, { amount: 2500 });
    expect(again.statusCode).toBe(409);
    expect(json(again)).toMatchObject({ error: { code: 'credits_already_spent' }, balance: 0, credits: 1 });
    await settleWebhooks(t);
    expect(await balance(who)).toBe(0);
    expect(await entriesOf(who, charge.id)).toEqual([
      ['purchase', 4],
      ['refund', -1],
    ]);
  });

  it('gives the credits back when Stripe refuses the refund, and a Dashboard refund takes what is left, recording the rest', async () => {
    const { who, charge } = await buyer(4);
    await spend(who);
    expect(await balance(who)).toBe(3);
    t.stripe.setDeliveryFaults({ hold: true });
    // Refunded in the Dashboard, its webhook not delivered yet: our refund is then refused by Stripe.
    await stripe().refunds.create({ payment_intent: charge.payment_intent });
    const refused = await refund(charge.id, { amount: 2500 });
    expect(refused.statusCode).toBe(409);
    expect(json(refused)).toMatchObject({ error: { code: 'charge_already_refunded' }, refund: { status: 'failed' } });
    expect(await balance(who)).toBe(3);
    expect(await entriesOf(who, charge.id)).toEqual([
      ['purchase', 4],
      ['refund', -1],
      ['refund', 1],
    ]);

    t.stripe.setDeliveryFaults({});
    t.stripe.webhooks.release();
    await settleWebhooks(t);
    expect(await chargeStatus(charge.id)).toBe('refunded');
    // The money left: all 3 credits still there are taken, and the 1 spent is recorded.
    expect(await balance(who)).toBe(0);
    const ledger = (await creditEntriesOf(t.database.db, own(who))).filter((e) => e.charge_id === charge.id);
    expect(ledger.at(-1)).toMatchObject({ reason: 'refund', change: -3 });
    expect(ledger.at(-1)!.note).toContain('1 more had been spent');
    const short = await row(`select after from audit_log where action = 'credits.refund_short' order by id desc limit 1`);
    expect(short!.after).toMatchObject({ charge_id: charge.id, credits: 4, taken: 3, short: 1 });
    // Delivered again (reconcile, a replay): nothing more.
    t.stripe.webhooks.release();
    await settleWebhooks(t);
    expect(await balance(who)).toBe(0);
    expect((await creditEntriesOf(t.database.db, own(who))).filter((e) => e.charge_id === charge.id)).toHaveLength(4);
  });
});

describe('refunds of a credit purchase on their way to Stripe', () => {
  it('count against what is left: a second refund with another key while the first waits is refused, and the credits come off once', async () => {
    const { who, charge } = await buyer(10);
    expect(await balance(who)).toBe(10);
    // Stripe out of reach: the first refund's row waits, its credits already off.
    t.stripe.injectFault({ kind: '500', when: 'before', rate: 1, path: '/v1/refunds' });
    const waiting = key('waiting');
    const first = await refund(charge.id, {}, waiting);
    expect(first.statusCode).toBe(503);
    expect(await balance(who)).toBe(0);
    // Another admin tab, another key: nothing is left to refund.
    const second = await refund(charge.id);
    expect([second.statusCode, json(second).error.fields?.amount]).toEqual([400, 'At most $0.00, what is left to refund.']);
    t.stripe.clearFaults();
    expect((await refund(charge.id, {}, waiting)).statusCode).toBe(201);
    await settleWebhooks(t);
    expect(await refundsAtStripe(charge.payment_intent)).toHaveLength(1);
    expect(await chargeStatus(charge.id)).toBe('refunded');
    expect(await balance(who)).toBe(0);
    expect(await entriesOf(who, charge.id)).toEqual([['purchase', 10], ['refund', -10]]);
  });

  it('are sent again by reconcile when nobody asked again for 15 minutes, once', async () => {
    const { who, charge } = await buyer(4);
    t.stripe.injectFault({ kind: '500', when: 'before', rate: 1, path: '/v1/refunds' });
    expect((await refund(charge.id)).statusCode).toBe(503);
    t.stripe.clearFaults();
    expect(await balance(who)).toBe(0);
    const { reconcile } = await import('../src/payments/reconcile.js');
    const run = () => reconcile({ db: t.database.db, clock: t.clock, catalog: t.app.payments.catalog, stripe: t.app.payments.stripe }, { since: new Date(t.clock.now().getTime() - 3600_000) });
    // Still within 15 minutes: an admin may yet send it again with its key.
    expect((await run()).findings.filter((f) => f.kind === 'waiting_refund')).toEqual([]);
    t.clock.advance(16 * 60_000);
    const report = await run();
    expect(report.findings.filter((f) => f.kind === 'waiting_refund')).toEqual([expect.objectContaining({ charge_id: charge.id, action: 'repaired' })]);
    await settleWebhooks(t);
    expect((await run()).findings.filter((f) => f.kind === 'waiting_refund')).toEqual([]);
    expect(await refundsAtStripe(charge.payment_intent)).toHaveLength(1);
    expect(await chargeStatus(charge.id)).toBe('refunded');
    expect(await balance(who)).toBe(0);
  });

  it('give back, when one fails, what the formula no longer takes, also for the rows after it', async () => {
    const { who, charge } = await buyer(10);
    expect(charge.amount).toBe(23250);
    // 1000 takes floor(1000 × 10 ÷ 23250) = 0 credits; 1500 after it takes floor(2500 × 10 ÷ 23250) − 0 = 1.
    const earlier = json(await refund(charge.id, { amount: 1000 })).refund as { id: number };
    expect((await refund(charge.id, { amount: 1500 })).statusCode).toBe(201);
    expect(await balance(who)).toBe(9);
    // The earlier one fails (as Stripe reports a refund failing days later): 1500 alone takes
    // floor(1500 × 10 ÷ 23250) = 0, so the credit its successor took counting it comes back, once.
    const product = t.app.payments.catalog.get('credit_pack');
    await settleWebhooks(t);
    for (let i = 0; i < 2; i++) {
      // Locks in the order the app takes them: the charge, its refund, the balance.
      await t.database.db.transaction(async (tx) => {
        const [locked] = await queryRows<Record<string, unknown>>(tx, `select * from charges where id = ${charge.id} for update`);
        const [failed] = await queryRows<Record<string, unknown>>(tx, `update refunds set status = 'failed' where id = ${earlier.id} returning *`);
        const camel = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()), v]));
        const asCharge = { ...camel(locked!), paymentIntentId: locked!.stripe_charge_key, amount: Number(locked!.amount) };
        await product.refundFailed!(tx, asCharge as never, { ...camel(failed!), amount: Number(failed!.amount) } as never, t.clock.now());
      });
    }
    expect(await balance(who)).toBe(10);
  });
});

describe('a refund seen before the purchase it refunds was settled', () => {
  it('settles the purchase first, so the credits are granted and then taken back', async () => {
    const who = await member(t.app);
    // The purchase's own events are held back: its refund at Stripe is the first this app hears of it.
    t.stripe.setDeliveryFaults({ drop: true });
    const bought = await t.app.inject({ method: 'POST', url: '/api/v1/credits/purchases', headers: { ...who.auth, 'idempotency-key': key('late') }, payload: { quantity: 4, payment_method: 'pm_card_authenticationRequired' } });
    expect(bought.statusCode).toBe(202);
    const pack = json(bought).charge as { id: number; payment_intent: string };
    t.stripe.emulator.authenticate(pack.payment_intent, 'complete', { id: 'req_test', idempotencyKey: null });
    await stripe().refunds.create({ payment_intent: pack.payment_intent });
    t.stripe.setDeliveryFaults({});
    const { syncChargeRefunds } = await import('../src/payments/sync.js');
    await syncChargeRefunds({ db: t.database.db, clock: t.clock, catalog: t.app.payments.catalog, stripe: t.app.payments.stripe }, latestCharge(pack.payment_intent), 'stripe');
    expect(await chargeStatus(pack.id)).toBe('refunded');
    expect(await entriesOf(who, pack.id)).toEqual([['purchase', 4], ['refund', -4]]);
    expect(await balance(who)).toBe(0);
  });
});

describe('disputes of a credit purchase', () => {
  it('freeze only the credits left until the dispute closes; won releases them', async () => {
    const { who, charge } = await buyer(10);
    for (let i = 0; i < 4; i++) await spend(who);
    expect(await balance(who)).toBe(6);
    const dispute = t.stripe.emulator.openDispute(latestCharge(charge.payment_intent), {}, null);
    await settleWebhooks(t);
    expect(await chargeStatus(charge.id)).toBe('disputed');
    expect(await balance(who)).toBe(0);
    const short = await row(`select after from audit_log where action = 'credits.dispute_short' order by id desc limit 1`);
    expect(short!.after).toMatchObject({ charge_id: charge.id, credits: 10, frozen: 6, short: 4 });
    // Frozen: not spendable.
    const blocked = await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...who.auth, 'idempotency-key': key('frozen') }, payload: { product: 'job_listing', article_id: await listing(who), pay_with: 'credits' } });
    expect(blocked.statusCode).toBe(402);
    // Not refundable while disputed either.
    expect((await refund(charge.id)).statusCode).toBe(409);

    t.stripe.emulator.closeDispute(dispute.id, 'won', null);
    await settleWebhooks(t);
    expect(await chargeStatus(charge.id)).toBe('succeeded');
    expect(await balance(who)).toBe(6);
    expect(await entriesOf(who, charge.id)).toEqual([
      ['purchase', 10],
      ['dispute', -6],
      ['dispute', 6],
    ]);
  });

  it('lost: the frozen credits stay removed; a partly refunded purchase freezes only what its money still pays for', async () => {
    const { who, charge } = await buyer(4);
    expect((await refund(charge.id, { amount: 2500 })).statusCode).toBe(201);
    expect(await balance(who)).toBe(3);
    const dispute = t.stripe.emulator.openDispute(latestCharge(charge.payment_intent), {}, null);
    await settleWebhooks(t);
    expect(await balance(who)).toBe(0);
    t.stripe.emulator.closeDispute(dispute.id, 'lost', null);
    await settleWebhooks(t);
    expect(await chargeStatus(charge.id)).toBe('disputed');
    expect(await balance(who)).toBe(0);
    expect(await entriesOf(who, charge.id)).toEqual([
      ['purchase', 4],
      ['refund', -1],
      ['dispute', -3],
    ]);
  });
});

describe('refunding a listing week paid with credits', () => {
  it('gives the credits back, ends the week, calls no Stripe, and does nothing more when repeated', async () => {
    const { who } = await buyer(3);
    const week = await spend(who);
    expect(await balance(who)).toBe(2);
    expect(await jobIds()).toContain(week.article_id);
    const calls = t.stripe.requestCount('POST /v1/refunds');

    const part = await refund(week.id, { amount: 1000 });
    expect(part.statusCode).toBe(422);
    expect(json(part).error).toMatchObject({ code: 'refund_whole_only', fields: { amount: expect.stringContaining('whole') } });
    expect(await row(`select count(*)::int as n from refunds where charge_id = ${week.id}`)).toEqual({ n: 0 });

    const sameKey = key('credit-week');
    const [a, b] = await Promise.all([refund(week.id, {}, sameKey), refund(week.id, {}, sameKey)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 201]);
    expect(json(a).refund).toEqual(json(b).refund);
    expect(json(a).refund).toMatchObject({ stripe_refund_id: null, status: 'succeeded', amount: week.amount });
    expect(json(a).charge).toMatchObject({ status: 'refunded', amount_refunded: week.amount });
    expect(t.stripe.requestCount('POST /v1/refunds')).toBe(calls);
    expect(await balance(who)).toBe(3);
    expect(await entriesOf(who, week.id)).toEqual([
      ['spend', -1],
      ['refund', 1],
    ]);
    expect(await jobIds()).not.toContain(week.article_id);
    const article = json(await t.app.inject({ method: 'GET', url: `/api/v1/articles/${week.article_id}`, headers: who.auth })).article;
    expect(article).toMatchObject({ paid: false, live: false });

    // The same key: the same answer; another key: not refundable; the credits came back once.
    const repeat = await refund(week.id, {}, sameKey);
    expect(repeat.statusCode).toBe(200);
    expect(json(repeat).refund.id).toBe(json(a).refund.id);
    const other = await refund(week.id);
    expect(other.statusCode).toBe(409);
    expect(json(other).error.code).toBe('not_refundable');
    expect(await balance(who)).toBe(3);
    expect(await row(`select count(*)::int as n from refunds where charge_id = ${week.id}`)).toEqual({ n: 1 });
  });

  it("works from the console's refund button", async () => {
    const { who } = await buyer(1);
    const week = await spend(who);
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: boss.email, password: boss.password });
    const page = `/admin/finance/charges/${week.id}`;
    const form = await browser.get(page);
    expect(form.body).toContain('id="refund"');
    const idempotencyKey = form.body.match(/name="idempotency_key" value="([^"]+)"/)![1]!;
    const partial = await browser.submit(page, `/admin/charges/${week.id}/refunds`, { idempotency_key: idempotencyKey, amount: '10.00' });
    expect(partial.statusCode).toBe(422);
    expect(partial.body).toMatch(/id="amount-error">[^<]*whole/);
    const done = await browser.submit(page, `/admin/charges/${week.id}/refunds`, { idempotency_key: idempotencyKey });
    expect(done.statusCode).toBe(303);
    expect(await chargeStatus(week.id)).toBe('refunded');
    expect(await balance(who)).toBe(1);
  });
});
