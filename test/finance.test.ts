import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { CHARGE_COLUMNS, csvCell, decimal } from '../src/finance/export.js';
import { ReceiptMailer } from '../src/payments/receipts.js';
import { Mailer } from '../src/mail/mailer.js';
import { Catalog, type Product } from '../src/payments/catalog.js';
import { billboardProduct } from '../src/products/billboard/product.js';
import { createStripeGateway } from '../src/payments/stripe.js';
import { adminViews } from '../src/products/index.js';
import { json, type Member, settleWebhooks, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';
import { financeSuite } from './helpers/finance.js';

// Totals, the admin console, exports, the audit log, receipts, pages and links to Stripe. Refunds
// from the console, and when Stripe cannot be reached, are in finance-refunds.test.ts.
const { s, get } = financeSuite();
let t: TestApp;
let boss: Member;
let buyer: Member;
let other: Member;
beforeAll(() => {
  ({ t, boss, buyer, other } = s);
});

describe('totals', () => {
  it('are exact to the cent per currency, with partial refunds, disputes and fees', async () => {
    const res = json(await get('/api/v1/admin/charges?from=2025-01-01&to=2025-01-31'));
    expect(res.total).toBe(7);
    expect(res.totals).toEqual([
      { currency: 'eur', count: 1, gross: 1999, refunded: 0, disputed: 0, fees: 88, net: 1911 },
      // gross 2500+2500+4900+2500; refunded 1000+4900; disputed 2500; fees 103+103+172+103
      { currency: 'usd', count: 6, gross: 12400, refunded: 5900, disputed: 2500, fees: 481, net: 3519 },
    ]);
    const filtered = json(await get(`/api/v1/admin/charges?from=2025-01-01&to=2025-01-31&user_id=${buyer.id}&status=partially_refunded`));
    expect(filtered.totals).toEqual([{ currency: 'usd', count: 1, gross: 2500, refunded: 1000, disputed: 0, fees: 103, net: 1397 }]);
  });

  it('summarises by product and by day', async () => {
    const byProduct = json(await get('/api/v1/admin/finance/summary?from=2025-01-01&to=2025-01-31&group=product')).summary;
    expect(byProduct).toEqual([
      { product: 'billboard', currency: 'eur', count: 1, gross: 1999, refunded: 0, disputed: 0, fees: 88, net: 1911 },
      { product: 'job_listing', currency: 'usd', count: 6, gross: 12400, refunded: 5900, disputed: 2500, fees: 481, net: 3519 },
    ]);
    const byDay = json(await get('/api/v1/admin/finance/summary?from=2025-01-01&to=2025-01-31&group=day')).summary;
    expect(byDay).toHaveLength(7);
    expect(byDay[1]).toEqual({ period: '2025-01-02', currency: 'usd', count: 1, gross: 2500, refunded: 1000, disputed: 0, fees: 103, net: 1397 });
    const byMonth = json(await get('/api/v1/admin/finance/summary?from=2025-01-01&to=2025-01-31&group=month')).summary;
    expect(byMonth.map((r: { period: string; currency: string; net: number }) => [r.period, r.currency, r.net])).toEqual([
      ['2025-01-01', 'eur', 1911],
      ['2025-01-01', 'usd', 3519],
    ]);
    expect((await get('/api/v1/admin/finance/summary?group=year')).statusCode).toBe(400);
  });

  it('stores the Stripe fee from the balance transaction when a real payment settles', async () => {
    const article = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: buyer.auth, payload: { title: 'Fee job', body_markdown: 'x', job_listing: true, published: true } })).article;
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: buyer.auth, payload: { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa' } });
    const [row] = await queryRows<{ stripe_fee: string | number }>(t.database.db, `select stripe_fee from charges where id = ${json(res).charge.id}`);
    expect(Number(row!.stripe_fee)).toBe(103); // round(2500 × 2.9%) + 30
  });
});

