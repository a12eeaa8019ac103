/**
 * `npm run soak -- --buyers 200 --seconds 120 --faults 0.2 [--instances 3]`
 *
 * Simulated buyers sign up, get permission, post listings and pay (new cards, saved cards, declines,
 * 3-D Secure completed or failed, double submissions) against the app running as a child process,
 * while the local Stripe fails requests (500, 429, responses lost after the change) and misdelivers
 * webhooks (dropped, duplicated, delayed and so reordered), and the app is SIGKILLed and restarted
 * once. Then one reconcile, and the invariants, ending with `N passed, M failed`.
 *
 * With `--instances N` (PostgreSQL: DATABASE_URL), N app processes share one database behind a
 * loopback round-robin proxy (bench/proxy.ts) that buyers and webhooks go through; halfway, one
 * instance is SIGKILLed and started again at once, as a supervisor would, while the others serve.
 * They reconcile on schedule every minute, which must never overlap.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalStripe } from '../local-stripe/index.js';
import { openDatabase, queryRows } from '../src/db/client.js';
import { handlers } from '../src/payments/webhooks/handlers/index.js';
import type { ChargeStatus } from '../src/db/schema.js';
import { computePaidWindow } from '../src/products/job-listing/paid-window.js';
import { appEnv, arg, flag, freePort, scratchDatabase, sleep, spawnApp, stopApp, waitHealthy } from './lib.js';
import { type RoundRobinProxy, startRoundRobinProxy } from './proxy.js';

const BUYERS = arg('buyers', 200);
const SECONDS = arg('seconds', 120);
const FAULTS = arg('faults', 0.2);
const INSTANCES = arg('instances', 1);
/** `--app-logs`: the instances' errors on stdout, to find the cause of a 5xx. */
const APP_LOGS = flag('app-logs');
if (INSTANCES > 1 && !process.env.DATABASE_URL) {
  console.error('soak: --instances needs PostgreSQL (DATABASE_URL): the embedded database belongs to one process');
  process.exit(2);
}
const SECRET = 'whsec_soak_secret';
const ADMIN = { email: 'soak-admin@soak.test', password: 'soak admin password' };

const stripe = await startLocalStripe({ webhookRetryBaseMs: 250, webhookMaxAttempts: 12, seed: 7 });
const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
const origins = ports.map((p) => `http://127.0.0.1:${p}`);
const proxy: RoundRobinProxy | undefined = INSTANCES > 1 ? await startRoundRobinProxy(origins) : undefined;
const base = proxy?.url ?? origins[0]!;
stripe.addWebhookEndpoint(`${base}/webhooks/stripe`, SECRET, Object.keys(handlers));

// Each instance has a DATA_DIR of its own, as on separate machines; the database is what they share.
const dataDirs = ports.map(() => mkdtempSync(path.join(tmpdir(), 'devboard-soak-')));
const dataDir = dataDirs[0]!;
const scratch = process.env.DATABASE_URL ? await scratchDatabase(`devboard_soak_${process.pid}`) : undefined;
const databaseUrl = scratch?.url ?? '';
const common: NodeJS.ProcessEnv = {
  ...appEnv(stripe, SECRET, ADMIN),
  DATABASE_URL: databaseUrl,
  SESSION_SECRET: 'soak-session-secret-shared-by-every-instance',
  // One site, one origin: Stripe refuses a repeat of a PaymentIntent key whose return_url differs.
  PUBLIC_URL: base,
  // Several instances reconcile on schedule (one at a time); a single one is reconciled at the end only.
  RECONCILE_INTERVAL_MINUTES: INSTANCES > 1 ? '1' : '0',
  LOG_LEVEL: APP_LOGS ? 'error' : 'fatal',
};
const envs = ports.map((p, i): NodeJS.ProcessEnv => ({ ...common, PORT: String(p), DATA_DIR: dataDirs[i] }));

const apps = envs.map((env) => spawnApp(env, APP_LOGS));
await Promise.all(apps.map((app, i) => waitHealthy(origins[i]!, app)));

// ---- HTTP with bookkeeping ----
let appDown = false;
const serverErrors: string[] = [];
let networkErrorsWhileUp = 0;
/** When an instance was killed; connection errors within two seconds after are its requests in flight. */
let killedAt = Number.NEGATIVE_INFINITY;
let networkErrorsAtKill = 0;
let requests = 0;
/** Answered 502 by the proxy: in flight to the instance that was killed (retried like any 5xx). */
let lostInFlight = 0;

