import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../db/client.js';
import { FormClient } from '../../../../test/helpers/browser-form.js';
import { admin, json, settleWebhooks, type Member, member, START, startTestApp, type TestApp } from '../../../../test/helpers/app.js';

let t: TestApp;
let boss: Member;
let sponsor: Member;
let rival: Member;
let seq = 0;

beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
  sponsor = await member(t.app);
  rival = await member(t.app);
});
afterAll(() => t.close());

// START is Monday 2 March 2026: its issue is under way, so the first week offered is the next Monday's.
const FIRST = '2026-03-09';
const SECOND = '2026-03-16';

const buy = (who: Member, week: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/charges',
    headers: { ...who.auth, 'idempotency-key': `newsletter-${++seq}` },
    payload: { product: 'newsletter_slot', week, payment_method: 'pm_card_visa' },
  });
const signedIn = async (who: Member) => {
  const browser = new FormClient(t.app);
  await browser.submit('/login', '/login', { email: who.email, password: who.password });
  return browser;
};
/** The weeks the checkout form offers now, in order. */
const offered = async () => {
  const page = (await (await signedIn(sponsor)).get('/charges/new?product=newsletter_slot')).body;
  const select = page.match(/<select[^>]*name="week"[\s\S]*?<\/select>/)![0];
  return [...select.matchAll(/<option value="(\d{4}-\d{2}-\d{2})"/g)].map((m) => m[1]!);
};
const slotRows = () => queryRows<{ week: string; charge_id: number; active: boolean }>(t.database.db, "select to_char(week_start, 'YYYY-MM-DD') as week, charge_id, active from newsletter_slots order by id");

