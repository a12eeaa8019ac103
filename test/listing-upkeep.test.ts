import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { queryRows } from '../src/db/client.js';
import { users } from '../src/db/schema.js';
import { memberPayer } from '../src/payments/payer.js';
import { WEEK_MS } from '../src/products/period.js';
import { admin, grantJobs, json, type Member, member, secondInstance, settleWebhooks, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

/**
 * The listing upkeep against the real app, its database and the local Stripe through the SDK, with
 * the clock moved instead of waiting: reminders, auto-renewals and their outcomes, each exactly once.
 */

let t: TestApp;
let poster: Member;
const HOUR = 3600_000;

beforeAll(async () => {
  t = await startTestApp();
  const boss = await admin(t);
  poster = await member(t.app);
  await grantJobs(t, boss, poster.id);
});
afterAll(() => t.close());

let seq = 0;
async function listing(published = true): Promise<number> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/articles',
    headers: poster.auth,
    payload: { title: `Upkeep job ${++seq}`, body_markdown: 'We are hiring.', job_listing: true, published },
  });
  return json(res).article.id;
}

/** Pays a week for the listing with the card, saving it; a 3-D Secure card is authenticated on the way. */
async function pay(articleId: number, card = 'pm_card_visa', saveCard = true) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/charges',
    headers: poster.auth,
    payload: { product: 'job_listing', article_id: articleId, payment_method: card, save_card: saveCard },
  });
  let charge = json(res).charge;
  if (res.statusCode === 202) {
    t.stripe.emulator.authenticate(charge.stripe_charge_key, 'complete', { id: 'req_test', idempotencyKey: null });
    charge = json(await t.app.inject({ method: 'POST', url: `/api/v1/charges/${charge.id}/confirm`, headers: poster.auth })).charge;
  }
  expect(charge.status).toBe('succeeded');
  return charge as { id: number; stripe_charge_key: string };
}

const setAutoRenew = (articleId: number, enabled: unknown) =>
  t.app.inject({ method: 'POST', url: `/api/v1/articles/${articleId}/auto-renew`, headers: poster.auth, payload: { enabled } });

const paidUntil = async (articleId: number) =>
  new Date(json(await t.app.inject({ method: 'GET', url: `/api/v1/articles/${articleId}`, headers: poster.auth })).article.paid_until);

const rows = <T>(sql: string) => queryRows<T>(t.database.db, sql);
const mails = (prefix: string) =>
  readdirSync(t.mailDir)
    .filter((f) => f.startsWith(prefix))
    .map((f) => readFileSync(path.join(t.mailDir, f), 'utf8'));
const reminderMails = (id: number) => mails(`listing-reminder-${id}-`);
const failureMails = (id: number) => mails(`listing-renewal-failed-${id}-`);
const renewalOf = async (id: number) =>
  rows<{ outcome: string; charge_id: number | null; notified: boolean }>(`select outcome, charge_id, notified_at is not null as notified from renewals where product = 'job_listing' and subject_id = ${id}`);
const chargesOf = (id: number) => rows<{ id: number; status: string; failure_code: string | null }>(`select id, status, failure_code from charges where article_id = ${id} order by id`);
const jobIds = async () => json(await t.app.inject({ method: 'GET', url: '/api/v1/jobs' })).jobs.map((j: { id: number }) => j.id);
/** Quoted-printable soft line breaks removed, so links and sentences read whole. */
const plain = (eml: string) => eml.replace(/=\r?\n/g, '').replace(/=3D/g, '=');

