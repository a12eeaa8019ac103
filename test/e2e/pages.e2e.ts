import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, grantJobs, json, type Member, member, settleWebhooks, startTestApp, type TestApp } from '../helpers/app.js';
import { launchBrowser, screenshot } from './harness.js';

/**
 * Every GET page of the route table, as anonymous, a member, a job poster and an admin, at a
 * phone's and a laptop's width: no sideways scrolling, and no serious or critical axe-core finding.
 * In hosted mode, the same for our checkout form with its "Pay on Stripe's checkout page" button and
 * for each state of the local Stripe's hosted checkout page and its 3-D Secure page.
 */

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WIDTHS = [375, 1280] as const;
type Role = 'anonymous' | 'member' | 'poster' | 'admin';

/** Not pages: files, JSON, machinery. */
const notPage = (url: string) => /^\/(api|assets|webhooks)\/|^\/(healthz|readyz|metrics)$|\.(pdf|csv|jsonl)$/.test(url);

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const baseOf = (t: TestApp) => `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;

/** A browser at `width`, logged in as `who` (anonymous without). */
async function contextFor(base: string, who: Member | undefined, width: number): Promise<BrowserContext> {
  // The page's CSP would refuse the injected axe-core script; the check needs it, the app does not.
  const context = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
  if (who) {
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.fill('input[name=email]', who.email);
    await page.fill('input[name=password]', who.password);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
    await page.close();
  }
  return context;
}

/** What is wrong with the page as shown now: sideways scrolling, serious or critical axe-core findings. */
async function pageProblems(page: Page, label: string): Promise<string[]> {
  const problems: string[] = [];
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 0) problems.push(`${label}: scrolls sideways by ${overflow}px`);
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o: unknown): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const result = await axe.run({ resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  for (const v of violations) problems.push(`${label}: ${v}`);
  await screenshot(page, `pages/${label.replace(/[^a-z0-9]+/gi, '_')}`);
  return problems;
}

describe('every page of the route table (Elements mode)', () => {
  let t: TestApp;
  let base: string;
  const people: Partial<Record<Role, Member>> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    base = baseOf(t);
    people.admin = await admin(t);
    people.member = await member(t.app);
    people.poster = await member(t.app);
    await grantJobs(t, people.admin, people.poster.id);
    // A pending request, so the admin's permission requests page shows its table.
    await t.app.inject({ method: 'POST', url: '/api/v1/me/permission-requests', headers: people.member.auth, payload: { note: 'We hire often and would like to post our openings here; a long note wraps on a phone.' } });
    const auth = people.poster.auth;
    const article = json(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/articles',
        headers: auth,
        payload: { title: 'Senior engineer, payments (remote, full time, a title long enough to wrap on a phone)', body_markdown: '# We are hiring\n\n```\nconst aVeryLongLineOfCodeThatMustScrollInsideItsOwnBoxRatherThanThePage = true;\n```\n', job_listing: true, published: true },
      }),
    ).article;
    ids.article = String(article.id);
    const paid = json(
      await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...auth, 'idempotency-key': 'pages-paid-1' }, payload: { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa', save_card: true } }),
    ).charge;
    ids.charge = String(paid.id);
    const declined = json(
      await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...auth, 'idempotency-key': 'pages-declined-1' }, payload: { product: 'billboard', payment_method: 'pm_card_chargeDeclined', headline: 'A declined ad', link_url: 'https://ads.example' } }),
    ).charge;
    ids.declinedCharge = String(declined.id);
    await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...auth, 'idempotency-key': 'pages-ad-1' }, payload: { product: 'billboard', payment_method: 'pm_card_visa', headline: 'An ad with a rather long headline', link_url: 'https://ads.example' } });
    await settleWebhooks(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The concrete URLs a route pattern is visited at; a pattern with no fixture fails the test. */
  function urlsFor(pattern: string): string[] {
    if (pattern === '/charges/new') return ['/charges/new?product=billboard', `/charges/new?product=job_listing&article_id=${ids.article}`];
    if (pattern === '/charges/:id') return [`/charges/${ids.charge}`, `/charges/${ids.declinedCharge}`];
    if (pattern === '/charges/:id/return') return []; // a redirect to /charges/:id, visited above
    if (pattern === '/charges/:id/cancel') return []; // a redirect to /charges/:id, visited above
    if (/^\/(admin\/finance\/)?charges\/:id$/.test(pattern)) return [pattern.replace(':id', ids.charge!)];
    if (/^\/articles\/:id(\/edit)?$/.test(pattern)) return [pattern.replace(':id', ids.article!)];
    // An unknown or used reset link: the page that says so.
    if (pattern === '/password-reset/:token') return ['/password-reset/not-a-real-token'];
    if (!pattern.includes(':')) return [pattern];
    throw new Error(`no fixture for ${pattern}: add one to test/e2e/pages.e2e.ts`);
  }

  it('every page fits a phone and a laptop and passes axe-core as every role', async () => {
    const patterns = [...new Set(t.app.routeTable.filter((r) => r.method === 'GET' && !notPage(r.url)).map((r) => r.url))];
    const urls = patterns.flatMap(urlsFor);
    expect(urls.length).toBeGreaterThan(15);
    const problems: string[] = [];
    let visited = 0;
    for (const role of ['anonymous', 'member', 'poster', 'admin'] as const) {
      for (const width of WIDTHS) {
        const context = await contextFor(base, people[role as Exclude<Role, 'anonymous'>], width);
        const page = await context.newPage();
        const seen = new Set<string>();
        for (const url of urls) {
          const response = await page.goto(`${base}${url}`);
          const landed = new URL(page.url()).pathname + new URL(page.url()).search;
          const status = response?.status() ?? 0;
          // Pages a role may not see redirect to the login page or show the same error page: check each once.
          const key = status === 403 || status === 404 ? `error-${status}` : landed;
          if (seen.has(key)) continue;
          seen.add(key);
          visited++;
          if (status >= 500) problems.push(`${role} ${width}px ${url}: HTTP ${status}`);
          problems.push(...(await pageProblems(page, `${role}-${width}${landed}`)));
        }
        await context.close();
      }
    }
    expect(visited).toBeGreaterThan(urls.length);
    expect(problems).toEqual([]);
  }, 600_000);
});

describe("hosted mode: our checkout form with Stripe's button, and Stripe's checkout page", () => {
  let t: TestApp;
  let base: string;
  let poster: Member;
  let articleId: number;

  beforeAll(async () => {
    t = await startTestApp({ checkoutMode: 'hosted' });
    base = baseOf(t);
    poster = await member(t.app);
    await grantJobs(t, await admin(t), poster.id);
    articleId = json(
      await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: poster.auth, payload: { title: 'Payments engineer, a title long enough to wrap on a phone', body_markdown: 'We are hiring.', job_listing: true, published: true } }),
    ).article.id;
    // A card saved on an earlier payment: both our form and Stripe's page list it.
    await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...poster.auth, 'idempotency-key': 'hosted-pages-saved-1' }, payload: { product: 'billboard', payment_method: 'pm_card_visa', save_card: true, headline: 'An earlier ad', link_url: 'https://ads.example' } });
    await settleWebhooks(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Types a card into Stripe's page (its form keeps what was typed after an error: cleared first). */
  async function typeCard(page: Page, number: string) {
    for (const [label, value] of [['Card number', number], ['Expiry (MM / YY)', '1234'], ['CVC', '123']] as const) {
      await page.getByLabel(label).fill('');
      await page.getByLabel(label).pressSequentially(value);
    }
  }

  it('the checkout form, its errors, and every state of the hosted page fit a phone and a laptop and pass axe-core', async () => {
    const problems: string[] = [];
    const visited: string[] = [];
    for (const width of WIDTHS) {
      const context = await contextFor(base, poster, width);
      const page = await context.newPage();
      const check = async (name: string) => {
        visited.push(`${width}-${name}`);
        problems.push(...(await pageProblems(page, `hosted-${width}-${name}`)));
      };

      for (const [name, url] of [
        ['billboard-form', '/charges/new?product=billboard'],
        ['listing-form', `/charges/new?product=job_listing&article_id=${articleId}`],
        ['editor-pay-box', `/articles/${articleId}/edit`],
      ] as const) {
        await page.goto(`${base}${url}`);
        await expect(page.locator('#pay-hosted').isVisible()).resolves.toBe(true);
        await check(name);
      }

      // A bad field sent with Stripe's button: our form again, the error beside the field.
      await page.goto(`${base}/charges/new?product=billboard`);
      await page.fill('input[name=headline]', 'An ad for the hosted page');
      await page.fill('input[name=link_url]', 'not a link');
      await Promise.all([page.waitForURL(`${base}/checkout_sessions`), page.click('#pay-hosted')]);
      await expect(page.locator('#error-link_url').textContent()).resolves.not.toBe('');
      await check('form-field-error');

      // Stripe's page for a session: the saved card and the card form.
      await page.fill('input[name=link_url]', 'https://ads.example');
      await Promise.all([page.waitForURL(/\/c\/pay\/cs_test_\w+$/), page.click('#pay-hosted')]);
      const sessionUrl = page.url();
      await expect(page.locator('button[data-saved-card]').count()).resolves.toBe(1);
      await check('stripe-page');

      await page.click('#pay');
      await expect(page.locator('#number-error').isVisible()).resolves.toBe(true);
      await check('stripe-page-incomplete');

      await typeCard(page, '4000000000000002');
      await page.click('#pay');
      await expect(page.locator('#payment-error').textContent()).resolves.toBe('Your card was declined.');
      await check('stripe-page-declined');

      await typeCard(page, '4000002760003184');
      await Promise.all([page.waitForURL(/\/authenticate\/pi_/), page.click('#pay')]);
      await check('stripe-3ds');
      await Promise.all([page.waitForURL(/\/c\/pay\/cs_test_\w+\?payment_intent=pi_/), page.click('#fail-auth')]);
      await expect(page.locator('#payment-error').textContent()).resolves.toContain('unable to authenticate');
      await check('stripe-page-3ds-failed');

      await t.app.payments.stripe.client.checkout.sessions.expire(sessionUrl.match(/cs_test_\w+$/)![0]);
      await page.goto(sessionUrl);
      await expect(page.locator('h1').textContent()).resolves.toBe('This checkout session has expired');
      await check('stripe-page-expired');
      await context.close();
    }
    expect(visited).toHaveLength(2 * 10);
    expect(problems).toEqual([]);
  }, 300_000);
});
