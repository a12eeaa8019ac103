/**
 * `npm run smoke:production` (after `npm run build`; .ci/run does both): starts the compiled build as
 * production runs it (`NODE_ENV=production node dist/src/main.js`, no tsx) on the embedded default in
 * a temporary DATA_DIR and port, waits for /readyz, reads the public pages, renders an article on the
 * Markdown worker thread, pays for a job listing through the JSON API against the embedded local
 * Stripe, and stops it with SIGTERM. Exits non-zero on the first check that fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, sleep } from '../bench/lib.js';

const MAIN = 'dist/src/main.js';
if (!existsSync(MAIN)) {
  console.error(`smoke: ${MAIN} is missing; run npm run build first`);
  process.exit(2);
}
const dataDir = mkdtempSync(path.join(tmpdir(), 'devboard-smoke-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const admin = { email: 'smoke-admin@smoke.test', password: 'smoke admin password' };
const started = Date.now();
const app: ChildProcess = spawn(process.execPath, ['--enable-source-maps', MAIN], {
  env: { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password, LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'inherit', 'inherit'],
});

let passed = 0;
function check(name: string, ok: boolean, detail = ''): void {
  if (!ok) throw new Error(`${name}${detail ? `: ${detail}` : ''}`);
  passed++;
  console.log(`ok ${name}${detail ? ` (${detail})` : ''}`);
}

async function call(method: string, url: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, text, json: <T>() => JSON.parse(text) as T };
}

async function waitReady(timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (app.exitCode !== null) throw new Error(`the app exited with ${app.exitCode} before it was ready`);
    const ready = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) return;
    if (Date.now() > deadline) throw new Error('the app was not ready in time');
    await sleep(200);
  }
}

try {
  await waitReady();
  check('/readyz answers 200', true, `after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const page of ['/', '/jobs', '/login', '/assets/app.css']) {
    const res = await call('GET', page);
    check(`GET ${page} answers 200`, res.status === 200, `${res.status}`);
  }
  const adminToken = (await call('POST', '/api/v1/tokens', { body: admin })).json<{ token: string }>().token;
  check('the configured admin gets an API token', typeof adminToken === 'string');
  const buyer = { username: 'smokebuyer', email: 'smoke-buyer@smoke.test', password: 'smoke buyer password' };
  const signup = await call('POST', '/api/v1/users', { body: buyer });
  check('a member signs up', signup.status === 201, `${signup.status}`);
  const token = (await call('POST', '/api/v1/tokens', { body: { email: buyer.email, password: buyer.password } })).json<{ token: string }>().token;
  const grant = await call('POST', `/api/v1/admin/users/${signup.json<{ user: { id: number } }>().user.id}/permissions`, { token: adminToken, body: { can_post_jobs: true } });
  check('the admin lets them post jobs', grant.status === 200, `${grant.status}`);

  const markdown = 'We are **hiring** a payments engineer.\n\n- remote\n- <script>alert(1)</script>';
  const created = await call('POST', '/api/v1/articles', { token, body: { title: 'Smoke test job', body_markdown: markdown, job_listing: true, published: true } });
  const { article } = created.json<{ article: { id: number; body_html: string } }>();
  check('an article renders on the Markdown worker thread', created.status === 201 && article.body_html.includes('<strong>hiring</strong>') && !article.body_html.includes('<script'), 'bold kept, script dropped');
  const unpaid = await call('GET', `/articles/${article.id}`);
  check('the listing, not yet paid, is not public', unpaid.status === 404, `${unpaid.status}`);

  const payment = await call('POST', '/api/v1/charges', { token, body: { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa' }, headers: { 'idempotency-key': randomUUID() } });
  const { charge } = payment.json<{ charge?: { status: string; amount: number; currency: string } }>();
  check('a checkout through the JSON API succeeds at the embedded local Stripe', payment.status === 201 && charge?.status === 'succeeded', `${payment.status} ${charge?.status} ${charge?.amount} ${charge?.currency}`);
  const jobs = await call('GET', '/jobs');
  check('the paid listing is on /jobs', jobs.status === 200 && jobs.text.includes('Smoke test job'));
  const page = await call('GET', `/articles/${article.id}`);
  check('its page shows the rendered body', page.status === 200 && page.text.includes('<strong>hiring</strong>'));

  const exited = new Promise<number | null>((resolve) => app.once('exit', (code) => resolve(code)));
  app.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout' as const)]);
  check('SIGTERM stops it cleanly', code === 0, `exit ${code}`);
  console.log(`production smoke: ${passed} passed, 0 failed`);
} catch (error) {
  console.error(`production smoke FAILED after ${passed} passed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  if (app.exitCode === null) app.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
