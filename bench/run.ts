/**
 * `npm run bench [-- --quick] [-- --articles 100000 --charges 1000000]`: seeds a dataset, starts the
 * app (embedded PGlite, or PostgreSQL with DATABASE_URL) and, in the same run, a bare Fastify
 * baseline, then drives both with autocannon. Writes bench/results/latest.json and the table in
 * docs/benchmarks.md. A benchmark, never part of `npm test`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { startLocalStripe } from '../local-stripe/index.js';
import { openDatabase } from '../src/db/client.js';
import { progressBar } from '../src/operations/progress.js';
import { handlers } from '../src/payments/webhooks/handlers/index.js';
import { STRIPE_API_VERSION } from '../src/payments/stripe.js';
import { appEnv, arg, flag, freePort, scratchDatabase, sleep, spawnApp, stopApp, waitHealthy } from './lib.js';
import { writeReport } from './report.js';

const QUICK = flag('quick');
const ARTICLES = arg('articles', QUICK ? 10_000 : 100_000);
const CHARGES = arg('charges', QUICK ? 100_000 : 1_000_000);
const SMALL = 1_000;
const CONNECTIONS = 50;
const WARMUP = QUICK ? 1 : 3;
const DURATION = QUICK ? 3 : 10;
const SECRET = 'whsec_bench_secret';
const ADMIN = { email: 'bench-admin@bench.test', password: 'bench admin password' };
const driver = process.env.DATABASE_URL ? 'postgres' : 'pglite';

// ---- dataset ----
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'devboard-bench-'));
const scratch = process.env.DATABASE_URL ? await scratchDatabase(`devboard_bench_${process.pid}`) : undefined;
const databaseUrl = scratch?.url ?? '';
const dbOptions = databaseUrl ? { databaseUrl } : { dataDir: path.join(dataDir, 'pglite') };

/**
 * Articles: one in ten a job listing, one in fifty live (paid until next week), so every /jobs page
 * is full at either size; the rest expired long ago. Charges: one paid job-listing charge per listing, the rest spread over buyers and two years.
 */
async function seed(fromArticle: number, toArticle: number, charges: number) {
  const database = await openDatabase(dbOptions);
  await database.migrate();
  const db = database.db;
  const t0 = Date.now();
  // Four bulk statements; the bar's ETA comes from how long the first ones took.
  const bar = progressBar();
  const step = (done: number) => bar.update(`seeding ${toArticle - fromArticle + 1} articles, ${charges} charges`, done, 4);
  step(0);
  if (fromArticle === 1) {
    await db.execute(sql`insert into users (username, email, password_hash, can_post_jobs)
      select 'seed' || g, 'seed' || g || '@bench.test', 'x', true from generate_series(1, 1000) g`);
  }
  step(1);
  await db.execute(sql`
    insert into articles (user_id, title, body_markdown, body_html, tags, job_listing, published, published_at, paid_until, bumped_at, created_at, updated_at)
    select 1 + g % 1000, 'Article ' || g, 'Body ' || g, '<p>Body ' || g || ' with a few words of text for the excerpt.</p>', '{bench}',
      g % 10 = 0, true, now() - interval '30 days',
      case when g % 10 <> 0 then null
           when g % 50 = 0 then now() + interval '6 days' + (g || ' seconds')::interval
           else now() - interval '30 days' - (g || ' seconds')::interval end,
      case when g % 10 <> 0 then null
           when g % 50 = 0 then now() - interval '1 day' + (g || ' seconds')::interval
           else now() - interval '37 days' - (g || ' seconds')::interval end,
      now() - interval '30 days', now()
    from generate_series(${fromArticle}::int, ${toArticle}::int) g`);
  step(2);
  await db.execute(sql`
    insert into charges (user_id, article_id, product, amount, currency, status, stripe_charge_key, idempotency_key, paid_at, created_at, updated_at, stripe_fee, receipt_sent_at)
    select 1 + g % 1000, case when g % 3 = 0 then null else ${fromArticle}::int + (g * 7) % ${toArticle - fromArticle + 1}::int end,
      case when g % 3 = 0 then 'billboard' else 'job_listing' end, 2500, 'usd',
      case when g % 20 = 0 then 'failed' else 'succeeded' end, 'pi_seed_' || ${fromArticle}::int || '_' || g, 'seed-' || ${fromArticle}::int || '-' || g,
      now() - ((g % 730) || ' days')::interval, now() - ((g % 730) || ' days')::interval, now(), 103, now()
    from generate_series(1, ${charges}::int) g`);
  step(3);
  // Settle the tables now, so autovacuum and the checkpointer (flushing a million new rows) do not
  // compete with the measured window.
  await db.execute(sql`vacuum analyze`);
  if (database.driver === 'postgres') await db.execute(sql`checkpoint`);
  step(4);
  bar.stop();
  await database.close();
  return (Date.now() - t0) / 1000;
}

