import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { creditBalance } from '../src/credits/ledger.js';
import { queryRows } from '../src/db/client.js';
import { admin, grantJobs, json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { csrfFrom, FormClient } from './helpers/browser-form.js';

let t: TestApp;
let ada: Member;
let bob: Member;
let eve: Member;
let orgId: number;
const browsers: Record<string, FormClient> = {};

beforeAll(async () => {
  t = await startTestApp();
  [ada, bob, eve] = [await member(t.app, 'cpada'), await member(t.app, 'cpbob'), await member(t.app, 'cpeve')];
  for (const m of [ada, bob, eve]) {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: m.email, password: m.password });
    browsers[m.username] = browser;
  }
  const org = (who: Member, path: string, payload: object) => t.app.inject({ method: 'POST', url: `/api/v1/organizations${path}`, headers: who.auth, payload });
  orgId = json(await org(ada, '', { name: 'Page Co', slug: 'page-co' })).organization.id;
  expect((await org(ada, '/page-co/members', { username: bob.username, role: 'member' })).statusCode).toBe(201);
  expect((await org(eve, '', { name: 'Other Co', slug: 'other-co' })).statusCode).toBe(201);
  const boss = await admin(t);
  expect((await t.app.inject({ method: 'POST', url: '/api/v1/admin/organizations/page-co/permissions', headers: boss.auth, payload: { can_post_jobs: true } })).statusCode).toBe(200);
  await grantJobs(t, boss, ada.id);
});
afterAll(() => t.close());

const count = async (sql: string) => (await queryRows<{ n: number }>(t.database.db, `select count(*)::int as n from ${sql}`))[0]!.n;

