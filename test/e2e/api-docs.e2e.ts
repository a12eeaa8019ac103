import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { launchBrowser, screenshot } from './harness.js';

/**
 * The API reference at /api/docs, reached from the footer, renders the document in Chromium under
 * our own CSP, with every request staying on our origin, and no serious or critical axe-core finding.
 */

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let browser: Browser;
let t: TestApp;
let base: string;

beforeAll(async () => {
  browser = await launchBrowser();
  t = await startTestApp();
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('the API reference page', () => {
  it('opens from the footer, lists every operation, loads nothing from elsewhere and passes axe-core', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const offOrigin: string[] = [];
    const refused: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin !== base && url.protocol !== 'data:') offOrigin.push(request.url());
    });
    page.on('console', (message) => {
      if (message.type() === 'error') refused.push(message.text());
    });
    await page.goto(`${base}/`);
    await Promise.all([page.waitForURL(`${base}/api/docs`), page.click('footer >> text=API reference')]);
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    const document = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as { paths: Record<string, object>; webhooks: Record<string, object> };
    // Every operation, and the webhook our server receives, each drawn once.
    const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
    const count = (items: Record<string, object>) => Object.values(items).reduce((n, item) => n + Object.keys(item).filter((key) => methods.includes(key)).length, 0);
    expect(count(document.webhooks)).toBeGreaterThan(0);
    expect(await page.locator('.opblock').count()).toBe(count(document.paths) + count(document.webhooks));
    await screenshot(page, 'api-docs');

    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(o: unknown): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
      const result = await axe.run({ resultTypes: ['violations'] });
      return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
    });
    expect(offOrigin).toEqual([]);
    expect(refused).toEqual([]);
    expect(violations).toEqual([]);
    await context.close();
  });
});
