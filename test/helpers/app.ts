import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type LocalStripe, startLocalStripe } from '../../local-stripe/index.js';
import { type AppDeps, buildApp } from '../../src/app.js';
import { createStripeGateway } from '../../src/payments/stripe.js';
import { ManualClock } from '../../src/clock.js';
import { type Database, openDatabase, queryRows } from '../../src/db/client.js';
import { checkApiAnswers } from './api-contract.js';
import { freshDatabase } from './db.js';

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  clock: ManualClock;
  stripe: LocalStripe;
  /** Where receipt e-mails are written as .eml files (unless the app was given an SMTP server). */
  mailDir: string;
  close(): Promise<void>;
}

export const START = new Date('2026-03-02T10:00:00Z');

/** Where Stripe would send buyers back; tests follow return links by path on the listening app. */
export const TEST_PUBLIC_URL = 'http://devboard.test';

export const TEST_WEBHOOK_SECRET = 'whsec_test_devboard_suite';

/** Every instance of one site shares its session secret (SESSION_SECRET), as production requires. */
const TEST_SESSION_SECRET = 'test-session-secret-test-session-secret';

/**
 * The real app on a fresh database, listening on a random port, with its own local Stripe that
 * delivers signed webhooks to it (as `npm start` wires them).
 */
export async function startTestApp(
  options: Pick<AppDeps, 'rateLimits' | 'trustProxy' | 'hstsMaxAge' | 'checkoutMode' | 'logger'> & { smtpUrl?: string } = {},
): Promise<TestApp> {
  const database = await freshDatabase();
  const clock = new ManualClock(START);
  const stripe = await startLocalStripe({ webhookRetryBaseMs: 50 });
  const mailDir = mkdtempSync(path.join(tmpdir(), 'devboard-mail-'));
  const app = await buildApp({
    database,
    clock,
    stripe: createStripeGateway({ secretKey: stripe.secretKey, publishableKey: stripe.publishableKey, apiUrl: stripe.url, maxNetworkRetries: 2 }),
    sessionSecret: TEST_SESSION_SECRET,
    publicUrl: TEST_PUBLIC_URL,
    webhookSecrets: [TEST_WEBHOOK_SECRET],
    rateLimits: options.rateLimits ?? false,
    trustProxy: options.trustProxy,
    hstsMaxAge: options.hstsMaxAge,
    checkoutMode: options.checkoutMode,
    logger: options.logger,
    mail: { dir: mailDir, smtpUrl: options.smtpUrl },
  });
  checkApiAnswers(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  stripe.addWebhookEndpoint(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/webhooks/stripe`, TEST_WEBHOOK_SECRET);
  return {
    app,
    database,
    clock,
    stripe,
    mailDir,
    close: async () => {
      await reportIfSlow('app.close()', app.close(), database); // sends the receipts still waiting
      await reportIfSlow('local Stripe close()', stripe.close(), database);
      await reportIfSlow('database close()', database.close(), database);
      rmSync(mailDir, { recursive: true, force: true });
    },
  };
}

/**
 * Says on stderr which step of closing a test app is still waiting after 15 s, with the pool's
 * counts on PostgreSQL and the kinds of handle keeping the process busy, so that a hook timing out
 * in CI names its cause.
 */
async function reportIfSlow<T>(step: string, closing: Promise<T>, database: Database): Promise<T> {
  const timer = setTimeout(() => {
    const pool = (database.db as unknown as { $client: { totalCount?: number; idleCount?: number; waitingCount?: number } }).$client;
    const counts = database.driver === 'postgres' ? `; pool total=${pool.totalCount} idle=${pool.idleCount} waiting=${pool.waitingCount}` : '';
    const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles().map((h) => h.constructor.name);
    process.stderr.write(`test app: ${step} still waiting after 15 s${counts}; handles: ${handles.join(', ')}\n`);
  }, 15_000);
  try {
    return await closing;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A second app process on the same database (its own pool on PostgreSQL; the one PGlite otherwise)
 * and the same Stripe and session secret, as when several instances serve one site. Close it before `t`.
 */
export async function secondInstance(
  t: TestApp,
  options: Pick<AppDeps, 'rateLimits'> = {},
): Promise<{ app: FastifyInstance; database: Database; close(): Promise<void> }> {
  let database: Database = t.database;
  if (process.env.DATABASE_URL) {
    const [row] = await queryRows<{ db: string }>(t.database.db, 'select current_database() as db');
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${row!.db}`;
    database = await openDatabase({ databaseUrl: url.toString(), poolSize: 5 });
  }
  const app = await buildApp({
    database,
    clock: t.clock,
    sessionSecret: TEST_SESSION_SECRET,
    publicUrl: TEST_PUBLIC_URL,
    stripe: t.app.payments.stripe,
    webhookSecrets: [TEST_WEBHOOK_SECRET],
    rateLimits: options.rateLimits ?? false,
    mail: { dir: t.mailDir },
  });
  checkApiAnswers(app);
  return {
    app,
    database,
    close: async () => {
      await app.close();
      if (database !== t.database) await database.close();
    },
  };
}

let counter = 0;

/** Signs a member up through the API and returns their id and a bearer token. */
export async function member(app: FastifyInstance, name?: string) {
  const username = name ?? `user${++counter}_${Math.random().toString(36).slice(2, 7)}`;
  const email = `${username}@example.test`;
  const password = 'correct horse battery';
  const created = await app.inject({ method: 'POST', url: '/api/v1/users', payload: { username, email, password } });
  if (created.statusCode !== 201) throw new Error(`signup failed: ${created.body}`);
  const token = (await app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { email, password } })).json().token as string;
  const id = created.json().user.id as number;
  return { id, username, email, password, token, auth: { authorization: `Bearer ${token}` } };
}

export type Member = Awaited<ReturnType<typeof member>>;

/** Makes a user an admin directly in the database (the bootstrap path is tested on its own). */
export async function admin(t: TestApp) {
  const m = await member(t.app);
  await queryRows(t.database.db, `update users set admin = true where id = ${m.id}`);
  return m;
}

export async function grantJobs(t: TestApp, adminUser: Member, userId: number) {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/admin/users/${userId}/permissions`,
    headers: adminUser.auth,
    payload: { can_post_jobs: true },
  });
  if (res.statusCode !== 200) throw new Error(`grant failed: ${res.body}`);
}

/** Waits until the local Stripe has delivered everything and the app has processed its inbox. */
export async function settleWebhooks(t: TestApp): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await t.stripe.webhooks.idle();
    await t.app.payments.worker.kick();
  }
  // Receipts follow a settlement by a short timer; send them now so that what a test reads next is final.
  await t.app.payments.mailer?.flush(t.clock.now());
}

/**
 * Starts `request` and resolves, with its answer still to come, once the local Stripe has received
 * its call on `route` (e.g. 'POST /v1/refunds'): a repeat sent then meets the key in flight,
 * however slowly a busy machine got the first one there.
 */
export async function atStripe<T>(t: TestApp, route: string, request: () => Promise<T>): Promise<{ answer: Promise<T> }> {
  const before = t.stripe.requestCount(route);
  const answer = request();
  for (let waited = 0; t.stripe.requestCount(route) === before; waited += 10) {
    if (waited > 30_000) throw new Error(`no ${route} reached the local Stripe`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { answer };
}

export const json = (res: LightMyRequestResponse) => res.json() as Record<string, any>;