// ---- processes ----
const stripe = await startLocalStripe({ webhookRetryBaseMs: 500 });
const appPort = await freePort();
const base = `http://127.0.0.1:${appPort}`;
// Subscribed to the event types the app handles, as `npm start` registers itself.
stripe.addWebhookEndpoint(`${base}/webhooks/stripe`, SECRET, Object.keys(handlers));
const env: NodeJS.ProcessEnv = {
  ...appEnv(stripe, SECRET, ADMIN),
  PORT: String(appPort),
  DATA_DIR: dataDir,
  DATABASE_URL: databaseUrl,
  RECONCILE_INTERVAL_MINUTES: '0',
  LOG_LEVEL: 'warn',
};

/** CPU seconds (user + system) a process has used, from /proc: the app's own, not the emulator's. */
function cpuSeconds(pid: number | string): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0; // the process ended between listing and reading
  }
}

/** CPU seconds of every PostgreSQL server process on this machine (a local server only). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) total += cpuSeconds(pid);
    } catch {
      // gone
    }
  }
  return total;
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  cpuSeconds?: Record<string, number>;
}

const attack = (url: string, seconds: number, options: Partial<autocannon.Options> = {}) =>
  new Promise<autocannon.Result>((resolve, reject) =>
    autocannon({ url, connections: CONNECTIONS, duration: seconds, ...options }, (err, result) => (err ? reject(err) : resolve(result))),
  );

/**
 * Warm-up, then the measured window. With `cpu`, also the CPU seconds each named process group
 * used during the window alone (read before and after it).
 */
async function load(url: string, options: Partial<autocannon.Options> = {}, cpu?: () => Record<string, number>): Promise<Load> {
  await attack(url, WARMUP, options);
  const before = cpu?.();
  const r = await attack(url, DURATION, options);
  const after = cpu?.();
  const cpuSeconds = before && after ? Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - before[k]!])) : undefined;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors, cpuSeconds };
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ROUNDS = QUICK ? 3 : 5;
const baselineRounds: autocannon.Result[] = [];

/**
 * A route against the baseline in alternating rounds (baseline, route, baseline, route …), so both
 * are measured at the same moments of this shared machine. The ratio is the median of the rounds'
 * ratios; req/s is the route's requests over its whole window, p50 the rounds' median, p99 their worst.
 */
async function paired(url: string, baselineUrl: string): Promise<Load & { ratio: number }> {
  await attack(baselineUrl, WARMUP);
  await attack(url, WARMUP);
  const rounds: Array<{ route: autocannon.Result; baseline: autocannon.Result }> = [];
  for (let i = 0; i < ROUNDS; i++) {
    const baseline = await attack(baselineUrl, DURATION / ROUNDS);
    const route = await attack(url, DURATION / ROUNDS);
    baselineRounds.push(baseline);
    rounds.push({ route, baseline });
  }
  const sum = (f: (r: autocannon.Result) => number) => rounds.reduce((s, { route }) => s + f(route), 0);
  return {
    rps: sum((r) => r.requests.total) / DURATION,
    p50: median(rounds.map(({ route }) => route.latency.p50)),
    p99: Math.max(...rounds.map(({ route }) => route.latency.p99)),
    requests: sum((r) => r.requests.total),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    ratio: Number(median(rounds.map(({ route, baseline }) => route.requests.average / baseline.requests.average)).toFixed(3)),
  };
}

