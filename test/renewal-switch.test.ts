import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { admin, grantJobs, json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

/**
 * The buyer's auto-renew switch (src/products/renewal-switch.ts): ticked at checkout, stopped and
 * restored on the billing page or through the API, for every renewable product.
 */

let t: TestApp;
let buyer: Member;
let other: Member;
let browser: FormClient;
const HOUR = 3600_000;

beforeAll(async () => {
  t = await startTestApp();
  buyer = await member(t.app);
  other = await member(t.app);
  await grantJobs(t, await admin(t), buyer.id);
  browser = new FormClient(t.app);
  await browser.submit('/login', '/login', { email: buyer.email, password: buyer.password });
});
afterAll(() => t.close());

const rows = <T>(sql: string) => queryRows<T>(t.database.db, sql);
const mails = (prefix: string) => readdirSync(t.mailDir).filter((f) => f.startsWith(prefix)).map((f) => readFileSync(path.join(t.mailDir, f), 'utf8'));
let seq = 0;
/** Through the API, with a card that is not asked to be saved: the ticked box saves it. */
const buy = async (payload: object) => {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...buyer.auth, 'idempotency-key': `switch-${++seq}` }, payload: { payment_method: 'pm_card_visa', ...payload } });
  expect(res.statusCode, res.body).toBe(201);
  return json(res).charge as { id: number };
};
const boardOf = async (chargeId: number) => (await rows<{ id: number; ends_at: Date }>(`select id, ends_at from billboards where charge_id = ${chargeId}`))[0]!;
const setSwitch = (who: Member, product: string, subject: number, payload: unknown) =>
  t.app.inject({ method: 'POST', url: `/api/v1/renewals/${product}/${subject}/auto-renew`, headers: who.auth, payload: payload as object });
const renewing = async (who: Member) => json(await t.app.inject({ method: 'GET', url: '/api/v1/renewals', headers: who.auth })).renewals as Array<Record<string, unknown>>;
const written = async () => (await rows<{ n: number }>(`select (select count(*) from renewals)::int + (select count(*) from audit_log)::int as n`))[0]!.n;

