import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { freePort } from '../bench/lib.js';
import { type LocalStripe, startLocalStripe } from '../local-stripe/index.js';
import { withDatabase } from './helpers/global-setup.js';

const run = promisify(execFile);
const SECRET = 'whsec_crash_test_secret';
let local: LocalStripe;
let env: NodeJS.ProcessEnv;
let base = '';
let cleanup: () => Promise<void>;

function startApp(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function waitUp(child: ChildProcess) {
  for (let i = 0; i < 1500; i++) {
    if (child.exitCode !== null) throw new Error('app exited');
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('app did not start');
}

const api = async (method: string, url: string, token?: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, any> };
};

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  local = await startLocalStripe({ webhookRetryBaseMs: 200, webhookMaxAttempts: 10 });
  local.addWebhookEndpoint(`${base}/webhooks/stripe`, SECRET);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'devboard-crash-'));
  let databaseUrl = '';
  let dropDatabase = async () => {};
  if (process.env.DATABASE_URL) {
    const name = `${inject('pgTemplateDb')}_crash`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${name} template ${inject('pgTemplateDb')}`);
    await admin.end();
    databaseUrl = withDatabase(process.env.DATABASE_URL, name);
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    DEMO_DATA: '0',
    ADMIN_EMAIL: 'root@crash.test',
    ADMIN_PASSWORD: 'crash test password',
    STRIPE_SECRET_KEY: local.secretKey,
    STRIPE_PUBLISHABLE_KEY: local.publishableKey,
    STRIPE_API_URL: local.url,
    STRIPE_WEBHOOK_SECRET: SECRET,
    RECONCILE_INTERVAL_MINUTES: '0',
    LOG_LEVEL: 'error',
  };
  cleanup = async () => {
    await local.close();
    await dropDatabase();
    rmSync(dataDir, { recursive: true, force: true });
  };
});
afterAll(() => cleanup());

it('loses nothing when the app is SIGKILLed between Stripe charging and our commit', async () => {
  let app = startApp();
  await waitUp(app);
  const adminToken = (await api('POST', '/api/v1/tokens', undefined, { email: 'root@crash.test', password: 'crash test password' })).body.token;
  const user = (await api('POST', '/api/v1/users', undefined, { username: 'crashy', email: 'crashy@crash.test', password: 'crashy password' })).body.user;
  const token = (await api('POST', '/api/v1/tokens', undefined, { email: 'crashy@crash.test', password: 'crashy password' })).body.token;
  await api('POST', `/api/v1/admin/users/${user.id}/permissions`, adminToken, { can_post_jobs: true });
  const article = (await api('POST', '/api/v1/articles', token, { title: 'Crash-proof job', body_markdown: 'x', job_listing: true, published: true })).body.article;

  // Stripe applies the payment, then withholds its answer; webhooks are held while we kill the app.
  local.setDeliveryFaults({ hold: true });
  local.injectFault({ kind: 'timeout', when: 'after', path: '/v1/payment_intents', timeoutMs: 20_000 });
  const purchase = { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa' };
  const inFlight = api('POST', '/api/v1/charges', token, purchase, { 'idempotency-key': 'crash-attempt-1' }).catch(() => 'connection lost');
  for (let i = 0; i < 200 && ![...local.emulator.paymentIntents.values()].some((p) => p.status === 'succeeded'); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  expect([...local.emulator.paymentIntents.values()].filter((p) => p.status === 'succeeded')).toHaveLength(1);
  app.kill('SIGKILL');
  await new Promise((r) => app.once('exit', r));
  expect(await inFlight).toBe('connection lost');
  local.clearFaults();

  app = startApp();
  await waitUp(app);
  const pending = (await api('GET', '/api/v1/charges', token)).body.charges;
  expect(pending).toHaveLength(1);
  expect(pending[0].status).toBe('pending');
  expect((await api('GET', '/api/v1/jobs')).body.jobs).toHaveLength(0);

  // The held webhooks reach the restarted app: the payment is settled and fulfilled, once.
  local.setDeliveryFaults({});
  local.webhooks.release();
  await local.webhooks.idle();
  let settled: Record<string, any> = {};
  for (let i = 0; i < 100; i++) {
    settled = (await api('GET', `/api/v1/charges/${pending[0].id}`, token)).body.charge;
    if (settled.status === 'succeeded') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(settled.status).toBe('succeeded');
  expect((await api('GET', '/api/v1/jobs')).body.jobs.map((j: { id: number }) => j.id)).toEqual([article.id]);

  // The buyer's retry of the same attempt answers with the same charge, and Stripe has one PaymentIntent.
  const retry = await api('POST', '/api/v1/charges', token, purchase, { 'idempotency-key': 'crash-attempt-1' });
  expect(retry.status).toBe(201);
  expect(retry.body.charge.id).toBe(pending[0].id);
  expect(local.emulator.paymentIntents.size).toBe(1);

  app.kill('SIGTERM');
  await new Promise((r) => app.once('exit', r));
  expect(app.exitCode).toBe(0);

  // With the server stopped, the CLIs can open the same database: reconcile finds nothing to repair.
  const reconciled = await run(process.execPath, ['--import', 'tsx', 'src/operations/reconcile-cli.ts', '--since', '2020-01-01'], { env });
  expect(reconciled.stdout).toContain('No differences');
  const replayed = await run(process.execPath, ['--import', 'tsx', 'src/operations/replay-cli.ts', '--failed'], { env });
  expect(replayed.stdout).toContain('Replayed 0 event(s): 0 handled, 0 failed again.');
}, 120_000);