interface Reply {
  status: number;
  body: Record<string, any>;
}

async function call(method: string, url: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply | null> {
  requests++;
  const downAtStart = appDown;
  try {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    });
    const reply = { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, any> };
    if (res.headers.get('x-proxy-error') === 'upstream-lost') lostInFlight++;
    else if (res.status >= 500 && !downAtStart && !appDown) serverErrors.push(`${method} ${url} → ${res.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
    return reply;
  } catch {
    if (!downAtStart && !appDown) {
      networkErrorsWhileUp++;
      if (Date.now() - killedAt < 2000) networkErrorsAtKill++;
    }
    return null;
  }
}

/** Retries while the app is down or unreachable, the way a person would reload. */
async function persist(method: string, url: string, token?: string, body?: unknown, headers?: Record<string, string>): Promise<Reply> {
  for (let attempt = 0; ; attempt++) {
    const reply = await call(method, url, token, body, headers);
    if (reply && reply.status < 500) return reply;
    if (attempt > 200) throw new Error(`gave up on ${method} ${url}`);
    await sleep(appDown ? 300 : 150);
  }
}

const adminToken = (await persist('POST', '/api/v1/tokens', undefined, ADMIN)).body.token as string;

// ---- buyers ----
const stats = { checkouts: 0, succeeded: 0, declined: 0, threeDs: 0, doubleSubmits: 0, doubleMismatch: 0, savedCardPayments: 0 };
const deadline = Date.now() + SECONDS * 1000;
let seq = 0;

async function checkout(token: string, body: Record<string, unknown>, key = randomUUID()): Promise<Reply> {
  stats.checkouts++;
  // A 503 (provider unreachable) or a dead app: the buyer tries again with the same key.
  return persist('POST', '/api/v1/charges', token, body, { 'idempotency-key': key });
}

async function buyer(i: number) {
  const username = `soak${i}_${Date.now().toString(36)}`;
  const password = 'soak buyer password';
  const user = (await persist('POST', '/api/v1/users', undefined, { username, email: `${username}@soak.test`, password })).body.user;
  const token = (await persist('POST', '/api/v1/tokens', undefined, { email: `${username}@soak.test`, password })).body.token as string;
  await persist('POST', `/api/v1/admin/users/${user.id}/permissions`, adminToken, { can_post_jobs: true });
  let savedCard: string | undefined;
  while (Date.now() < deadline) {
    const article = (await persist('POST', '/api/v1/articles', token, { title: `Soak job ${++seq}`, body_markdown: 'x', job_listing: true, published: true })).body.article;
    const purchase = { product: 'job_listing', article_id: article.id };
    const dice = Math.random();
    if (dice < 0.3 && savedCard) {
      stats.savedCardPayments++;
      const r = await checkout(token, { ...purchase, payment_method: savedCard });
      if (r.status === 201) stats.succeeded++;
      if (r.status === 404) savedCard = undefined;
    } else if (dice < 0.45) {
      const r = await checkout(token, { ...purchase, payment_method: 'pm_card_chargeDeclined' });
      if (r.status === 402) stats.declined++;
    } else if (dice < 0.6) {
      stats.threeDs++;
      const r = await checkout(token, { ...purchase, payment_method: 'pm_card_authenticationRequired' });
      if (r.status === 202) {
        // The buyer's browser completes (or fails) authentication at Stripe, then asks us to confirm.
        try {
          stripe.emulator.authenticate(r.body.charge.stripe_charge_key, Math.random() < 0.8 ? 'complete' : 'fail', { id: 'req_soak', idempotencyKey: null });
        } catch {
          // already settled
        }
        if (Math.random() < 0.7) await persist('POST', `/api/v1/charges/${r.body.charge.id}/confirm`, token);
        // else the tab was closed: the webhook or reconcile must settle it
      }
    } else if (dice < 0.75) {
      stats.doubleSubmits++;
      const key = randomUUID();
      const [a, b] = await Promise.all([
        checkout(token, { ...purchase, payment_method: 'pm_card_visa' }, key),
        checkout(token, { ...purchase, payment_method: 'pm_card_visa' }, key),
      ]);
      if (a.body.charge?.id !== b.body.charge?.id) stats.doubleMismatch++;
    } else {
      const r = await checkout(token, { ...purchase, payment_method: 'pm_card_visa', save_card: !savedCard });
      if (r.status === 201) stats.succeeded++;
      if (!savedCard && r.status === 201) {
        const cards = (await persist('GET', '/api/v1/payment_methods', token)).body.payment_methods as Array<{ id: string }> | undefined;
        savedCard = cards?.[0]?.id;
      }
    }
  }
}

// Faults on: requests to Stripe fail before or after the change, webhooks are dropped, doubled, delayed.
const share = FAULTS / 4;
stripe.injectFault({ kind: '500', when: 'before', rate: share, path: '/v1/' });
stripe.injectFault({ kind: '429', when: 'before', rate: share, path: '/v1/' });
stripe.injectFault({ kind: 'reset', when: 'after', rate: share, path: '/v1/payment_intents' });
stripe.injectFault({ kind: '500', when: 'after', rate: share, path: '/v1/' });
stripe.setDeliveryFaults({ dropRate: FAULTS / 2, duplicateRate: FAULTS, delayRate: FAULTS });

const started = Date.now();
const shape = INSTANCES > 1 ? `${INSTANCES} instances behind a round-robin proxy` : 'one instance';
console.log(`soak: ${BUYERS} buyers for ${SECONDS}s with faults at ${FAULTS} (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, ${shape})`);
const crash = (async () => {
  await sleep((SECONDS * 1000) / 2);
  // The only instance: the site is down until it is back. One of several: the others serve meanwhile.
  const victim = INSTANCES > 1 ? 1 : 0;
  appDown = INSTANCES === 1;
  killedAt = Date.now();
  await stopApp(apps[victim]!, 'SIGKILL');
  console.log(`soak: instance ${victim + 1} of ${INSTANCES} SIGKILLed at ${((Date.now() - started) / 1000).toFixed(1)}s; restarting it`);
  apps[victim] = spawnApp(envs[victim]!, APP_LOGS);
  await waitHealthy(origins[victim]!, apps[victim]!);
  appDown = false;
  console.log(`soak: instance ${victim + 1} back at ${((Date.now() - started) / 1000).toFixed(1)}s`);
})();
const results = await Promise.allSettled(Array.from({ length: BUYERS }, (_, i) => buyer(i)));
await crash;
const buyerFailures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));

// Faults off; let deliveries and retries finish; one reconcile.
stripe.clearFaults();
stripe.setDeliveryFaults({});
await stripe.webhooks.idle();
await sleep(3000);
const reconcileReply = await persist('POST', '/api/v1/admin/reconcile', adminToken, { since: new Date(started - 3600_000).toISOString() });
const report = reconcileReply.body.report as { findings: Array<{ kind: string }>; repaired: number };
console.log(`soak: ${requests} requests; ${stats.checkouts} checkouts; reconcile repaired ${report?.repaired} (${[...new Set(report?.findings.map((f) => f.kind))].join(', ') || 'nothing'})`);
await stripe.webhooks.idle();
await Promise.all(apps.map((app) => stopApp(app)));
await proxy?.close();

// ---- invariants ----
const database = await openDatabase(databaseUrl ? { databaseUrl } : { dataDir: path.join(dataDir, 'pglite') });
type Row = { id: number; status: ChargeStatus; amount: number; stripe_charge_key: string | null; user_id: number; idempotency_key: string; article_id: number | null; paid_at: Date | null };
const charges = (await queryRows<Row>(database.db, 'select id, status, amount::int, stripe_charge_key, user_id, idempotency_key, article_id, paid_at from charges')).map((r) => ({
  ...r,
  id: Number(r.id),
  paid_at: r.paid_at ? new Date(r.paid_at) : null,
}));
const fulfilments = new Map((await queryRows<{ charge_id: number; n: number }>(database.db, 'select charge_id, count(*)::int as n from fulfilments group by charge_id')).map((r) => [Number(r.charge_id), r.n]));
const articles = await queryRows<{ id: number; paid_until: Date | null; bumped_at: Date | null }>(database.db, "select id, paid_until, bumped_at from articles where job_listing");
const scheduledRuns = (
  await queryRows<{ started_at: Date; finished_at: Date | null }>(database.db, "select started_at, finished_at from reconcile_runs where trigger = 'schedule' order by started_at")
).map((r) => ({ started: new Date(r.started_at).getTime(), finished: r.finished_at ? new Date(r.finished_at).getTime() : null }));
await database.close();

const intents = [...stripe.emulator.paymentIntents.values()];
const succeededAtStripe = intents.filter((p) => p.status === 'succeeded');
const byKey = new Map(charges.filter((c) => c.stripe_charge_key).map((c) => [c.stripe_charge_key!, c]));
const taken = new Set<ChargeStatus>(['succeeded', 'partially_refunded', 'refunded', 'disputed']);

const checks: Array<[string, boolean, string]> = [];
const check = (name: string, ok: boolean, detail = '') => checks.push([name, ok, detail]);

const missing = succeededAtStripe.filter((p) => {
  const row = byKey.get(p.id);
  return !row || !taken.has(row.status) || fulfilments.get(row.id) !== 1;
});
check('every succeeded PaymentIntent has exactly one settled charge row and one fulfilment', missing.length === 0, `${succeededAtStripe.length} succeeded at Stripe; ${missing.length} without${missing.length ? `: ${missing.slice(0, 3).map((p) => p.id).join(', ')}` : ''}`);
const rowsPerIntent = new Map<string, number>();
for (const c of charges) if (c.stripe_charge_key) rowsPerIntent.set(c.stripe_charge_key, (rowsPerIntent.get(c.stripe_charge_key) ?? 0) + 1);
check('no PaymentIntent has two rows', [...rowsPerIntent.values()].every((n) => n === 1), `${rowsPerIntent.size} PaymentIntents with rows`);
const phantom = charges.filter((c) => taken.has(c.status) && stripe.emulator.paymentIntents.get(c.stripe_charge_key ?? '')?.status !== 'succeeded');
check('no charge row is succeeded without a succeeded PaymentIntent', phantom.length === 0, `${charges.filter((c) => taken.has(c.status)).length} settled rows; ${phantom.length} without`);
const extraFulfilments = [...fulfilments.entries()].filter(([id, n]) => n !== 1 || !taken.has(charges.find((c) => c.id === id)?.status ?? 'failed'));
check('nothing is fulfilled without a payment, nothing twice', extraFulfilments.length === 0, `${fulfilments.size} fulfilments`);
const perAttempt = new Map<string, number>();
for (const p of succeededAtStripe) perAttempt.set(p.metadata.charge_id ?? p.id, (perAttempt.get(p.metadata.charge_id ?? p.id) ?? 0) + 1);
check('no buyer was charged twice for one attempt', [...perAttempt.values()].every((n) => n === 1) && stats.doubleMismatch === 0, `${stats.doubleSubmits} double submissions, ${stats.doubleMismatch} answered with different charges`);
const ours = charges.filter((c) => taken.has(c.status)).reduce((s, c) => s + c.amount, 0);
const theirs = succeededAtStripe.reduce((s, p) => s + p.amount, 0);
check('sum of our succeeded amounts equals Stripe’s, to the cent', ours === theirs, `ours ${ours}, Stripe ${theirs} (minor units)`);
const drift = articles.filter((a) => {
  const window = computePaidWindow(charges.filter((c) => c.article_id === Number(a.id)).map((c) => ({ status: c.status, paidAt: c.paid_at })));
  return (window.paidUntil?.getTime() ?? null) !== (a.paid_until ? new Date(a.paid_until).getTime() : null);
});
check("every listing's paid_until equals the value recomputed from its charges", drift.length === 0, `${articles.length} listings, ${drift.length} differ`);
check(
  INSTANCES > 1 ? 'no instance answered 5xx' : 'no request answered 5xx except while the app was down',
  serverErrors.length === 0,
  `${serverErrors.length}${serverErrors.length ? `: ${serverErrors.slice(0, 3).join(' | ')}` : ''}; ${networkErrorsWhileUp} connection errors while up${proxy ? ` (${networkErrorsAtKill} within 2 s of the kill)` : ''}${proxy ? `; proxy: ${lostInFlight} lost in flight with the killed instance, ${proxy.redirected} sent on to another instance` : ''}`,
);
if (INSTANCES > 1) {
  // Runs of an instance killed mid-run never finish; every other run must end before the next starts.
  const overlapping = scheduledRuns.filter((run, i) => i > 0 && scheduledRuns[i - 1]!.finished !== null && run.started < scheduledRuns[i - 1]!.finished!);
  check('scheduled reconciles across instances never overlapped', overlapping.length === 0, `${scheduledRuns.length} scheduled runs, ${overlapping.length} overlapping`);
}
check('every simulated buyer finished', buyerFailures.length === 0, buyerFailures.slice(0, 2).join(' | '));

for (const [name, ok, detail] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
console.log(`soak stats: ${JSON.stringify(stats)}`);
await stripe.close();
for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
await scratch?.drop();
const failed = checks.filter(([, ok]) => !ok).length;
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