describe('the admin console', () => {
  it('shows its navigation on every page the navigation links to', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: boss.email, password: boss.password });
    const nav = (html: string) => html.match(/<nav class="admin-nav"[\s\S]*?<\/nav>/)?.[0];
    const links = [...nav((await browser.get('/admin/finance')).body)!.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThanOrEqual(9);
    // Every product's admin view is in the menu, as the core's pages are.
    expect(links).toEqual(expect.arrayContaining(adminViews.map((view) => `/admin/${view.name}`)));
    const without: string[] = [];
    for (const link of links) {
      const page = await browser.get(link);
      expect(page.statusCode, link).toBe(200);
      if (!nav(page.body)) without.push(link);
    }
    expect(without).toEqual([]);
  });
});

describe('exports', () => {
  it('escapes CSV cells and defuses spreadsheet formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell(null)).toBe('');
    expect(csvCell(42)).toBe('42');
    expect(decimal(2500)).toBe('25.00');
    expect(decimal(5)).toBe('0.05');
    expect(decimal(-1397)).toBe('-13.97');
  });

  it("streams charges as CSV with an accountant's columns", async () => {
    const article = json(
      await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: buyer.auth, payload: { title: '=Evil "quoted", title', body_markdown: 'x', job_listing: true, published: true } }),
    ).article;
    await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: buyer.auth, payload: { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa' } });
    const res = await get(`/api/v1/admin/finance/charges.csv?article_id=${article.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="charges.*\.csv"/);
    const lines = res.body.trim().split('\r\n');
    expect(lines[0]).toBe(CHARGE_COLUMNS.join(','));
    expect(lines[0]).toBe('date,charge_id,stripe_payment_intent,stripe_charge,buyer_id,buyer,buyer_email,product,article_id,article,gross,fee,refunded,net,currency,status');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`"'=Evil ""quoted"", title"`);
    expect(lines[1]).toMatch(/,25\.00,1\.03,0\.00,23\.97,USD,succeeded$/);
    const jsonl = await get(`/api/v1/admin/finance/charges.jsonl?article_id=${article.id}`);
    const record = JSON.parse(jsonl.body.trim());
    expect(record).toMatchObject({ gross: '25.00', fee: '1.03', net: '23.97', currency: 'USD', article: '=Evil "quoted", title' });
    const fixtures = await get('/api/v1/admin/finance/charges.csv?from=2025-01-01&to=2025-01-31');
    expect(fixtures.body.trim().split('\r\n')).toHaveLength(8);
    const refunds = await get('/api/v1/admin/finance/refunds.csv');
    expect(refunds.body.split('\r\n')[0]).toBe('date,refund_id,stripe_refund,charge_id,stripe_payment_intent,buyer_email,product,amount,currency,reason,status,requested_by');
  });

  it('keeps memory flat while streaming 200,000 rows', async () => {
    await t.database.db.execute(sql`
      insert into charges (user_id, product, amount, currency, status, stripe_fee, idempotency_key, paid_at, created_at, updated_at, receipt_sent_at)
      select ${other.id}, 'job_listing', 2500, 'usd', 'succeeded', 103, 'bulk-' || g, '2024-06-01T00:00:00Z', '2024-06-01T00:00:00Z', now(), now()
      from generate_series(1, 200000) g`);
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const baseline = process.memoryUsage().heapUsed;
    const port = (t.app.server.address() as AddressInfo).port;
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/admin/finance/charges.csv?from=2024-06-01&to=2024-06-01`, { headers: boss.auth });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let bytes = 0;
    let newlines = 0;
    let peak = 0;
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      newlines += decoder.decode(value, { stream: true }).split('\n').length - 1;
      if (++chunks % 50 === 0) {
        gc?.();
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
    }
    expect(newlines).toBe(200_001);
    expect(bytes).toBeGreaterThan(20_000_000);
    // The whole export is ~30 MB of text (~60 MB as JS strings); streaming holds a batch at a time.
    expect(peak).toBeLessThan(20 * 1024 * 1024);
  }, 120_000);
});

