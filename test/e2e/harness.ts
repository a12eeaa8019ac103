import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { freePort } from '../../bench/lib.js';

export const ADMIN = { email: 'admin@e2e.test', password: 'admin e2e password' };


export interface RunningServer {
  url: string;
  /** The server's DATA_DIR (the embedded local Stripe keeps its keys there). */
  dataDir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the app the way `npm start` does (embedded database, local Stripe), in a fresh data dir; `env` adds settings. */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'devboard-e2e-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DEMO_DATA: '0',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      STRIPE_SECRET_KEY: '',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    dataDir,
    process: child,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? execSync('which chromium || which chromium-browser').toString().trim().split('\n')[0]!;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export const screenshotDir = path.resolve('test-results');
export async function screenshot(page: Page, name: string) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

export async function signUp(page: Page, base: string, username: string) {
  await page.goto(`${base}/signup`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=email]', `${username}@e2e.test`);
  await page.fill('input[name=password]', 'e2e password 123');
  await Promise.all([page.waitForURL(`${base}/dashboard`), page.click('button[type=submit]')]);
}

export async function logIn(page: Page, base: string, email: string, password: string) {
  await page.goto(`${base}/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
}

/** Chooses "A new card" in the checkout form and types a test card into the Payment Element. */
export async function fillCard(page: Page, number: string) {
  await page.check('input[name=payment_method][value=new]');
  const card = page.locator('#payment-element');
  await card.locator('input[data-field=number]').fill(number);
  await card.locator('input[data-field=expiry]').fill('12/34');
  await card.locator('input[data-field=cvc]').fill('123');
}