describe('the reminder the day before a paid week ends', () => {
  it('is sent once, even when the upkeep runs again and on two instances at once, with a link to extend', async () => {
    const id = await listing();
    await pay(id);
    const end = await paidUntil(id);
    t.clock.set(new Date(end.getTime() - 25 * HOUR));
    await t.app.runRenewals();
    expect(reminderMails(id)).toHaveLength(0);

    t.clock.set(new Date(end.getTime() - 23 * HOUR));
    const second = await secondInstance(t);
    try {
      await Promise.all([t.app.runRenewals(), second.app.runRenewals(), t.app.runRenewals()]);
      await t.app.runRenewals();
      t.clock.advance(12 * HOUR);
      await second.app.runRenewals();
    } finally {
      await second.close();
    }
    expect(await rows(`select 1 from renewal_reminders where product = 'job_listing' and subject_id = ${id}`)).toHaveLength(1);
    const [mail] = reminderMails(id);
    expect(reminderMails(id)).toHaveLength(1);
    expect(plain(mail!)).toContain(`leaves /jobs at ${end.toISOString().replace('T', ' ').slice(0, 16)} UTC`);
    expect(plain(mail!)).toContain(`/charges/new?product=job_listing&article_id=${id}`);
    expect(mail).toContain(`To: ${poster.email}`);
  });

  it('is not sent for a listing never paid, one whose week has ended, or one taken off the site', async () => {
    const unpaid = await listing();
    const ended = await listing();
    await pay(ended);
    t.clock.advance(2 * 24 * HOUR);
    const unpublished = await listing();
    await pay(unpublished);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/articles/${unpublished}`, headers: poster.auth, payload: { published: false } });
    // The last hour of the unpublished listing's week; the other's week ended a day ago, unseen by any upkeep.
    t.clock.set(new Date((await paidUntil(unpublished)).getTime() - HOUR));
    await t.app.runRenewals();
    for (const id of [unpaid, ended, unpublished]) expect(reminderMails(id), `listing ${id}`).toHaveLength(0);
  });

  it('comes again for each new paid week', async () => {
    const id = await listing();
    await pay(id);
    t.clock.set(new Date((await paidUntil(id)).getTime() - 2 * HOUR));
    await t.app.runRenewals();
    expect(reminderMails(id)).toHaveLength(1);
    await pay(id); // extended a week from the old end
    const end = await paidUntil(id);
    await t.app.runRenewals();
    expect(reminderMails(id)).toHaveLength(1);
    t.clock.set(new Date(end.getTime() - 2 * HOUR));
    await t.app.runRenewals();
    expect(reminderMails(id)).toHaveLength(2);
    expect(await rows(`select 1 from renewal_reminders where product = 'job_listing' and subject_id = ${id}`)).toHaveLength(2);
  });
});

describe('auto-renew', () => {
  it('is switched by the listing author only, on job listings only, with a clear 4xx for bad input', async () => {
    const id = await listing();
    expect((await setAutoRenew(id, 'yes')).statusCode).toBe(400);
    expect(json(await setAutoRenew(id, 'yes')).error.fields).toHaveProperty('enabled');
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/auto-renew`, headers: poster.auth, payload: { enabled: true, extra: 1 } })).statusCode).toBe(400);
    const stranger = await member(t.app);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/articles/${id}/auto-renew`, headers: stranger.auth, payload: { enabled: true } })).statusCode).toBe(404);
    const article = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: poster.auth, payload: { title: 'Plain', body_markdown: 'x' } })).article.id;
    expect((await setAutoRenew(article, true)).statusCode).toBe(422);
    expect(json(await t.app.inject({ method: 'GET', url: `/api/v1/articles/${id}`, headers: poster.auth })).article.auto_renew).toBe(false);
    const on = await setAutoRenew(id, true);
    expect(on.statusCode).toBe(200);
    expect(json(on).article).toEqual({ id, auto_renew: true });
    expect(await rows(`select action from audit_log where subject_type = 'article' and subject_id = '${id}'`)).toEqual([{ action: 'listing.auto_renew_on' }]);
  });

  it('is switched from the dashboard with a confirmation', async () => {
    const id = await listing();
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: poster.email, password: poster.password });
    const dashboard = await browser.get('/dashboard');
    expect(dashboard.body).toContain(`action="/articles/${id}/auto-renew"`);
    const res = await browser.submit('/dashboard', `/articles/${id}/auto-renew`, { enabled: '1', back: 'dashboard' });
    expect(res.statusCode).toBe(303);
    const after = await browser.get(res.headers.location as string);
    expect(after.body).toContain('Auto-renew is on for');
    expect(after.body).toContain('data-auto-renew="on"');
    const bad = await browser.submit('/dashboard', `/articles/${id}/auto-renew`, { enabled: 'maybe' });
    expect(bad.statusCode).toBe(400);
  });

  it('extends the listing exactly one week when the week ends, even with the upkeep on two instances at once', async () => {
    const id = await listing();
    await pay(id);
    await setAutoRenew(id, true);
    const end = await paidUntil(id);
    t.clock.set(new Date(end.getTime() - 30 * 60_000));
    const second = await secondInstance(t);
    try {
      await Promise.all([t.app.runRenewals(), second.app.runRenewals(), second.app.runRenewals(), t.app.runRenewals()]);
      t.clock.advance(HOUR);
      await Promise.all([t.app.runRenewals(), second.app.runRenewals()]);
    } finally {
      await second.close();
    }
    expect((await paidUntil(id)).getTime()).toBe(end.getTime() + WEEK_MS);
    const listed = await chargesOf(id);
    expect(listed.map((c) => c.status)).toEqual(['succeeded', 'succeeded']);
    expect(await renewalOf(id)).toEqual([{ outcome: 'renewed', charge_id: listed[1]!.id, notified: false }]);
    expect(await rows(`select 1 from fulfilments where charge_id = ${listed[1]!.id}`)).toHaveLength(1);
    const intents = [...t.stripe.emulator.paymentIntents.values()].filter((pi) => pi.metadata.article_id === String(id));
    expect(intents.map((pi) => pi.status)).toEqual(['succeeded', 'succeeded']);
    expect(intents[1]!.payment_method).toBe(intents[0]!.payment_method);
    expect(await jobIds()).toContain(id);
    await settleWebhooks(t);
    expect((await paidUntil(id)).getTime()).toBe(end.getTime() + WEEK_MS);
    expect(failureMails(id)).toHaveLength(0);
  });

  it('makes one charge per key in the payments core, however many instances ask at once', async () => {
    const id = await listing();
    const first = await pay(id);
    const [buyer] = await t.database.db.select().from(users).where(eq(users.id, poster.id));
    const request = {
      product: 'job_listing',
      subjectId: id,
      paymentMethod: t.stripe.emulator.paymentIntents.get(first.stripe_charge_key)!.payment_method as string,
      key: `core-test-${id}`,
    };
    // Each call with its own copy of the buyer, as each instance reads it.
    const buyerPaying = () => {
      const user = { ...buyer! };
      return { user, payer: memberPayer(user) };
    };
    const second = await secondInstance(t);
    try {
      const answers = await Promise.all([
        t.app.payments.checkout.chargeOffSession({ ...request, ...buyerPaying() }),
        second.app.payments.checkout.chargeOffSession({ ...request, ...buyerPaying() }),
        t.app.payments.checkout.chargeOffSession({ ...request, ...buyerPaying() }),
      ]);
      const charge = answers[0]!;
      expect(new Set(answers.map((c) => c.id))).toEqual(new Set([charge.id]));
      expect(charge.status).toBe('succeeded');
      expect([...t.stripe.emulator.paymentIntents.values()].filter((pi) => pi.metadata.charge_id === String(charge.id))).toHaveLength(1);
      expect(await rows(`select 1 from fulfilments where charge_id = ${charge.id}`)).toHaveLength(1);
      // Asked again later: the same charge, no new PaymentIntent.
      expect((await t.app.payments.checkout.chargeOffSession({ ...request, ...buyerPaying() })).id).toBe(charge.id);
    } finally {
      await second.close();
    }
  });

  it('lets the listing lapse and e-mails a link to pay when the card needs authentication off-session', async () => {
    const id = await listing();
    await pay(id, 'pm_card_authenticationRequired');
    await setAutoRenew(id, true);
    const end = await paidUntil(id);
    t.clock.set(new Date(end.getTime() - 30 * 60_000));
    await t.app.runRenewals();
    await t.app.runRenewals();
    const listed = await chargesOf(id);
    expect(listed.map((c) => [c.status, c.failure_code])).toEqual([
      ['succeeded', null],
      ['failed', 'authentication_required'],
    ]);
    expect(await renewalOf(id)).toEqual([{ outcome: 'authentication_required', charge_id: listed[1]!.id, notified: true }]);
    expect((await paidUntil(id)).getTime()).toBe(end.getTime());
    const [mail] = failureMails(id);
    expect(failureMails(id)).toHaveLength(1);
    expect(plain(mail!)).toContain('confirm this payment');
    expect(plain(mail!)).toContain(`/charges/new?product=job_listing&article_id=${id}`);
    t.clock.set(new Date(end.getTime() + 60_000));
    expect(await jobIds()).not.toContain(id);
    await t.app.runRenewals();
    expect(await chargesOf(id)).toHaveLength(2);
    expect(failureMails(id)).toHaveLength(1);
  });

  it('lets the listing lapse and e-mails a link to pay when the saved card is declined', async () => {
    const id = await listing();
    const first = await pay(id);
    const card = t.stripe.emulator.paymentIntents.get(first.stripe_charge_key)!.payment_method as string;
    t.stripe.emulator.chargeCardAs(card, '4000000000000002');
    await setAutoRenew(id, true);
    const end = await paidUntil(id);
    t.clock.set(new Date(end.getTime() - 10 * 60_000));
    await t.app.runRenewals();
    const listed = await chargesOf(id);
    expect(listed.map((c) => [c.status, c.failure_code])).toEqual([
      ['succeeded', null],
      ['failed', 'card_declined'],
    ]);
    expect((await renewalOf(id))[0]!.outcome).toBe('declined');
    expect((await paidUntil(id)).getTime()).toBe(end.getTime());
    const [mail] = failureMails(id);
    expect(plain(mail!)).toContain('Your card was declined.');
    expect(plain(mail!)).toContain(`/charges/new?product=job_listing&article_id=${id}`);
  });

  it('keeps a renewal pending while Stripe is out of reach, and renews once on a later run', async () => {
    const id = await listing();
    await pay(id);
    await setAutoRenew(id, true);
    const end = await paidUntil(id);
    t.clock.set(new Date(end.getTime() - 50 * 60_000));
    // More failures than the SDK's retries.
    t.stripe.injectFault({ kind: '500', when: 'before', path: '/v1/payment_intents', method: 'POST', count: 10 });
    try {
      await t.app.runRenewals();
    } finally {
      t.stripe.clearFaults();
    }
    expect(await renewalOf(id)).toEqual([{ outcome: 'pending', charge_id: expect.any(Number), notified: false }]);
    expect((await chargesOf(id)).map((c) => c.status)).toEqual(['succeeded', 'pending']);
    await t.app.runRenewals(); // its lease has not run out: left alone
    expect((await chargesOf(id)).map((c) => c.status)).toEqual(['succeeded', 'pending']);
    t.clock.advance(6 * 60_000);
    await t.app.runRenewals();
    expect((await chargesOf(id)).map((c) => c.status)).toEqual(['succeeded', 'succeeded']);
    expect((await renewalOf(id))[0]!.outcome).toBe('renewed');
    expect((await paidUntil(id)).getTime()).toBe(end.getTime() + WEEK_MS);
  });

  it('charges nothing when the card was not saved, and e-mails the poster', async () => {
    const id = await listing();
    await pay(id, 'pm_card_mastercard', false);
    await setAutoRenew(id, true);
    t.clock.set(new Date((await paidUntil(id)).getTime() - 10 * 60_000));
    await t.app.runRenewals();
    expect(await chargesOf(id)).toHaveLength(1);
    expect((await renewalOf(id))[0]!.outcome).toBe('no_card');
    expect(plain(failureMails(id)[0]!)).toContain('no longer saved');
  });

  it('charges nothing once turned off', async () => {
    const id = await listing();
    await pay(id);
    await setAutoRenew(id, true);
    await setAutoRenew(id, false);
    const end = await paidUntil(id);
    t.clock.set(new Date(end.getTime() - 10 * 60_000));
    await t.app.runRenewals();
    t.clock.set(new Date(end.getTime() + HOUR));
    await t.app.runRenewals();
    expect(await chargesOf(id)).toHaveLength(1);
    expect(await renewalOf(id)).toEqual([]);
    expect(await jobIds()).not.toContain(id);
  });

  it('shows the renewals and their outcomes in the finance console', async () => {
    const boss = await admin(t);
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/renewals', headers: boss.auth });
    expect(res.statusCode).toBe(200);
    const outcomes = json(res).renewals.map((r: { outcome: string }) => r.outcome);
    expect(outcomes).toEqual(expect.arrayContaining(['renewed', 'authentication_required', 'declined', 'no_card']));
    expect(json(res).auto_renew_on).toBeGreaterThanOrEqual(4);
  });
});