/** The checkout page's form posted as a browser without JavaScript posts it: its hidden fields, the radio checked, and the button pressed. */
async function pressOnCheckout(browser: FormClient, page: string, button: { name: string; value: string }) {
  const html = (await browser.get(page)).body;
  const key = html.match(/name="idempotency_key" value="([^"]+)"/)![1]!;
  const hidden = Object.fromEntries([...html.matchAll(/<input type="hidden" name="(product|article_id)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
  const payload = new URLSearchParams({ _csrf: csrfFrom(html), idempotency_key: key, ...hidden, payment_method: 'new', [button.name]: button.value }).toString();
  return t.app.inject({ method: 'POST', url: '/charges', headers: { cookie: browser.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' }, payload });
}

describe('the credits pages', () => {
  it("shows the member's balance, ledger and organizations, and is linked from billing and the organization's page", async () => {
    const page = await browsers.cpada!.get('/credits');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Your credits');
    expect(page.body).toContain('data-balance="0"');
    expect(page.body).toContain('Nothing yet: credits bought or spent appear here.');
    expect(page.body).toContain('href="/organizations/page-co/credits"');
    // Ada is an admin of Page Co: the buy form offers it.
    expect(page.body).toMatch(/<option value="page-co"[^>]*>Page Co<\/option>/);
    expect((await browsers.cpada!.get('/settings/billing')).body).toMatch(/id="credits"[\s\S]*href="\/credits"/);
    expect((await browsers.cpada!.get('/organizations/page-co')).body).toContain('href="/organizations/page-co/credits"');
  });

  it('shows the graduated quote before paying, and continues to the checkout with the quantity priced', async () => {
    const quoted = await browsers.cpada!.get('/credits?quantity=10&organization=page-co');
    expect(quoted.statusCode).toBe(200);
    expect(quoted.body).toContain('Page Co: credits');
    const lines = [...quoted.body.matchAll(/<tr data-quote-line="true"><td>(\d+) × (\$[\d.,]+)<\/td><td>(\$[\d.,]+)<\/td><\/tr>/g)].map((m) => `${m[1]} × ${m[2]} = ${m[3]}`);
    expect(lines).toEqual(['4 × $25.00 = $100.00', '5 × $22.50 = $112.50', '1 × $20.00 = $20.00']);
    expect(quoted.body).toContain('<th data-total="true">$232.50</th>');
    expect(quoted.body).toContain('value="10"');
    expect(quoted.body).toMatch(/<form method="get" action="\/charges\/new"[\s\S]*name="product" value="credit_pack"[\s\S]*name="quantity" value="10"[\s\S]*name="organization" value="page-co"/);

    const checkout = await browsers.cpada!.get('/charges/new?product=credit_pack&quantity=10&organization=page-co');
    expect(checkout.statusCode).toBe(200);
    expect(checkout.body).toContain('data-amount="23250"');
    expect(checkout.body).toContain('Pay $232.50');
    expect(checkout.body).toMatch(/<input type="text" inputMode="text" value="10" id="field-quantity"|id="field-quantity"[^>]*value="10"/i);
    // The checkout's fields are the product's: only an organization's admins may fill in its name.
    expect((await browsers.cpbob!.get('/charges/new?product=credit_pack&quantity=10&organization=page-co')).statusCode).toBe(403);
  });

  it('shows a bad quantity beside its field, keeping what was typed, and no quote', async () => {
    for (const typed of ['0', '1001', 'abc']) {
      const page = await browsers.cpada!.get(`/credits?quantity=${typed}`);
      expect(page.statusCode, typed).toBe(422);
      expect(page.body).toContain(`value="${typed}"`);
      expect(page.body).toMatch(/aria-invalid="true" aria-describedby="quantity-error"\/?><span class="field-error" id="quantity-error">A whole number of credits from 1 to 1000\./);
      expect(page.body).not.toContain('data-quote=');
      expect(page.body).not.toContain('Continue to payment');
    }
  });

  it("shows an organization's credits to its members only: 404 for anyone else, no buy form for a member who is not an admin", async () => {
    await t.app.inject({ method: 'POST', url: '/api/v1/credits/purchases', headers: ada.auth, payload: { quantity: 3, organization: 'page-co', payment_method: 'pm_card_visa' } });
    const asBob = await browsers.cpbob!.get('/organizations/page-co/credits');
    expect(asBob.statusCode).toBe(200);
    expect(asBob.body).toContain('data-balance="3"');
    expect(asBob.body).toMatch(/data-reason="purchase" data-change="3"[\s\S]*\+3[\s\S]*Bought[\s\S]*#\d+[\s\S]*cpada/);
    // The purchase is Ada's: Bob sees its number, not a link to her receipt.
    expect(asBob.body).not.toMatch(/<a href="\/charges\/\d+">/);
    expect(asBob.body).toContain("Only Page Co's admins buy credits for it.");
    expect(asBob.body).not.toContain('See the price');
    const quotedForBob = await browsers.cpbob!.get('/organizations/page-co/credits?quantity=abc');
    expect([quotedForBob.statusCode, quotedForBob.body.includes('quantity-error')]).toEqual([200, false]);
    expect((await browsers.cpada!.get('/credits?organization=page-co')).body).toMatch(/<a href="\/charges\/\d+">#\d+<\/a>/);
    for (const url of ['/organizations/page-co/credits', '/credits?organization=page-co', '/organizations/no-such-co/credits']) {
      const res = await browsers.cpeve!.get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('data-balance');
    }
    expect((await t.app.inject({ method: "GET", url: "/credits" })).headers.location).toMatch(/^\/login/);
  });
});

describe('paying with credits on the checkout page', () => {
  it("offers the buyer's balance and the listing's organization's, and pays with the organization's without a card", async () => {
    const listing = json(
      await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: bob.auth, payload: { title: 'Paid from the page', body_markdown: 'x', job_listing: true, published: true, organization: 'page-co' } }),
    ).article.id as number;
    const page = `/charges/new?product=job_listing&article_id=${listing}`;
    const html = (await browsers.cpbob!.get(page)).body;
    expect(html).toContain('Pay with 1 credit (your balance 0)');
    expect(html).toContain('Pay with 1 credit of Page Co (its balance 3)');
    expect(html).toContain('name="pay_by" value="pay_with=credits&amp;organization=page-co"');
    // The editor's pay box offers the same.
    expect((await browsers.cpbob!.get(`/articles/${listing}/edit`)).body).toContain('Pay with 1 credit of Page Co (its balance 3)');
    const intents = t.stripe.emulator.paymentIntents.size;

    const paid = await pressOnCheckout(browsers.cpbob!, page, { name: 'pay_by', value: 'pay_with=credits&organization=page-co' });
    expect(paid.statusCode).toBe(303);
    const receipt = await browsers.cpbob!.get(paid.headers.location as string);
    expect(receipt.body).toContain('Thank you: your payment went through.');
    expect(t.stripe.emulator.paymentIntents.size).toBe(intents);
    expect(await creditBalance(t.database.db, { organizationId: orgId })).toBe(2);
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/jobs' })).jobs.find((j: { id: number }) => j.id === listing)).toMatchObject({ paid: true, organization: { slug: 'page-co' } });
    const ledger = (await browsers.cpada!.get('/organizations/page-co/credits')).body;
    expect(ledger).toMatch(/data-reason="spend" data-change="-1"[\s\S]*−1[\s\S]*Spent[\s\S]*cpbob/);
  });

  it("says why on the same form when the balance is short, and takes nothing", async () => {
    const listing = json(
      await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: ada.auth, payload: { title: 'Short of credits', body_markdown: 'x', job_listing: true, published: true } }),
    ).article.id as number;
    const page = `/charges/new?product=job_listing&article_id=${listing}`;
    const before = await count(`charges where user_id = ${ada.id}`);
    const short = await pressOnCheckout(browsers.cpada!, page, { name: 'pay_by', value: 'pay_with=credits' });
    expect(short.statusCode).toBe(402);
    expect(short.body).toContain('This costs 1 credit; the balance is 0. Buy credits or pay by card.');
    expect(short.body).toContain('Pay with 1 credit (your balance 0)');
    expect(await count(`charges where user_id = ${ada.id} and status = 'failed'`)).toBeGreaterThan(0);
    expect(await count(`charges where user_id = ${ada.id}`)).toBe(before + 1);
    expect(await creditBalance(t.database.db, { userId: ada.id })).toBe(0);
    // A product with no price in credits is offered none.
    const packPage = await browsers.cpada!.get('/charges/new?product=credit_pack');
    expect(packPage.statusCode).toBe(200);
    expect(packPage.body).not.toContain('name="pay_by"');
  });
});