function startBaseline(port: number, bytes: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/baseline.ts', String(port), String(bytes)], { stdio: 'ignore' });
  return (async () => {
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/`)).ok) return child;
      } catch {
        await sleep(50);
      }
    }
    throw new Error('baseline did not start');
  })();
}

async function api(method: string, url: string, token?: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, any> };
}

// ---- run ----
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  driver,
  quick: QUICK,
  connections: CONNECTIONS,
  window_seconds: DURATION,
};
console.log(`bench: ${driver}, ${QUICK ? 'quick' : 'full'}; seeding ${SMALL} articles…`);
results.seed_small_seconds = await seed(1, SMALL, SMALL * 10);
let app = spawnApp(env);
await waitHealthy(base, app);

const jobsBody = await (await fetch(`${base}/api/v1/jobs`)).text();
const baselinePort = await freePort();
const baseline = await startBaseline(baselinePort, Buffer.byteLength(jobsBody));
const baselineUrl = `http://127.0.0.1:${baselinePort}/`;
console.log('bench: /jobs against the baseline…');
const jobsSmall = await paired(`${base}/api/v1/jobs`, baselineUrl);
const jobsHtmlSmall = await paired(`${base}/jobs`, baselineUrl);
await stopApp(app);

console.log(`bench: seeding up to ${ARTICLES} articles and ${CHARGES} charges…`);
results.seed_large_seconds = await seed(SMALL + 1, ARTICLES, CHARGES - SMALL * 10);
app = spawnApp(env);
await waitHealthy(base, app);
const jobsLarge = await paired(`${base}/api/v1/jobs`, baselineUrl);
const jobsHtmlLarge = await paired(`${base}/jobs`, baselineUrl);
const baselineRps = baselineRounds.reduce((s, r) => s + r.requests.total, 0) / ((DURATION / ROUNDS) * baselineRounds.length);

// ---- checkouts: returning buyers paying with a saved card ----
console.log('bench: checkouts…');
const adminToken = (await api('POST', '/api/v1/tokens', undefined, ADMIN)).body.token;
interface Buyer {
  token: string;
  card: string;
  article: number;
}
const buyers: Buyer[] = [];
for (let i = 0; i < CONNECTIONS; i++) {
  const email = `buyer${i}@bench.test`;
  const user = (await api('POST', '/api/v1/users', undefined, { username: `buyer${i}`, email, password: 'bench password' })).body.user;
  const token = (await api('POST', '/api/v1/tokens', undefined, { email, password: 'bench password' })).body.token;
  await api('POST', `/api/v1/admin/users/${user.id}/permissions`, adminToken, { can_post_jobs: true });
  const article = (await api('POST', '/api/v1/articles', token, { title: `Bench job ${i}`, body_markdown: 'x', job_listing: true, published: true })).body.article;
  // Round trips are counted for the request path alone: webhooks wait until the counts are taken.
  if (i === 0) {
    stripe.setDeliveryFaults({ hold: true });
    stripe.requestCounts.clear();
  }
  const first = await api('POST', '/api/v1/charges', token, { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa', save_card: true });
  if (first.status !== 201) throw new Error(`first payment failed: ${JSON.stringify(first.body)}`);
  if (i === 0) results.stripe_calls_first_time_buyer = stripe.requestCount();
  if (i === 0) stripe.requestCounts.clear();
  const cards = (await api('GET', '/api/v1/payment_methods', token)).body.payment_methods;
  if (i === 0) {
    results.stripe_calls_list_saved_cards = stripe.requestCount();
    stripe.setDeliveryFaults({});
    stripe.webhooks.release();
  }
  buyers.push({ token, card: cards[0].id, article: article.id });
}
await stripe.webhooks.idle();
let next = 0;
stripe.requestCounts.clear();
const checkoutLoad = await load(`${base}/api/v1/charges`, {
  method: 'POST',
  setupClient: (client) => {
    const buyer = buyers[next++ % buyers.length]!;
    client.setHeaders({ 'content-type': 'application/json', authorization: `Bearer ${buyer.token}` });
    client.setBody(JSON.stringify({ product: 'job_listing', article_id: buyer.article, payment_method: buyer.card }));
  },
  requests: [
    {
      setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'idempotency-key': randomUUID() } }),
    },
  ],
}, () => {
  const own = process.cpuUsage();
  return { app: cpuSeconds(app.pid!), postgres: driver === 'postgres' ? postgresCpuSeconds() : 0, bench: (own.user + own.system) / 1e6 };
});
const { cpuSeconds: checkoutCpu, ...checkoutFigures } = checkoutLoad;
const succeeded = checkoutLoad.requests - checkoutLoad.non2xx;
const msPerCheckout = (seconds = 0) => (seconds * 1000) / Math.max(1, succeeded);
const piCreates = stripe.requestCount('POST /v1/payment_intents');
const checkoutStripeCalls = [...stripe.requestCounts.entries()].filter(([route]) => !route.startsWith('GET /v1/payment_intents/')).reduce((s, [, n]) => s + n, 0);
results.checkouts = {
  ...checkoutFigures,
  // Warm-up and window both hit Stripe; the window's successful charges are the 2xx among its requests.
  succeeded,
  stripe_calls_per_checkout: piCreates ? checkoutStripeCalls / piCreates : null,
  webhook_rereads: [...stripe.requestCounts.entries()].filter(([route]) => route.startsWith('GET /v1/payment_intents/')).reduce((s, [, n]) => s + n, 0),
  // All three over the measured window only. The bench process holds the local Stripe and autocannon.
  app_cpu_ms_per_checkout: msPerCheckout(checkoutCpu?.app),
  ...(driver === 'postgres' ? { postgres_cpu_ms_per_checkout: msPerCheckout(checkoutCpu?.postgres) } : {}),
  stripe_and_load_cpu_ms_per_checkout: msPerCheckout(checkoutCpu?.bench),
};
await stripe.webhooks.idle();

// ---- webhooks: signed events, distinct ids with 20% duplicates ----
console.log('bench: webhooks…');
const webhookSigner = new Stripe('sk_test_signer_only');
let sent = 0;
const seen = new Set<string>();
const accepted = await load(`${base}/webhooks/stripe`, {
  method: 'POST',
  requests: [
    {
      setupRequest: (request) => {
        sent++;
        const id = sent % 5 === 0 && sent > 5 ? `evt_bench_${sent - 1}` : `evt_bench_${sent}`;
        seen.add(id);
        const payload = JSON.stringify({ id, object: 'event', type: 'customer.updated', api_version: STRIPE_API_VERSION, created: Math.floor(Date.now() / 1000), data: { object: { id: `cus_${createHash('md5').update(id).digest('hex').slice(0, 14)}`, object: 'customer' } }, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null } });
        return { ...request, headers: { ...request.headers, 'content-type': 'application/json', 'stripe-signature': webhookSigner.webhooks.generateTestHeaderString({ payload, secret: SECRET }) }, body: payload };
      },
    },
  ],
});
const drainStart = Date.now();
let unprocessed = Number.POSITIVE_INFINITY;
while (unprocessed > 0 && Date.now() - drainStart < 300_000) {
  unprocessed = (await (await fetch(`${base}/healthz`)).json()).webhook_inbox.unprocessed;
  if (unprocessed > 0) await sleep(200);
}
const drainSeconds = (Date.now() - drainStart) / 1000;
results.webhooks = {
  ...accepted,
  distinct_events: seen.size,
  processed_per_second: seen.size / (DURATION + WARMUP + drainSeconds),
  drain_seconds_after_load: drainSeconds,
};

await stopApp(app);
baseline.kill('SIGTERM');
await stripe.close();
rmSync(dataDir, { recursive: true, force: true });
await scratch?.drop();

results.baseline = {
  rps: baselineRps,
  p50: median(baselineRounds.map((r) => r.latency.p50)),
  p99: Math.max(...baselineRounds.map((r) => r.latency.p99)),
  rounds: baselineRounds.length,
  body_bytes: Buffer.byteLength(jobsBody),
};
results.routes = {
  'GET /api/v1/jobs (1k articles)': jobsSmall,
  'GET /api/v1/jobs (large)': jobsLarge,
  'GET /jobs (1k articles)': jobsHtmlSmall,
  'GET /jobs (large)': jobsHtmlLarge,
};
// Growth compares each size's ratio to the baseline beside it, so a slower moment of the machine
// during one phase does not pass for growth.
results.growth = {
  articles: [SMALL, ARTICLES],
  charges: [SMALL * 10, CHARGES],
  api_jobs_small_over_large: Number((jobsSmall.ratio / jobsLarge.ratio).toFixed(3)),
  html_jobs_small_over_large: Number((jobsHtmlSmall.ratio / jobsHtmlLarge.ratio).toFixed(3)),
};
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/${QUICK ? 'quick' : 'latest'}${driver === 'postgres' ? '-postgres' : ''}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeReport();
console.log(JSON.stringify(results, null, 2));
