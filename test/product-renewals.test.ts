import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { WEEK_MS } from '../src/products/period.js';
import { admin, json, type Member, member, secondInstance, startTestApp, type TestApp } from './helpers/app.js';

/**
 * The billboard and the featured article opt in to the core's renewal (src/products/renewal.ts) with
 * `auto_renew: true` on the purchase: a reminder once per period, and one off-session charge per period.
 */

let t: TestApp;
let buyer: Member;
const HOUR = 3600_000;

beforeAll(async () => {
  t = await startTestApp();
  buyer = await member(t.app);
});
afterAll(() => t.close());

const rows = <T>(sql: string) => queryRows<T>(t.database.db, sql);
const mails = (prefix: string) => readdirSync(t.mailDir).filter((f) => f.startsWith(prefix)).map((f) => readFileSync(path.join(t.mailDir, f), 'utf8'));
const chargesFor = (product: string) => rows<{ id: number; status: string }>(`select id, status from charges where product = '${product}' and user_id = ${buyer.id} order by id`);
const buy = async (payload: object) => {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: buyer.auth, payload: { payment_method: 'pm_card_visa', save_card: true, ...payload } });
  expect(res.statusCode).toBe(201);
  return json(res).charge as { id: number };
};

/** Runs the renewals task on two instances at once and again, as the listing's tests do. */
async function runEverywhere() {
  const second = await secondInstance(t);
  try {
    await Promise.all([t.app.runRenewals(), second.app.runRenewals(), t.app.runRenewals()]);
    await second.app.runRenewals();
  } finally {
    await second.close();
  }
}

describe('a billboard bought with auto_renew', () => {
  it('is reminded once, renewed once per week from where it ends, and shown in the admin view', async () => {
    const charge = await buy({ product: 'billboard', headline: 'Renewing ad', link_url: 'https://ad.example', auto_renew: true });
    const [board] = await rows<{ id: number; ends_at: Date }>(`select id, ends_at from billboards where charge_id = ${charge.id}`);
    const end = new Date(board!.ends_at);

    t.clock.set(new Date(end.getTime() - 23 * HOUR));
    await runEverywhere();
    const reminders = mails(`billboard-reminder-${board!.id}-`);
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toContain('renews soon');

    t.clock.set(new Date(end.getTime() - 30 * 60_000));
    await runEverywhere();
    t.clock.advance(HOUR);
    await runEverywhere();
    expect((await chargesFor('billboard')).map((c) => c.status)).toEqual(['succeeded', 'succeeded']);
    expect(await rows(`select outcome from renewals where product = 'billboard' and subject_id = ${board!.id}`)).toEqual([{ outcome: 'renewed' }]);
    const boards = await rows<{ headline: string; starts_at: Date; ends_at: Date }>(`select headline, starts_at, ends_at from billboards where user_id = ${buyer.id} order by id`);
    expect(boards).toHaveLength(2);
    expect(boards[1]!.headline).toBe('Renewing ad');
    expect(new Date(boards[1]!.starts_at).getTime()).toBe(end.getTime());
    expect(new Date(boards[1]!.ends_at).getTime()).toBe(end.getTime() + WEEK_MS);

    const boss = await admin(t);
    const view = json(await t.app.inject({ method: 'GET', url: '/api/v1/admin/renewals', headers: boss.auth }));
    expect(view.renewals).toContainEqual(expect.objectContaining({ product: 'billboard', subject_id: board!.id, title: 'Renewing ad', outcome: 'renewed' }));
  });

  it('is only reminded, never charged again, without auto_renew', async () => {
    const charge = await buy({ product: 'billboard', headline: 'One week only', link_url: 'https://ad.example' });
    const [board] = await rows<{ id: number; ends_at: Date }>(`select id, ends_at from billboards where charge_id = ${charge.id}`);
    t.clock.set(new Date(new Date(board!.ends_at).getTime() - 30 * 60_000));
    await runEverywhere();
    expect(mails(`billboard-reminder-${board!.id}-`)).toHaveLength(1);
    expect(mails(`billboard-reminder-${board!.id}-`)[0]).toContain('leaves the sidebar');
    expect(await rows(`select 1 from renewals where product = 'billboard' and subject_id = ${board!.id}`)).toEqual([]);
    // Meanwhile the week the first test's renewal bought ended too, and renewed itself: the flag is carried.
    const bought = (headline: string) => rows(`select 1 from charges where product = 'billboard' and product_data->>'headline' = '${headline}'`);
    expect(await bought('One week only')).toHaveLength(1);
    expect(await bought('Renewing ad')).toHaveLength(3);
  });
});

describe('a featured article bought with auto_renew', () => {
  it('is reminded once and renewed once per week, the new week queued after the old', async () => {
    const article = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: buyer.auth, payload: { title: 'Renewed feature', body_markdown: 'x', published: true } })).article;
    const charge = json(await t.app.inject({ method: 'GET', url: `/api/v1/charges/${(await buy({ product: 'featured_article', article_id: article.id, auto_renew: true })).id}`, headers: buyer.auth })).charge;
    const end = new Date(charge.featured_until);

    t.clock.set(new Date(end.getTime() - 2 * HOUR));
    await runEverywhere();
    expect(mails(`featured-reminder-${article.id}-`)).toHaveLength(1);

    t.clock.set(new Date(end.getTime() - 30 * 60_000));
    await runEverywhere();
    expect((await chargesFor('featured_article')).map((c) => c.status)).toEqual(['succeeded', 'succeeded']);
    expect(await rows(`select outcome from renewals where product = 'featured_article' and subject_id = ${article.id}`)).toEqual([{ outcome: 'renewed' }]);
    const [until] = await rows<{ until: Date }>(`select max(ends_at) as until from featured_articles where article_id = ${article.id}`);
    expect(new Date(until!.until).getTime()).toBe(end.getTime() + WEEK_MS);

    // The next week has its own reminder and renewal, once each.
    t.clock.set(new Date(end.getTime() + WEEK_MS - 30 * 60_000));
    await runEverywhere();
    expect(mails(`featured-reminder-${article.id}-`)).toHaveLength(2);
    expect(await chargesFor('featured_article')).toHaveLength(3);
  });
});