describe('audit log, receipts, pages', () => {
  it('is append-only', async () => {
    const refused = async (query: ReturnType<typeof sql>) => {
      const error = await t.database.db.execute(query).then(
        () => null,
        (e: Error & { cause?: Error }) => e,
      );
      return String(error?.cause?.message ?? error?.message);
    };
    expect(await refused(sql`update audit_log set action = 'tampered'`)).toMatch(/append-only/);
    expect(await refused(sql`delete from audit_log`)).toMatch(/append-only/);
    const entries = json(await get('/api/v1/admin/audit?action=permission.granted')).entries;
    expect(entries[0]).toMatchObject({ actor: `user:${boss.id}`, subjectType: 'user', subjectId: String(buyer.id), before: { can_post_jobs: false }, after: { can_post_jobs: true } });
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: boss.email, password: boss.password });
    expect((await browser.get('/admin/audit')).body).toContain('permission.granted');
  });

  it('offers a PDF receipt to the buyer only, and e-mails one .eml per succeeded charge', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: other.auth, payload: { product: 'billboard', payment_method: 'pm_card_visa', headline: 'Receipt test', link_url: 'https://r.example' } });
    const id = json(res).charge.id;
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: other.email, password: other.password });
    const pdf = await browser.get(`/charges/${id}/receipt.pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const stranger = new FormClient(t.app);
    await stranger.submit('/login', '/login', { email: buyer.email, password: buyer.password });
    expect((await stranger.get(`/charges/${id}/receipt.pdf`)).statusCode).toBe(404);
    await t.app.payments.mailer!.sendDue(t.clock.now());
    const files = readdirSync(t.mailDir);
    expect(files).toContain(`receipt-${id}.eml`);
    const eml = readFileSync(path.join(t.mailDir, `receipt-${id}.eml`), 'utf8');
    expect(eml).toContain(`To: ${other.email}`);
    expect(eml).toMatch(/^Subject: /m);
    expect(eml).toContain(`/charges/${id}`);
    expect(new Set(files).size).toBe(files.length);
  });

  it('puts receipts back in the queue when composing them fails, and sends each once afterwards', async () => {
    await t.app.payments.mailer!.sendDue(t.clock.now());
    const ids: number[] = [];
    for (const headline of ['Receipt retry 1', 'Receipt retry 2']) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: other.auth, payload: { product: 'billboard', payment_method: 'pm_card_visa', headline, link_url: 'https://r.example' } });
      ids.push(json(res).charge.id);
    }
    // Quiet the app's own mailer (webhooks kick it too) before the claims are reset for ours.
    await settleWebhooks(t);
    await t.app.payments.mailer!.flush(t.clock.now());
    await queryRows(t.database.db, `update charges set receipt_sent_at = null where id in (${ids.join(',')})`);
    let calls = 0;
    const flaky: Product = {
      ...billboardProduct,
      receiptLines: async (_db, batch) => (++calls === 1 ? Promise.reject(new Error('database went away')) : batch.map(() => ['Billboard: retried'])),
    };
    // A directory that does not exist yet: the first receipt makes it.
    const dir = path.join(t.mailDir, 'retry', 'nested');
    const mailer = new ReceiptMailer(t.database.db, new Catalog([flaky]), new Mailer({ dir }));
    await expect(mailer.sendDue(t.clock.now())).rejects.toThrow('database went away');
    const pending = async () => (await queryRows<{ id: number }>(t.database.db, `select id from charges where id in (${ids.join(',')}) and receipt_sent_at is null order by id`)).map((r) => r.id);
    expect(await pending()).toEqual(ids);
    await mailer.sendDue(t.clock.now());
    expect(await pending()).toEqual([]);
    expect(calls).toBe(2); // one read for the whole batch
    for (const id of ids) expect(readFileSync(path.join(dir, `receipt-${id}.eml`), 'utf8')).toContain('Billboard: retried');
  });

  it('renders the ledger with totals and server-side SVG charts', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: boss.email, password: boss.password });
    const page = await browser.get('/admin/finance?from=2025-01-01&to=2025-01-31&sort=amount&dir=asc');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-total="net"><strong>35.19</strong>');
    expect(page.body).toMatch(/<svg[^>]*class="marks"/);
    expect(page.body).toContain('Revenue per day');
    expect(page.body).toContain('Buyers per day');
    expect((await browser.get('/admin/finance?status=bogus')).statusCode).toBe(400);
  });

  it('refuses every admin route to members (403) and to anonymous callers (401 or the login page)', async () => {
    const adminRoutes = t.app.routeTable.filter((r) => r.url.startsWith('/admin') || r.url.startsWith('/api/v1/admin'));
    expect(adminRoutes.length).toBeGreaterThan(20);
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: buyer.email, password: buyer.password });
    for (const route of adminRoutes) {
      const url = route.url.replace(':id', route.url.includes('webhooks') ? 'evt_x' : '1');
      const api = url.startsWith('/api/');
      const asMember = api
        ? await t.app.inject({ method: route.method as 'GET', url, headers: buyer.auth, payload: route.method === 'GET' ? undefined : {} })
        : route.method === 'GET'
          ? await browser.get(url)
          : await browser.submit('/dashboard', url, {});
      expect(asMember.statusCode, `${route.method} ${url}`).toBe(403);
      const anonymous = await t.app.inject({ method: route.method as 'GET', url, payload: route.method === 'GET' ? undefined : {} });
      expect([401, 302, 403], `${route.method} ${url}`).toContain(anonymous.statusCode);
      if (anonymous.statusCode === 302) expect(anonymous.headers.location).toMatch(/^\/login/);
    }
  });
});

describe('links to Stripe objects', () => {
  it("go to the local Stripe's own object page when the app talks to one", async () => {
    const paid = json(
      await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: buyer.auth, payload: { product: 'billboard', payment_method: 'pm_card_visa', headline: 'Linked', link_url: 'https://l.example' } }),
    ).charge;
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: boss.email, password: boss.password });
    const page = (await browser.get(`/admin/finance/charges/${paid.id}`)).body;
    const [, href] = page.match(/<a href="([^"]+)" rel="noreferrer" data-stripe-object="pi_/) ?? [];
    const [row] = await queryRows<{ key: string }>(t.database.db, `select stripe_charge_key as key from charges where id = ${paid.id}`);
    expect(href).toBe(`${t.stripe.url}/objects/${row!.key}`);
    expect(page).not.toContain('dashboard.stripe.com');
    const object = await fetch(href!);
    expect(object.status).toBe(200);
    expect(await object.text()).toContain('&quot;object&quot;: &quot;payment_intent&quot;');
  });

  it('go to the Stripe Dashboard, test or live by the key, only when the app talks to Stripe itself', () => {
    const test = createStripeGateway({ secretKey: 'sk_test_x', publishableKey: 'pk_test_x' });
    expect(test.objectUrl('pi_123')).toBe('https://dashboard.stripe.com/test/payments/pi_123');
    expect(test.objectUrl('re_123')).toBe('https://dashboard.stripe.com/test/refunds/re_123');
    expect(test.objectUrl('xx_123')).toBe('https://dashboard.stripe.com/test/search?query=xx_123');
    const live = createStripeGateway({ secretKey: 'rk_live_x', publishableKey: 'pk_live_x' });
    expect(live.objectUrl('dp_1')).toBe('https://dashboard.stripe.com/disputes/dp_1');
    const local = createStripeGateway({ secretKey: 'sk_test_x', publishableKey: 'pk_test_x', apiUrl: 'http://127.0.0.1:12111' });
    expect(local.objectUrl('pi_123')).toBe('http://127.0.0.1:12111/objects/pi_123');
  });
});