describe('the sponsored newsletter slot, a fourth product in one folder', () => {
  it('is in the catalog, needing a week and no subject', async () => {
    const { products } = json(await t.app.inject({ method: 'GET', url: '/api/v1/products' }));
    expect(products).toContainEqual(expect.objectContaining({ id: 'newsletter_slot', name: 'Sponsored newsletter slot', amount: 9900, currency: 'usd', requires: ['week'] }));
  });

  it('offers the next 8 free Mondays; a bought week leaves the choices', async () => {
    expect(t.clock.now()).toEqual(START);
    expect(await offered()).toEqual(['2026-03-09', '2026-03-16', '2026-03-23', '2026-03-30', '2026-04-06', '2026-04-13', '2026-04-20', '2026-04-27']);
    const paid = await buy(sponsor, FIRST);
    expect(paid.statusCode).toBe(201);
    expect(json(paid).charge).toMatchObject({ product: 'newsletter_slot', amount: 9900, article_id: null, newsletter_week: FIRST });
    const now = await offered();
    expect(now).not.toContain(FIRST);
    expect(now).toHaveLength(8);
    expect(now.at(-1)).toBe('2026-05-04');
    const receipt = (await (await signedIn(sponsor)).get(`/charges/${json(paid).charge.id}`)).body;
    expect(receipt).toContain('Newsletter sponsor: the issue of the week of Mon 9 Mar 2026');
  });

  it('refuses a taken week, one beyond the next 8, or no week, before any row', async () => {
    const before = (await slotRows()).length;
    const charges = async () => (await queryRows<{ n: number }>(t.database.db, "select count(*)::int as n from charges where product = 'newsletter_slot'"))[0]!.n;
    const rowsBefore = await charges();
    const taken = await buy(rival, FIRST);
    expect(taken.statusCode).toBe(400);
    expect(json(taken).error.fields).toEqual({ week: 'That week is not free: choose one of the next 8 free weeks.' });
    expect(json(await buy(rival, '2027-01-04')).error.fields).toEqual({ week: 'That week is not free: choose one of the next 8 free weeks.' });
    expect(json(await buy(rival, 'soon')).error.fields).toEqual({ week: 'Choose a week from the list.' });
    expect(await charges()).toBe(rowsBefore);
    expect(await slotRows()).toHaveLength(before);
  });

  it('shows the refusal beside the select on the form without JavaScript', async () => {
    const browser = await signedIn(rival);
    const page = await browser.submit('/charges/new?product=newsletter_slot', '/charges', {
      product: 'newsletter_slot',
      week: FIRST,
      payment_method: 'pm_card_visa',
      idempotency_key: `newsletter-form-${++seq}`,
    });
    expect(page.statusCode).toBe(400);
    expect(page.body).toMatch(/<select[^>]*name="week"[^>]*aria-invalid="true"/);
    expect(page.body).toContain('<span class="field-error" id="error-week" role="alert">That week is not free: choose one of the next 8 free weeks.</span>');
  });

  it('never gives one week to two buyers at once', async () => {
    const [a, b] = await Promise.all([buy(sponsor, SECOND), buy(rival, SECOND)]);
    const weeks = [a, b].filter((r) => r.statusCode === 201).map((r) => json(r).charge.newsletter_week);
    expect(weeks).toContain(SECOND);
    expect(new Set(weeks).size).toBe(weeks.length);
    expect((await slotRows()).filter((r) => r.active && r.week === SECOND)).toHaveLength(1);
  });

  it('gives a payment that completes after another took its week the next free week, and its receipt says so', async () => {
    const week = '2026-04-06';
    const waiting = await t.app.inject({
      method: 'POST',
      url: '/api/v1/charges',
      headers: { ...rival.auth, 'idempotency-key': `newsletter-${++seq}` },
      payload: { product: 'newsletter_slot', week, payment_method: 'pm_card_authenticationRequired' },
    });
    expect(waiting.statusCode).toBe(202);
    // Checked out while the week was free; meanwhile another sponsor pays for it.
    expect(json(await buy(sponsor, week)).charge.newsletter_week).toBe(week);
    const charge = json(waiting).charge;
    t.stripe.emulator.authenticate(charge.stripe_charge_key, 'complete', { id: 'req_test', idempotencyKey: null });
    const done = await t.app.inject({ method: 'POST', url: `/api/v1/charges/${charge.id}/confirm`, headers: rival.auth });
    expect(done.statusCode).toBe(201);
    expect(json(done).charge.newsletter_week).toBe('2026-04-13');
    expect((await slotRows()).filter((r) => r.active && r.week === week)).toHaveLength(1);
    const receipt = (await (await signedIn(rival)).get(`/charges/${charge.id}`)).body;
    expect(receipt).toContain('The week of Mon 6 Apr 2026 went to another sponsor before your payment went through: yours is the next free week.');
  });

  it('shows the sponsored weeks on /newsletter, to anyone', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/newsletter' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<meta name="viewport"');
    expect(page.body).toContain(`data-week="${FIRST}"`);
    expect(page.body).toContain(`sponsored by ${sponsor.username}`);
    expect(page.body).toContain('href="/charges/new?product=newsletter_slot"');
  });

  it("lists every slot with its charge in the admin's view", async () => {
    const [first] = await slotRows();
    const page = (await (await signedIn(boss)).get('/admin/newsletter')).body;
    expect(page).toContain('<h1>Newsletter slots</h1>');
    expect(page).toContain(`href="/admin/finance/charges/${first!.charge_id}"`);
    const { slots } = json(await t.app.inject({ method: 'GET', url: '/api/v1/admin/newsletter', headers: boss.auth }));
    expect(slots).toContainEqual(expect.objectContaining({ week_start: FIRST, charge_id: first!.charge_id, sponsor: sponsor.username, charge_status: 'succeeded', active: true }));
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/newsletter', headers: sponsor.auth })).statusCode).toBe(403);
  });

  it('frees the week when its charge is refunded in full', async () => {
    const [first] = await slotRows();
    const refund = await t.app.inject({ method: 'POST', url: `/api/v1/admin/charges/${first!.charge_id}/refunds`, headers: { ...boss.auth, 'idempotency-key': `refund-${first!.charge_id}` }, payload: {} });
    expect(refund.statusCode).toBeLessThan(300);
    expect(await offered()).toContain(FIRST);
    expect((await t.app.inject({ method: 'GET', url: '/newsletter' })).body).not.toContain(`data-week="${FIRST}"`);
    const receipt = (await (await signedIn(sponsor)).get(`/charges/${first!.charge_id}`)).body;
    expect(receipt).toContain('Not sponsoring: the week is free again.');
    const again = await buy(rival, FIRST);
    expect(json(again).charge.newsletter_week).toBe(FIRST);
  });

  it('frees the week while disputed; a won dispute takes it back only if nobody bought it meanwhile', async () => {
    const dispute = async (chargeId: number) => {
      const [row] = await queryRows<{ key: string }>(t.database.db, `select stripe_charge_key as key from charges where id = ${chargeId}`);
      const stripeCharge = t.stripe.emulator.paymentIntents.get(row!.key)!.latest_charge as string;
      const opened = t.stripe.emulator.openDispute(stripeCharge, {}, null);
      await settleWebhooks(t);
      return opened.id;
    };
    const [kept, lost] = ['2026-04-20', '2026-04-27'];
    const keptCharge = json(await buy(sponsor, kept)).charge.id as number;
    const lostCharge = json(await buy(sponsor, lost)).charge.id as number;
    await settleWebhooks(t);
    const [d1, d2] = [await dispute(keptCharge), await dispute(lostCharge)];
    expect(await offered()).toEqual(expect.arrayContaining([kept, lost]));
    expect(json(await buy(rival, lost)).charge.newsletter_week).toBe(lost);
    t.stripe.emulator.closeDispute(d1, 'won', null);
    t.stripe.emulator.closeDispute(d2, 'won', null);
    await settleWebhooks(t);
    const active = (await slotRows()).filter((r) => r.active && (r.week === kept || r.week === lost));
    expect(active.map((r) => [r.week, r.charge_id])).toEqual(expect.arrayContaining([[kept, keptCharge]]));
    expect(active.filter((r) => r.week === lost).map((r) => r.charge_id)).not.toContain(lostCharge);
    expect(active).toHaveLength(2);
  });
});
