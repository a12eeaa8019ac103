import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_COLUMNS } from '../src/finance/credits.js';
import { reconcile } from '../src/payments/reconcile.js';
import { admin, grantJobs, json, type Member, member, settleWebhooks, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

let t: TestApp;
let boss: Member;
let ada: Member;
let bob: Member;
let eve: Member;
const ids = { ten: 0, four: 0, eve: 0, spends: [] as number[], eveSpend: 0 };

const call = (who: Member, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, key?: string) =>
  t.app.inject({ method, url, headers: { ...who.auth, ...(key ? { 'idempotency-key': key } : {}) }, ...(payload ? { payload } : {}) });
const buy = async (who: Member, payload: object) => {
  const res = await call(who, 'POST', '/api/v1/credits/purchases', { payment_method: 'pm_card_visa', ...payload }, `buy-${Math.random()}`);
  expect(res.statusCode).toBe(201);
  return json(res).charge.id as number;
};
const listing = async (who: Member, organization?: string) =>
  json(await call(who, 'POST', '/api/v1/articles', { title: 'Hiring', body_markdown: 'x', job_listing: true, published: true, ...(organization ? { organization } : {}) })).article.id as number;
const spend = async (who: Member, articleId: number, organization?: string) => {
  const res = await call(who, 'POST', '/api/v1/charges', { product: 'job_listing', article_id: articleId, pay_with: 'credits', ...(organization ? { organization } : {}) }, `spend-${Math.random()}`);
  expect(res.statusCode).toBe(201);
  return json(res).charge.id as number;
};
/** A page as the member reads it in a browser (signed in with a cookie). */
const page = async (who: Member, url: string) => {
  const browser = new FormClient(t.app);
  await browser.submit('/login', '/login', { email: who.email, password: who.password });
  return browser.get(url);
};
const runReconcile = () =>
  reconcile({ db: t.database.db, clock: t.clock, catalog: t.app.payments.catalog, stripe: t.app.payments.stripe }, { since: new Date(t.clock.now().getTime() - 3600_000) });

/** The text a PDF shows: its streams inflated, its hex strings decoded. */
function pdfText(pdf: Buffer): string {
  let text = '';
  const raw = pdf.toString('latin1');
  for (const match of raw.matchAll(/stream\r?\n/g)) {
    const start = match.index + match[0].length;
    const end = raw.indexOf('endstream', start);
    try {
      const body = inflateSync(pdf.subarray(start, end)).toString('latin1');
      // Each shown string, [<hex> kerning <hex> …] TJ: its hex parts are its text.
      for (const shown of body.matchAll(/\[(.*?)\]\s*TJ/g)) text += `${[...shown[1]!.matchAll(/<([0-9a-f]+)>/gi)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join('')}\n`;
    } catch {
      // not a compressed stream (an image, a font): no text
    }
  }
  return text;
}

beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
  [ada, bob, eve] = [await member(t.app), await member(t.app), await member(t.app)];
  expect((await call(ada, 'POST', '/api/v1/organizations', { name: 'Acme Jobs', slug: 'acme' })).statusCode).toBe(201);
  expect((await call(ada, 'POST', '/api/v1/organizations/acme/members', { username: bob.username, role: 'member' })).statusCode).toBe(201);
  const billing = { legal_name: 'Acme Jobs GmbH', address: { line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE' }, tax_id: { type: 'eu_vat', value: 'DE123456789' } };
  expect((await call(ada, 'PATCH', '/api/v1/organizations/acme', billing)).statusCode).toBe(200);
  for (const who of [bob, eve]) await grantJobs(t, boss, who.id);

  // Acme: 10 credits (23250: 2325 each), then 4 (10000: 2500 each); Bob spends 2 of them; the 4 are refunded; an admin grants 3.
  ids.ten = await buy(ada, { quantity: 10, organization: 'acme' });
  ids.four = await buy(ada, { quantity: 4, organization: 'acme' });
  const job = await listing(bob, 'acme');
  ids.spends = [await spend(bob, job, 'acme'), await spend(bob, job, 'acme')];
  const refund = await call(boss, 'POST', `/api/v1/admin/charges/${ids.four}/refunds`, {}, 'refund-the-four');
  expect(refund.statusCode).toBe(201);
  await settleWebhooks(t);
  expect((await call(boss, 'POST', '/api/v1/admin/credits', { organization: 'acme', change: 3, note: '=HYPERLINK("http://evil")' })).statusCode).toBe(201);
  // Eve, for herself: 5 credits (12250: 2450 each), one spent.
  ids.eve = await buy(eve, { quantity: 5 });
  ids.eveSpend = await spend(eve, await listing(eve));
  await settleWebhooks(t);
});
afterAll(() => t.close());

describe('money is what Stripe moved', () => {
  it('leaves weeks paid with credits out of the money totals, and marks them in the ledger and its CSV', async () => {
    const listings = json(await call(boss, 'GET', '/api/v1/admin/charges?product=job_listing'));
    expect(listings.total).toBe(3);
    expect(listings.totals).toEqual([expect.objectContaining({ currency: 'usd', count: 3, gross: 0, refunded: 0, fees: 0, net: 0 })]);
    expect(listings.charges.map((c: { paid_with: string }) => c.paid_with)).toEqual(['credits', 'credits', 'credits']);
    const all = json(await call(boss, 'GET', '/api/v1/admin/charges'));
    expect(all.totals[0]).toMatchObject({ gross: 23250 + 10000 + 12250, refunded: 10000 });
    const csv = (await call(boss, 'GET', '/api/v1/admin/finance/charges.csv?product=job_listing')).body.trim().split('\r\n').slice(1);
    for (const line of csv) expect(line).toMatch(/,0\.00,0\.00,0\.00,0\.00,USD,succeeded$/);
    const summary = json(await call(boss, 'GET', '/api/v1/admin/finance/summary?group=product')).summary;
    expect(summary.find((s: { product: string }) => s.product === 'job_listing')).toMatchObject({ gross: 0, net: 0 });
  });
});

describe('the credits section', () => {
  it('shows sold, spent first in first out, and the liability, per organization and members together', async () => {
    const res = await call(boss, 'GET', '/api/v1/admin/finance/credits?group=month');
    expect(res.statusCode).toBe(200);
    const { credits } = json(res);
    const acme = { account: 'acme', name: 'Acme Jobs', sold: 33250, refunded: 10000, net_sold: 23250, spent: 2 * 2325, forfeited: 0, refund_difference: 0, liability: 23250 - 2 * 2325, credits: 11 };
    const members = { account: 'members', sold: 12250, refunded: 0, net_sold: 12250, spent: 2450, forfeited: 0, refund_difference: 0, liability: 12250 - 2450, credits: 4 };
    expect(credits.accounts).toEqual([acme, expect.objectContaining(members)]);
    expect(credits.totals).toEqual({ sold: 45500, refunded: 10000, net_sold: 35500, spent: 7100, forfeited: 0, refund_difference: 0, liability: 28400, credits: 15 });
    // The identity: what was kept is what was recognised and what is still owed.
    expect(credits.totals.net_sold).toBe(credits.totals.spent + credits.totals.forfeited + credits.totals.refund_difference + credits.totals.liability);
    expect(credits.periods).toEqual([expect.objectContaining({ period: '2026-03-01', net_sold: 35500, spent: 7100, liability: 28400 })]);
  });

  it('keeps to the period: before it, nothing moved; the liability carried into a later one', async () => {
    const before = json(await call(boss, 'GET', '/api/v1/admin/finance/credits?to=2026-02-28')).credits;
    expect(before.totals).toMatchObject({ sold: 0, spent: 0, liability: 0 });
    const after = json(await call(boss, 'GET', '/api/v1/admin/finance/credits?from=2026-04-01')).credits;
    expect(after.totals).toMatchObject({ sold: 0, spent: 0, liability: 28400, credits: 15 });
    expect(after.periods).toEqual([]);
    expect((await call(boss, 'GET', '/api/v1/admin/finance/credits?group=year')).statusCode).toBe(400);
    expect((await call(ada, 'GET', '/api/v1/admin/finance/credits')).statusCode).toBe(403);
  });

  it('is a page of the console with the same numbers', async () => {
    const res = await page(boss, '/admin/finance/credits?group=month');
    expect(res.statusCode).toBe(200);
    const acme = res.body.slice(res.body.indexOf('data-account="acme"'), res.body.indexOf('data-account="members"'));
    expect(acme).toMatch(/data-credits="spent"[^>]*>\$46\.50</);
    expect(acme).toMatch(/data-credits="liability"[^>]*>\$186\.00</);
    expect(res.body).toMatch(/data-credits-total="liability">\$284\.00</);
    expect(res.body).toContain('href="/admin/finance/credit-ledger.csv"');
    expect((await page(boss, '/admin/finance')).body).toContain('/admin/finance/credits?');
  });
});

describe('the ledger as CSV', () => {
  it('lists every entry with its account and the balance after it, safe to open in a spreadsheet', async () => {
    const res = await call(boss, 'GET', '/api/v1/admin/finance/credit-ledger.csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="credit-ledger\.csv"/);
    const [header, ...lines] = res.body.trim().split('\r\n');
    expect(header).toBe(LEDGER_COLUMNS.join(','));
    expect(header).toBe('at,account_type,account,change,reason,charge_id,note,by,balance_after');
    const acme = lines.filter((l) => l.split(',')[2] === 'acme').map((l) => l.split(','));
    expect(acme.map((c) => [c[3], c[4], c[5], c[8]])).toEqual([
      ['10', 'purchase', String(ids.ten), '10'],
      ['4', 'purchase', String(ids.four), '14'],
      ['-1', 'spend', String(ids.spends[0]), '13'],
      ['-1', 'spend', String(ids.spends[1]), '12'],
      ['-4', 'refund', String(ids.four), '8'],
      ['3', 'grant', '', '11'],
    ]);
    expect(acme[2]![7]).toBe(bob.username);
    // A note that a spreadsheet would run as a formula is quoted and defused.
    expect(lines.find((l) => l.includes('grant'))).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(lines.filter((l) => l.split(',')[2] === eve.username).map((l) => l.split(',')[8])).toEqual(['5', '4']);
    // From a date on: the balance carried in is counted.
    const later = (await call(boss, 'GET', '/api/v1/admin/finance/credit-ledger.csv?from=2026-04-01')).body.trim().split('\r\n');
    expect(later).toHaveLength(1);
    expect((await call(eve, 'GET', '/api/v1/admin/finance/credit-ledger.csv')).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/finance/credit-ledger.csv?from=nope', headers: boss.auth })).statusCode).toBe(400);
  });
});

describe('receipts made out to the organization', () => {
  it('print its legal name, address and tax id on the page, the PDF and the e-mail, and each tier of the credits', async () => {
    const receipt = (await page(ada, `/charges/${ids.ten}`)).body;
    for (const text of ['Acme Jobs GmbH', 'Hauptstr. 1', '10115 Berlin', 'DE', 'Tax id (eu_vat): DE123456789', '10 credits for the organization acme']) expect(receipt).toContain(text);
    expect(receipt).toMatch(/Credits 1–4 at \$25\.00 each: 4 × \$25\.00 = \$100\.00/);
    expect(receipt).toMatch(/Credits 10–10 at \$20\.00 each/);
    const pdf = await page(ada, `/charges/${ids.ten}/receipt.pdf`);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const text = pdfText(pdf.rawPayload);
    for (const t of ['Billed to', 'Acme Jobs GmbH', 'Hauptstr. 1', 'Tax id (eu_vat): DE123456789']) expect(text).toContain(t);
    // A week paid with the organization's credits: billed to it, paid with its credits.
    const spent = (await page(bob, `/charges/${ids.spends[0]}`)).body;
    expect(spent).toContain('Acme Jobs GmbH');
    expect(spent).toContain('1 credit of Acme Jobs');
    // A member's own purchase is made out to nobody else.
    const own = (await page(eve, `/charges/${ids.eve}`)).body;
    expect(own).toContain('5 credits');
    expect(own).not.toContain('Billed to');
    await t.app.payments.mailer!.sendDue(t.clock.now());
    const eml = readFileSync(path.join(t.mailDir, `receipt-${ids.ten}.eml`), 'utf8');
    expect(eml).toContain('Billed to: Acme Jobs GmbH');
    expect(eml).toContain('Tax id (eu_vat): DE123456789');
    const paidWithCredits = readFileSync(path.join(t.mailDir, `receipt-${ids.spends[0]}.eml`), 'utf8');
    expect(paidWithCredits).toContain('paid with 1 credit of Acme Jobs');
    expect(paidWithCredits).toContain(`Reference: #${ids.spends[0]}`);
    expect(paidWithCredits).toContain('Billed to: Acme Jobs GmbH');
  });
});

describe('reconcile checks the credits against the charges', () => {
  it('finds nothing when they agree, and reports a ledger row that was tampered with', async () => {
    const clean = await runReconcile();
    expect(clean.findings.filter((f) => f.action === 'reported')).toEqual([]);
    expect(clean.scanned.ledger_rows).toBeGreaterThan(0);
    // Someone edits a purchase's grant behind the ledger's back (the trigger that forbids it, off for a moment).
    await t.database.db.execute(sql`alter table credit_entries disable trigger credit_entries_no_update_or_delete`);
    await t.database.db.execute(sql`update credit_entries set change = 12 where charge_id = ${ids.ten} and reason = 'purchase'`);
    await t.database.db.execute(sql`alter table credit_entries enable trigger credit_entries_no_update_or_delete`);
    const report = await runReconcile();
    const ledger = report.findings.filter((f) => f.kind === 'ledger_mismatch');
    expect(ledger).toEqual([
      expect.objectContaining({ direction: 'ledgers', charge_id: ids.ten, action: 'reported', detail: 'purchase entries grant 12 credits for a paid purchase of 10' }),
      expect.objectContaining({ direction: 'ledgers', action: 'reported', detail: expect.stringMatching(/balance of 11, its entries sum to 13/) }),
    ]);
    expect(report.reported).toBe(2);
    const console = (await page(boss, '/admin/reconcile')).body;
    expect(console).toContain('Ledgers → our charges');
    expect(console).toContain('purchase entries grant 12 credits');
  });
});