describe('auto-renewal chosen at checkout and switched by the buyer', () => {
  let ticked: { id: number; ends_at: Date };
  let stopped: { id: number; ends_at: Date };
  let restored: { id: number; ends_at: Date };

  it('draws the box on the billboard and featured article forms, and a ticked box arrives as true from the saved-card form', async () => {
    const form = (await browser.get('/charges/new?product=billboard')).body;
    expect(form).toMatch(/<input type="checkbox"[^>]*name="auto_renew"/);
    expect(form).toContain('Renew automatically each week with the card I pay with');
    expect(form).toContain('the card you pay with is saved for it');
    const essay = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: buyer.auth, payload: { title: 'Essay', body_markdown: 'x', published: true } })).article.id;
    expect((await browser.get(`/charges/new?product=featured_article&article_id=${essay}`)).body).toMatch(/name="auto_renew"/);

    // A first purchase saves a card; the no-JavaScript form then pays with it, box ticked.
    await buy({ product: 'billboard', headline: 'First ad', link_url: 'https://ad.example', save_card: true });
    const card = json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: buyer.auth })).payment_methods[0].id as string;
    const fields = { product: 'billboard', headline: 'Ticked ad', link_url: 'https://ad.example', image_url: '', payment_method: card, idempotency_key: 'switch-form-1' };
    const paid = await browser.submit('/charges/new?product=billboard', '/charges', { ...fields, auto_renew: 'on' });
    expect(paid.statusCode).toBe(303);
    const unticked = await browser.submit('/charges/new?product=billboard', '/charges', { ...fields, headline: 'Unticked ad', idempotency_key: 'switch-form-2' });
    expect(unticked.statusCode).toBe(303);
    const data = await rows<{ headline: string; auto_renew: unknown }>(`select product_data->>'headline' as headline, product_data->'auto_renew' as auto_renew from charges where product_data->>'headline' in ('Ticked ad', 'Unticked ad') order by id`);
    expect(data).toEqual([
      { headline: 'Ticked ad', auto_renew: true },
      { headline: 'Unticked ad', auto_renew: false },
    ]);
    const [charge] = await rows<{ id: number }>(`select id from charges where product_data->>'headline' = 'Ticked ad'`);
    ticked = await boardOf(charge!.id);
  });

  it('saves the card paid with when the box is ticked, and only then, without the "save" box', async () => {
    const cards = async (who: Member) => json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: who.auth })).payment_methods as unknown[];
    for (const [autoRenew, saved] of [
      [true, 1],
      [false, 0],
    ] as const) {
      const fresh = await member(t.app);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/charges',
        headers: fresh.auth,
        payload: { product: 'billboard', headline: 'Fresh ad', link_url: 'https://ad.example', payment_method: 'pm_card_visa', auto_renew: autoRenew },
      });
      expect(res.statusCode).toBe(201);
      expect(await cards(fresh)).toHaveLength(saved);
    }
  });

  it('lists what renews on the billing page and in GET /api/v1/renewals; stopping and renewing again are confirmed there and audited', async () => {
    stopped = await boardOf((await buy({ product: 'billboard', headline: 'Stopped ad', link_url: 'https://ad.example', auto_renew: true })).id);
    restored = await boardOf((await buy({ product: 'billboard', headline: 'Restored ad', link_url: 'https://ad.example', auto_renew: true })).id);
    const listed = await renewing(buyer);
    expect(listed.map((r) => r.title)).toEqual(expect.arrayContaining(['Ticked ad', 'Stopped ad', 'Restored ad']));
    expect(listed.map((r) => r.title)).not.toContain('Unticked ad');
    expect(listed.find((r) => r.subject_id === stopped.id)).toMatchObject({ product: 'billboard', auto_renew: true, period_end: new Date(stopped.ends_at).toISOString() });

    const page = (await browser.get('/settings/billing')).body;
    expect(page).toContain('Renewing automatically');
    expect(page).toContain(`/settings/renewals/billboard/${stopped.id}/auto-renew`);
    expect(page).toContain('Stop renewing');

    const off = await browser.submit('/settings/billing', `/settings/renewals/billboard/${stopped.id}/auto-renew`, { enabled: '0' });
    expect(off.statusCode).toBe(303);
    const after = (await browser.get(off.headers.location as string)).body;
    expect(after).toContain('Auto-renew stopped: &quot;Stopped ad&quot;');
    expect(after).toContain('Renew again');
    expect((await renewing(buyer)).find((r) => r.subject_id === stopped.id)).toMatchObject({ auto_renew: false });

    // Stopped, then on again through the API: 200 with the new state.
    expect(json(await setSwitch(buyer, 'billboard', restored.id, { enabled: false })).renewal).toMatchObject({ subject_id: restored.id, auto_renew: false });
    const again = await setSwitch(buyer, 'billboard', restored.id, { enabled: true });
    expect(again.statusCode).toBe(200);
    expect(json(again).renewal).toMatchObject({ product: 'billboard', subject_id: restored.id, title: 'Restored ad', auto_renew: true });
    const audited = await rows<{ action: string; subject_id: string }>(`select action, subject_id from audit_log where subject_type = 'billboard' order by id`);
    expect(audited).toEqual([
      { action: 'renewal.auto_renew_off', subject_id: String(stopped.id) },
      { action: 'renewal.auto_renew_off', subject_id: String(restored.id) },
      { action: 'renewal.auto_renew_on', subject_id: String(restored.id) },
    ]);
  });

  it('answers 404 for another member’s purchase and refuses bad input with nothing written', async () => {
    const before = await written();
    const theirs = await setSwitch(other, 'billboard', restored.id, { enabled: false });
    expect(theirs.statusCode).toBe(404);
    expect(json(theirs).error.code).toBe('not_found');
    expect(await renewing(other)).toEqual([]);
    expect((await setSwitch(other, 'no_such_product', restored.id, { enabled: false })).statusCode).toBe(404);

    const malformed = await setSwitch(buyer, 'billboard', restored.id, { enabled: 'yes' });
    expect(malformed.statusCode).toBe(400);
    expect(json(malformed).error).toMatchObject({ code: 'validation_failed', fields: { enabled: expect.any(String) } });
    expect((await setSwitch(buyer, 'billboard', restored.id, { enabled: false, extra: 1 })).statusCode).toBe(400);
    // Bought without the box: nothing to switch.
    const [plain] = await rows<{ id: number }>(`select b.id from billboards b join charges c on c.id = b.charge_id where c.product_data->>'headline' = 'Unticked ad'`);
    const refused = await setSwitch(buyer, 'billboard', plain!.id, { enabled: true });
    expect(refused.statusCode).toBe(422);
    expect(json(refused).error).toMatchObject({ code: 'not_auto_renewing', fields: { enabled: expect.any(String) } });
    expect(await written()).toBe(before);
  });

  it('renews the ticked and the restored billboards at the end of the week, and neither reminds of nor charges the stopped one', async () => {
    const end = new Date(stopped.ends_at).getTime();
    t.clock.set(new Date(end - 23 * HOUR));
    await t.app.runRenewals();
    expect(mails(`billboard-reminder-${stopped.id}-`)[0]).toContain('leaves the sidebar');
    expect(mails(`billboard-reminder-${stopped.id}-`)[0]).not.toContain('Auto-renew is on');
    expect(mails(`billboard-reminder-${restored.id}-`)[0]).toContain('renews soon');
    expect(mails(`billboard-reminder-${restored.id}-`)[0]).toContain('/settings/billing');

    t.clock.set(new Date(end - 30 * 60_000));
    await t.app.runRenewals();
    await t.app.runRenewals();
    const outcomes = await rows<{ subject_id: number; outcome: string; charge_id: number | null }>(`select subject_id, outcome, charge_id from renewals where product = 'billboard' and user_id = ${buyer.id} order by subject_id`);
    expect(outcomes).toEqual([
      { subject_id: ticked.id, outcome: 'renewed', charge_id: expect.any(Number) },
      { subject_id: stopped.id, outcome: 'stopped', charge_id: null },
      { subject_id: restored.id, outcome: 'renewed', charge_id: expect.any(Number) },
    ]);
    const headlines = await rows<{ headline: string }>(`select product_data->>'headline' as headline from charges where product = 'billboard' and status = 'succeeded' and user_id = ${buyer.id} order by id`);
    expect(headlines.filter((h) => h.headline === 'Stopped ad')).toHaveLength(1);
    expect(headlines.filter((h) => h.headline === 'Restored ad')).toHaveLength(2);
    expect(headlines.filter((h) => h.headline === 'Ticked ad')).toHaveLength(2);
    // The renewed weeks' successors are listed now, the stopped one until it ends; a claimed period cannot be stopped.
    expect((await renewing(buyer)).filter((r) => r.title === 'Restored ad')).toHaveLength(1);
    expect((await setSwitch(buyer, 'billboard', restored.id, { enabled: false })).statusCode).toBe(409);
  });

  it('switches a featured article and a job listing through the same route', async () => {
    const essay = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: buyer.auth, payload: { title: 'Featured essay', body_markdown: 'x', published: true } })).article.id;
    await buy({ product: 'featured_article', article_id: essay, auto_renew: true });
    expect(json(await setSwitch(buyer, 'featured_article', essay, { enabled: false })).renewal).toMatchObject({ subject_id: essay, title: 'Featured essay', auto_renew: false });
    expect((await setSwitch(other, 'featured_article', essay, { enabled: true })).statusCode).toBe(404);

    const listing = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: buyer.auth, payload: { title: 'Listing', body_markdown: 'x', published: true, job_listing: true } })).article.id;
    await buy({ product: 'job_listing', article_id: listing });
    expect(json(await setSwitch(buyer, 'job_listing', listing, { enabled: true })).renewal).toMatchObject({ subject_id: listing, auto_renew: true });
    expect(await rows(`select auto_renew from articles where id = ${listing}`)).toEqual([{ auto_renew: true }]);
    expect((await setSwitch(other, 'job_listing', listing, { enabled: false })).statusCode).toBe(404);
    // On the billing page beside the others; stopped there, it flips the listing's own switch and leaves the list.
    expect((await browser.get('/settings/billing')).body).toContain(`/settings/renewals/job_listing/${listing}/auto-renew`);
    const off = await browser.submit('/settings/billing', `/settings/renewals/job_listing/${listing}/auto-renew`, { enabled: '0' });
    const after = (await browser.get(off.headers.location as string)).body;
    expect(after).toContain('Auto-renew stopped: &quot;Listing&quot;');
    expect(after).not.toContain(`/settings/renewals/job_listing/${listing}/auto-renew`);
    expect(await rows(`select auto_renew from articles where id = ${listing}`)).toEqual([{ auto_renew: false }]);
  });
});
