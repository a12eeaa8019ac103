import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { admin, grantJobs, json, type Member, member, settleWebhooks, startTestApp, type TestApp } from '../helpers/app.js';
import { launchBrowser, screenshot } from './harness.js';

/**
 * Every GET page of the route table, as anonymous, a member, a job poster and an admin, at a
 * phone's and a laptop's width: no sideways scrolling, and no serious or critical axe-core finding.
 */

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WIDTHS = [375, 1280] as const;
type Role = 'anonymous' | 'member' | 'poster' | 'admin';

/** Not pages: files, JSON, machinery. */
const notPage = (url: string) => /^\/(api|assets|webhooks)\/|^\/(healthz|readyz|metrics)$|\.(pdf|csv|jsonl)$/.test(url);

let t: TestApp;
let base: string;
let browser: Browser;
const people: Partial<Record<Role, Member>> = {};
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApp();
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
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
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** The concrete URLs a route pattern is visited at; a pattern with no fixture fails the test. */
function urlsFor(pattern: string): string[] {
  if (pattern === '/charges/new') return ['/charges/new?product=billboard', `/charges/new?product=job_listing&article_id=${ids.article}`];
  if (pattern === '/charges/:id') return [`/charges/${ids.charge}`, `/charges/${ids.declinedCharge}`];
  if (pattern === '/charges/:id/return') return []; // a redirect to /charges/:id, visited above
  if (/^\/(admin\/finance\/)?charges\/:id$/.test(pattern)) return [pattern.replace(':id', ids.charge!)];
  if (/^\/articles\/:id(\/edit)?$/.test(pattern)) return [pattern.replace(':id', ids.article!)];
  // An unknown or used reset link: the page that says so.
  if (pattern === '/password-reset/:token') return ['/password-reset/not-a-real-token'];
  if (!pattern.includes(':')) return [pattern];
  throw new Error(`no fixture for ${pattern}: add one to test/e2e/pages.e2e.ts`);
}

async function contextFor(role: Role, width: number): Promise<BrowserContext> {
  // The page's CSP would refuse the injected axe-core script; the check needs it, the app does not.
  const context = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
  const who = people[role as Exclude<Role, 'anonymous'>];
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

it('every page fits a phone and a laptop and passes axe-core as every role', async () => {
  const patterns = [...new Set(t.app.routeTable.filter((r) => r.method === 'GET' && !notPage(r.url)).map((r) => r.url))];
  const urls = patterns.flatMap(urlsFor);
  expect(urls.length).toBeGreaterThan(15);
  const problems: string[] = [];
  let visited = 0;
  for (const role of ['anonymous', 'member', 'poster', 'admin'] as const) {
    for (const width of WIDTHS) {
      const context = await contextFor(role, width);
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
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        if (overflow > 0) problems.push(`${role} ${width}px ${url}: scrolls sideways by ${overflow}px`);
        await page.evaluate(axeSource);
        const violations = await page.evaluate(async () => {
          const axe = (window as unknown as { axe: { run(o: unknown): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
          const result = await axe.run({ resultTypes: ['violations'] });
          return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
        });
        for (const v of violations) problems.push(`${role} ${width}px ${url}: ${v}`);
        await screenshot(page, `pages/${role}-${width}${landed.replace(/[^a-z0-9]+/gi, '_')}`);
      }
      await context.close();
    }
  }
  expect(visited).toBeGreaterThan(urls.length);
  expect(problems).toEqual([]);
}, 600_000);
