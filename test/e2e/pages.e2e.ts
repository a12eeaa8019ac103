import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, grantJobs, json, type Member, member, settleWebhooks, startTestApp, type TestApp } from '../helpers/app.js';
import { launchBrowser, screenshot } from './harness.js';

/**
 * Every GET page of the route table, as anonymous, a member, a job poster and an admin, at a
 * phone's, a tablet's and a laptop's width: no sideways scrolling, no box covering another, and no
 * serious or critical axe-core finding (at the phone's and the laptop's).
 * In hosted mode, the same for our checkout form with its "Pay on Stripe's checkout page" button and
 * for each state of the local Stripe's hosted checkout page and its 3-D Secure page.
 */

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WIDTHS = [375, 768, 1280] as const;
/** axe-core's findings do not depend on the width in between: the tablet's is checked for layout only. */
const AXE_WIDTHS: readonly number[] = [375, 1280];
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

/**
 * Boxes that cover one another: every visible element laid out as a box (cards, sidebar boxes,
 * headings, buttons, inputs, table cells...; not inline text, not rows or SVG parts) against every
 * other one that is neither its ancestor nor its descendant. A box is first cut to what the boxes
 * that clip it (overflow other than visible) let show: a wide table scrolling in its own box covers nothing.
 */
async function overlaps(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const notBoxes = new Set(['inline', 'contents', 'table-row', 'table-row-group', 'table-header-group', 'table-footer-group', 'table-column', 'table-column-group']);
    type Box = { el: Element; left: number; top: number; right: number; bottom: number };
    const boxes: Box[] = [];
    const visit = (el: Element, clip: Omit<Box, 'el'>) => {
      const style = getComputedStyle(el);
      if (style.display === 'none') return;
      const r = el.getBoundingClientRect();
      const box = { el, left: Math.max(r.left, clip.left), top: Math.max(r.top, clip.top), right: Math.min(r.right, clip.right), bottom: Math.min(r.bottom, clip.bottom) };
      if (!notBoxes.has(style.display) && style.visibility === 'visible' && box.right - box.left >= 2 && box.bottom - box.top >= 2) boxes.push(box);
      // A select's options and an SVG's shapes are drawn by their own element.
      if (el.tagName === 'SELECT' || el.tagName === 'svg') return;
      const clips = style.overflowX !== 'visible' || style.overflowY !== 'visible';
      for (const child of el.children) visit(child, clips ? box : clip);
    };
    visit(document.body, { left: -Infinity, top: -Infinity, right: Infinity, bottom: Infinity });
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()}${[...el.classList].map((c) => `.${c}`).join('')} "${(el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 30)}"`;
    // Sorted by top, each box meets only those that start above its bottom; a pixel's overlap is a shared border.
    boxes.sort((a, b) => a.top - b.top);
    const found: string[] = [];
    for (let i = 0; i < boxes.length; i++) {
      const a = boxes[i]!;
      for (let j = i + 1; j < boxes.length && boxes[j]!.top < a.bottom - 1; j++) {
        const b = boxes[j]!;
        const width = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const height = Math.min(a.bottom, b.bottom) - b.top;
        if (width > 1 && height > 1 && !a.el.contains(b.el) && !b.el.contains(a.el)) found.push(`${name(a.el)} and ${name(b.el)} overlap by ${Math.round(width)}x${Math.round(height)}px`);
      }
    }
    return found;
  });
}

/** What is wrong with the page as shown now: sideways scrolling, boxes covering one another, serious or critical axe-core findings. */
async function pageProblems(page: Page, label: string, width: number): Promise<string[]> {
  const problems: string[] = [];
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 0) problems.push(`${label}: scrolls sideways by ${overflow}px`);
  for (const overlap of (await overlaps(page)).slice(0, 5)) problems.push(`${label}: ${overlap}`);
  await screenshot(page, `pages/${label.replace(/[^a-z0-9]+/gi, '_')}`);
  if (!AXE_WIDTHS.includes(width)) return problems;
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o: unknown): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const result = await axe.run({ resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  for (const v of violations) problems.push(`${label}: ${v}`);
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
    // Beside the paid listing, the dashboard lists an unpaid listing (Pay) and a draft (Publish).
    for (const payload of [
      { title: 'Unpaid listing', body_markdown: 'We are hiring.', job_listing: true, published: true },
      { title: 'A draft', body_markdown: 'Not yet.', published: false },
    ]) {
      await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: auth, payload });
    }
    const paid = json(
      await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...auth, 'idempotency-key': 'pages-paid-1' }, payload: { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa', save_card: true } }),
    ).charge;
    ids.charge = String(paid.id);
    const declined = json(
      await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...auth, 'idempotency-key': 'pages-declined-1' }, payload: { product: 'billboard', payment_method: 'pm_card_chargeDeclined', headline: 'A declined ad', link_url: 'https://ads.example' } }),
    ).charge;
    ids.declinedCharge = String(declined.id);
    // Two live billboards: the home page's sidebar then holds two boxes beside the articles. Both
    // renew by themselves, the second stopped: the billing page lists them with both buttons.
    for (const [key, headline] of [['pages-ad-1', 'An ad with a rather long headline'], ['pages-ad-2', 'A second ad']] as const) {
      await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...auth, 'idempotency-key': key }, payload: { product: 'billboard', payment_method: 'pm_card_visa', headline, link_url: 'https://ads.example', auto_renew: true } });
    }
    const stopped = json(await t.app.inject({ method: 'GET', url: '/api/v1/renewals', headers: auth })).renewals.find((r: { title: string }) => r.title === 'A second ad');
    await t.app.inject({ method: 'POST', url: `/api/v1/renewals/billboard/${stopped.subject_id}/auto-renew`, headers: auth, payload: { enabled: false } });
    // An organization the poster runs, with billing details, the member in it: its page as an admin and as a member.
    const org = (path: string, method: 'POST' | 'PATCH', payload: object) => t.app.inject({ method, url: `/api/v1/organizations${path}`, headers: auth, payload });
    await org('', 'POST', { name: 'Pages & Partners, a name long enough to wrap on a phone', slug: 'pages-co' });
    await org('/pages-co/members', 'POST', { username: people.member.username, role: 'member' });
    await org('/pages-co', 'PATCH', { legal_name: 'Pages & Partners GmbH', address: { line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE' } });
    // Its credits: a purchase by card and an admin's grant with a note, so its ledger has rows of both kinds.
    await t.app.inject({ method: 'POST', url: '/api/v1/credits/purchases', headers: { ...auth, 'idempotency-key': 'pages-credits-1' }, payload: { quantity: 10, organization: 'pages-co', payment_method: 'pm_card_visa' } });
    await t.app.inject({ method: 'POST', url: '/api/v1/admin/credits', headers: people.admin.auth, payload: { organization: 'pages-co', change: 2, note: 'Goodwill for a listing that showed late: a note long enough to wrap on a phone.' } });
    await settleWebhooks(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The concrete URLs a route pattern is visited at; a pattern with no fixture fails the test. */
  function urlsFor(pattern: string): string[] {
    if (pattern === '/charges/new') return ['/charges/new?product=billboard', `/charges/new?product=job_listing&article_id=${ids.article}`, '/charges/new?product=credit_pack&quantity=10'];
    if (pattern === '/charges/:id') return [`/charges/${ids.charge}`, `/charges/${ids.declinedCharge}`];
    if (pattern === '/charges/:id/return') return []; // a redirect to /charges/:id, visited above
    if (pattern === '/charges/:id/cancel') return []; // a redirect to /charges/:id, visited above
    if (/^\/(admin\/finance\/)?charges\/:id$/.test(pattern)) return [pattern.replace(':id', ids.charge!)];
    if (/^\/articles\/:id(\/edit)?$/.test(pattern)) return [pattern.replace(':id', ids.article!)];
    if (pattern === '/organizations/:slug') return ['/organizations/pages-co'];
    if (pattern === '/organizations/:slug/credits') return ['/organizations/pages-co/credits'];
    // Its buy form with a quote, and with a quantity refused beside its field.
    if (pattern === '/credits') return ['/credits', '/credits?quantity=10', '/credits?quantity=abc'];
    // An unknown or used reset link: the page that says so.
    if (pattern === '/password-reset/:token') return ['/password-reset/not-a-real-token'];
    if (!pattern.includes(':')) return [pattern];
    throw new Error(`no fixture for ${pattern}: add one to test/e2e/pages.e2e.ts`);
  }

  it('every page fits a phone, a tablet and a laptop with no box over another, and passes axe-core, as every role', async () => {
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
          problems.push(...(await pageProblems(page, `${role}-${width}${landed}`, width)));
        }
        await context.close();
      }
    }
    expect(visited).toBeGreaterThan(urls.length);
    expect(problems).toEqual([]);
  }, 900_000);

  it("a phone reaches every action of the dashboard (Edit, Publish, Pay, Extend) without scrolling sideways", async () => {
    const context = await contextFor(base, people.poster, 375);
    const page = await context.newPage();
    await page.goto(`${base}/dashboard`);
    // Each link and button of the articles' list, brought into view by scrolling the page down only:
    // reachable when it lies inside the screen's width and nothing clips or covers its middle.
    const actions = await page.evaluate(() =>
      [...document.querySelectorAll('main table :is(a, button)')].map((el) => {
        window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - window.innerHeight / 2);
        const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return { text: (el.textContent ?? '').trim(), reachable: r.left >= 0 && r.right <= window.innerWidth && hit !== null && el.contains(hit) };
      }),
    );
    await screenshot(page, 'dashboard-375');
    await context.close();
    const texts = actions.map((a) => a.text);
    expect(texts.filter((t) => t === 'Edit')).toHaveLength(3);
    expect(texts).toEqual(expect.arrayContaining(['Publish', 'Unpublish', 'Pay to list on /jobs', 'Extend a week']));
    expect(actions.filter((a) => !a.reachable).map((a) => a.text)).toEqual([]);
  });

  it('the admin ledger fits its column at 1280 px, each date on one line', async () => {
    const context = await contextFor(base, people.admin, 1280);
    const page = await context.newPage();
    await page.goto(`${base}/admin/finance`);
    const ledger = await page.evaluate(() => {
      const table = document.querySelector('table.ledger')!;
      // The second column is the date: the lines its text takes, counted by their tops.
      const dateLines = [...table.querySelectorAll('tbody td:nth-child(2)')].map((td) => {
        const range = document.createRange();
        range.selectNodeContents(td);
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
      });
      return { table: table.getBoundingClientRect().width, column: table.parentElement!.clientWidth, dateLines };
    });
    await screenshot(page, 'ledger-1280');
    await context.close();
    expect(ledger.dateLines.length).toBeGreaterThanOrEqual(4);
    const fit = ledger.table <= ledger.column ? 'fits' : `${ledger.table}px table in a ${ledger.column}px column`;
    expect({ fit, dateLines: ledger.dateLines }).toEqual({ fit: 'fits', dateLines: ledger.dateLines.map(() => 1) });
  });
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

  it('the checkout form, its errors, and every state of the hosted page fit a phone, a tablet and a laptop and pass axe-core', async () => {
    const problems: string[] = [];
    const visited: string[] = [];
    for (const width of WIDTHS) {
      const context = await contextFor(base, poster, width);
      const page = await context.newPage();
      const check = async (name: string) => {
        visited.push(`${width}-${name}`);
        problems.push(...(await pageProblems(page, `hosted-${width}-${name}`, width)));
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
    expect(visited).toHaveLength(WIDTHS.length * 10);
    expect(problems).toEqual([]);
  }, 300_000);
});
