/**
 * `npm run bench [-- --quick] [-- --articles 100000 --charges 1000000]`: seeds a dataset, starts the
 * app (embedded PGlite, or PostgreSQL with DATABASE_URL), the local Stripe (bench/stripe-process.ts),
 * a bare Fastify baseline for the reads and the two checkout peers (bench/peer.ts, bare;
 * bench/durable-peer.ts, which keeps its orders), each a process of its own, then drives them with autocannon from this one. Writes bench/results/latest.json and the
 * tables in docs/benchmarks.md. A benchmark, never part of `npm test`.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { openDatabase } from '../src/db/client.js';
import { productMigrations } from '../src/products/index.js';
import { progressBar } from '../src/operations/progress.js';
import { handlers } from '../src/payments/webhooks/handlers/index.js';
import { jobListingProduct } from '../src/products/job-listing/product.js';
import { STRIPE_API_VERSION } from '../src/payments/stripe.js';
import { answered, apiClient } from '../scripts/api/client.js';
import { adminClient, APP_NODE_FLAGS, appEnv, arg, benchPoster, flag, freePort, scratchDatabase, sleep, spawnApp, stopApp, waitHealthy } from './lib.js';
import { writeReport } from './report.js';
import type { StripeCalls } from './stripe-process.js';

const QUICK = flag('quick');
const ARTICLES = arg('articles', QUICK ? 10_000 : 100_000);
const CHARGES = arg('charges', QUICK ? 100_000 : 1_000_000);
const SMALL = 1_000;
const CONNECTIONS = 50;
const WARMUP = QUICK ? 1 : 3;
const DURATION = QUICK ? 3 : 10;
/** Checkouts: app, bare peer and durable peer alternate, this many seconds each, this many rounds each at each dataset size. */
const CHECKOUT_ROUND = QUICK ? 2 : 6;
const CHECKOUT_PAIRS = QUICK ? 3 : 5;
const SECRET = 'whsec_bench_secret';
const ADMIN = { email: 'bench-admin@bench.test', password: 'bench admin password' };
const driver = process.env.DATABASE_URL ? 'postgres' : 'pglite';

// ---- dataset ----
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'devboard-bench-'));
const scratch = process.env.DATABASE_URL ? await scratchDatabase(`devboard_bench_${process.pid}`) : undefined;
const databaseUrl = scratch?.url ?? '';
// The durable peer's own database (PostgreSQL) or embedded PGlite, so its statements are counted apart.
const peerScratch = process.env.DATABASE_URL ? await scratchDatabase(`devboard_bench_${process.pid}_peer`) : undefined;
const peerDatabase = peerScratch?.url ?? path.join(dataDir, 'durable-peer');
const dbOptions = databaseUrl ? { databaseUrl } : { dataDir: path.join(dataDir, 'pglite') };

/**
 * Articles: one in ten a job listing, one in fifty live (paid until next week), so every /jobs page
 * is full at either size; the rest expired long ago. Charges: one paid job-listing charge per listing, the rest spread over buyers and two years.
 */
async function seed(fromArticle: number, toArticle: number, charges: number) {
  const database = await openDatabase(dbOptions);
  await database.migrate(productMigrations);
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
const stripeProcess = fork('bench/stripe-process.ts', [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const stripeReplies = new Map<number, (result: unknown) => void>();
let stripeCallId = 0;
const stripe = await new Promise<{ url: string; secretKey: string; publishableKey: string }>((resolve, reject) => {
  stripeProcess.once('exit', (code) => reject(new Error(`the local Stripe exited with ${code}`)));
  stripeProcess.on('message', (message: { ready?: { url: string; secretKey: string; publishableKey: string }; id?: number; result?: unknown }) => {
    if (message.ready) resolve(message.ready);
    else stripeReplies.get(message.id!)?.(message.result);
  });
});
/** One call into the local Stripe's process (bench/stripe-process.ts). */
function stripeCall<K extends keyof StripeCalls>(call: K, ...args: Parameters<StripeCalls[K]>): Promise<Awaited<ReturnType<StripeCalls[K]>>> {
  const id = stripeCallId++;
  return new Promise((resolve) => {
    stripeReplies.set(id, (result) => {
      stripeReplies.delete(id);
      resolve(result as Awaited<ReturnType<StripeCalls[K]>>);
    });
    stripeProcess.send({ id, call, args });
  });
}
const appPort = await freePort();
const base = `http://127.0.0.1:${appPort}`;
const appWebhooks = `${base}/webhooks/stripe`;
// Subscribed to the event types the app handles, as `npm start` registers itself.
await stripeCall('addWebhookEndpoint', appWebhooks, SECRET, Object.keys(handlers));
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

/**
 * CPU seconds of the PostgreSQL server processes working for this run (a local server only): the
 * backends of the app's scratch database, of the durable peer's, and the writers every commit goes
 * through. Other databases' backends on a shared server are left out.
 */
function postgresCpuSeconds(): { app: number; peer: number; writers: number } {
  const name = (url: string) => new URL(url).pathname.slice(1);
  const kinds = { app: ` ${name(databaseUrl)} `, peer: ` ${name(peerScratch!.url)} ` };
  const total = { app: 0, peer: 0, writers: 0 };
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.startsWith('postgres: ')) continue;
      if (cmdline.includes(kinds.app)) total.app += cpuSeconds(pid);
      else if (cmdline.includes(kinds.peer)) total.peer += cpuSeconds(pid);
      else if (/: (?:walwriter|checkpointer|background writer)/.test(cmdline)) total.writers += cpuSeconds(pid);
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
}

const attack = (url: string, seconds: number, options: Partial<autocannon.Options> = {}) =>
  new Promise<autocannon.Result>((resolve, reject) =>
    autocannon({ url, connections: CONNECTIONS, duration: seconds, ...options }, (err, result) => (err ? reject(err) : resolve(result))),
  );

/** Warm-up, then the measured window. */
async function load(url: string, options: Partial<autocannon.Options> = {}): Promise<Load> {
  await attack(url, WARMUP, options);
  const r = await attack(url, DURATION, options);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors };
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

/**
 * A bench server (baseline or peer) as a child process, once it answers on its port (its first
 * argument). It runs with the app's Node flags, so the comparison is of the code, not of V8's settings.
 */
async function startServer(script: string, port: number, ...args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...APP_NODE_FLAGS, '--import', 'tsx', script, String(port), ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  // Up to two minutes: the durable peer on PGlite creates its database first.
  for (let waited = 0; waited < 120_000 && child.exitCode === null; waited += 50) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return child;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${script} did not start`);
}

// ---- checkouts: returning buyers paying with a saved card, the app against the peer ----
interface Buyer {
  token: string;
  customer: string;
  card: string;
  article: number;
}
const buyers: Buyer[] = [];

/**
 * One buyer per connection: signs up, gets permission, posts a job listing and pays for it once
 * with a new card it saves, so every measured checkout is a returning buyer's. The first one's
 * Stripe round trips are counted, for the request path alone: webhooks wait until they are taken.
 */
async function addBuyers() {
  const admin = await adminClient(base, ADMIN);
  for (let i = 0; i < CONNECTIONS; i++) {
    const { client, token, article } = await benchPoster(base, admin, i);
    if (i === 0) {
      await stripeCall('setDeliveryFaults', { hold: true });
      await stripeCall('clearRequestCounts');
    }
    const first = await client.POST('/api/v1/charges', { body: { product: 'job_listing', article_id: article, payment_method: 'pm_card_visa', save_card: true } });
    if (first.response.status !== 201) throw new Error(`first payment failed: ${JSON.stringify(first.error ?? first.data)}`);
    if (i === 0) {
      results.stripe_calls_first_time_buyer = stripeTotal(await stripeCall('requestCounts'));
      await stripeCall('clearRequestCounts');
    }
    const [saved] = answered(await client.GET('/api/v1/payment_methods')).payment_methods;
    if (!saved) throw new Error('the first payment saved no card');
    const card = saved.id;
    if (i === 0) {
      results.stripe_calls_list_saved_cards = stripeTotal(await stripeCall('requestCounts'));
      await stripeCall('setDeliveryFaults', {});
      await stripeCall('releaseWebhooks');
    }
    // The peer is handed the customer the app made for this buyer, as its caller would know it.
    const pm = (await (await fetch(`${stripe.url}/v1/payment_methods/${card}`, { headers: { authorization: `Bearer ${stripe.secretKey}` } })).json()) as { customer: string };
    buyers.push({ token, customer: pm.customer, card, article });
  }
  await stripeCall('webhooksIdle');
}

const stripeTotal = (counts: Record<string, number>) => Object.values(counts).reduce((s, n) => s + n, 0);

/** autocannon options that post each connection's buyer's checkout, each request under a new idempotency key. */
function checkoutRequests(body: (buyer: Buyer) => unknown, headers: (buyer: Buyer) => Record<string, string>): Partial<autocannon.Options> {
  let next = 0;
  return {
    method: 'POST',
    setupClient: (client) => {
      const buyer = buyers[next++ % buyers.length]!;
      client.setHeaders({ 'content-type': 'application/json', ...headers(buyer) });
      client.setBody(JSON.stringify(body(buyer)));
    },
    requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'idempotency-key': randomUUID() } }) }],
  };
}
const appCheckout = checkoutRequests(
  (buyer) => ({ product: 'job_listing', article_id: buyer.article, payment_method: buyer.card }),
  (buyer) => ({ authorization: `Bearer ${buyer.token}` }),
);
const peerCheckout = checkoutRequests(
  (buyer) => ({ customer: buyer.customer, payment_method: buyer.card, article_id: buyer.article }),
  () => ({}),
);

type Cpu = Record<'app' | 'postgres' | 'postgres_peer' | 'postgres_writers' | 'stripe' | 'peer' | 'durable' | 'load', number>;
const cpuSince = (before: Cpu, after: Cpu) => Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof Cpu]])) as Cpu;
const cpuSum = (a: Cpu, b: Cpu) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v + b[k as keyof Cpu]])) as Cpu;
const noCpu: Cpu = { app: 0, postgres: 0, postgres_peer: 0, postgres_writers: 0, stripe: 0, peer: 0, durable: 0, load: 0 };
/** Stripe round trips on the request path: the webhook handlers' re-reads of PaymentIntents aside. */
const isReread = (route: string) => route.startsWith('GET /v1/payment_intents/');

/**
 * One side's measured rounds: req/s over all its rounds, the rounds' median p50 and worst p99.
 * CPU is per PaymentIntent created in its windows, not per answer autocannon counted: the requests
 * in flight when a round ends are abandoned by autocannon but still done by the server.
 */
function side(rounds: autocannon.Result[], cpu: Record<string, number>, stripeCalls: Record<string, number>) {
  const requests = rounds.reduce((s, r) => s + r.requests.total, 0);
  const non2xx = rounds.reduce((s, r) => s + r.non2xx, 0);
  const succeeded = requests - non2xx;
  const creates = stripeCalls['POST /v1/payment_intents'] ?? 0;
  const requestPathCalls = Object.entries(stripeCalls).filter(([route]) => !isReread(route)).reduce((s, [, n]) => s + n, 0);
  return {
    rps: requests / (CHECKOUT_ROUND * rounds.length),
    p50: median(rounds.map((r) => r.latency.p50)),
    p99: Math.max(...rounds.map((r) => r.latency.p99)),
    requests,
    non2xx,
    errors: rounds.reduce((s, r) => s + r.errors, 0),
    succeeded,
    payment_intents_created: creates,
    stripe_calls_per_checkout: creates ? requestPathCalls / creates : null,
    cpu_ms_per_checkout: Object.fromEntries(Object.entries(cpu).map(([k, seconds]) => [k, (seconds * 1000) / Math.max(1, creates)])),
  };
}

/**
 * A new buyer arriving while the app is under checkout load: every 100 ms a fresh connection asks for
 * the stylesheet (no database), and the time until the whole answer is back is kept. It is what a
 * saturated event loop makes a new connection wait (to be accepted, read and answered).
 */
function probeNewConnections(url: string) {
  const times: number[] = [];
  let running = true;
  const once = () =>
    new Promise<void>((resolve) => {
      const start = performance.now();
      const request = http.get(url, { agent: false }, (response) => {
        response.resume();
        response.on('end', () => {
          times.push(performance.now() - start);
          resolve();
        });
      });
      request.on('error', () => resolve());
    });
  const loop = (async () => {
    while (running) await Promise.all([once(), sleep(100)]);
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return times;
    },
  };
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1)) : null;
};

/**
 * The app's checkout, the bare peer's and the durable peer's in alternating rounds (app, peer,
 * durable peer, app …), so all meet the same moments of this shared machine; each ratio is the
 * median of the rounds' ratios of successful checkouts. CPU is read from /proc at each round's
 * start, so the windows are contiguous. A side's own processes (the app, or a peer, and the backends
 * of its own PostgreSQL database) count over all windows, as they may finish a round's webhooks in
 * the next; the local Stripe and PostgreSQL's shared writers are split by whose round it was. Each
 * round lasts until the requests it left in flight have reached Stripe and its webhooks have been
 * delivered. Only the side's own webhook endpoint is on in its rounds: another's PaymentIntents are
 * none of its business.
 */
async function checkoutsAgainstPeers(charges: number) {
  const appUrl = `${base}/api/v1/charges`;
  /** Until the server has finished what autocannon left in flight (no new PaymentIntent for 300 ms) and its webhooks are delivered. */
  const pause = async () => {
    let last = -1;
    for (let quiet = 0, waited = 0; quiet < 3 && waited < 10_000; waited += 100) {
      const creates = (await stripeCall('requestCounts'))['POST /v1/payment_intents'] ?? 0;
      quiet = creates === last ? quiet + 1 : 0;
      last = creates;
      await sleep(100);
    }
    await stripeCall('webhooksIdle');
  };
  const cpu = (): Cpu => {
    const own = process.cpuUsage();
    const pgCpu = driver === 'postgres' ? postgresCpuSeconds() : { app: 0, peer: 0, writers: 0 };
    return {
      app: cpuSeconds(app.pid!),
      postgres: pgCpu.app,
      postgres_peer: pgCpu.peer,
      postgres_writers: pgCpu.writers,
      stripe: cpuSeconds(stripeProcess.pid!),
      peer: cpuSeconds(peer.pid!),
      durable: cpuSeconds(durablePeer.pid!),
      load: (own.user + own.system) / 1e6,
    };
  };
  const callsSince = (before: Record<string, number>, after: Record<string, number>) =>
    Object.fromEntries(Object.entries(after).map(([route, n]) => [route, n - (before[route] ?? 0)]));
  const addCalls = (into: Record<string, number>, more: Record<string, number>) => {
    for (const [route, n] of Object.entries(more)) into[route] = (into[route] ?? 0) + n;
  };
  const sides = [
    { name: 'app', url: appUrl, requests: appCheckout, webhooks: appWebhooks },
    { name: 'peer', url: peerUrl, requests: peerCheckout, webhooks: null },
    { name: 'durable', url: durablePeerUrl, requests: peerCheckout, webhooks: durablePeerWebhooks },
  ] as const;
  for (const s of sides) {
    await stripeCall('enableWebhooksOnly', s.webhooks);
    await attack(s.url, WARMUP, s.requests);
    await pause();
  }
  const measured = sides.map(() => ({ rounds: [] as autocannon.Result[], cpu: noCpu, calls: {} as Record<string, number> }));
  const newConnections: number[] = [];
  for (let i = 0; i < CHECKOUT_PAIRS; i++) {
    for (const [k, s] of sides.entries()) {
      await stripeCall('enableWebhooksOnly', s.webhooks);
      const [cpu0, calls0] = [cpu(), await stripeCall('requestCounts')];
      const probe = s.name === 'app' ? probeNewConnections(`${base}/assets/app.css`) : undefined;
      measured[k]!.rounds.push(await attack(s.url, CHECKOUT_ROUND, s.requests));
      if (probe) newConnections.push(...(await probe.stop()));
      await pause();
      const [cpu1, calls1] = [cpu(), await stripeCall('requestCounts')];
      measured[k]!.cpu = cpuSum(measured[k]!.cpu, cpuSince(cpu0, cpu1));
      addCalls(measured[k]!.calls, callsSince(calls0, calls1));
    }
  }
  await stripeCall('enableWebhooksOnly', appWebhooks);
  const [appM, peerM, durableM] = measured as [(typeof measured)[0], (typeof measured)[0], (typeof measured)[0]];
  const all = cpuSum(cpuSum(appM.cpu, peerM.cpu), durableM.cpu);
  const ok = (r: autocannon.Result) => r.requests.total - r.non2xx;
  const against = (other: typeof appM) => {
    const rounds = appM.rounds.map((a, i) => {
      const p = other.rounds[i]!;
      return { app_rps: ok(a) / CHECKOUT_ROUND, peer_rps: ok(p) / CHECKOUT_ROUND, ratio: Number((ok(a) / Math.max(1, ok(p))).toFixed(3)), app_p99: a.latency.p99, peer_p99: p.latency.p99 };
    });
    const ratios = rounds.map((r) => r.ratio);
    return { ratio: median(ratios), ratio_range: [Math.min(...ratios), Math.max(...ratios)], rounds };
  };
  const pg = driver === 'postgres';
  const appSide = side(appM.rounds, { app: all.app, ...(pg ? { postgres: all.postgres + appM.cpu.postgres_writers + peerM.cpu.postgres_writers } : {}), stripe: appM.cpu.stripe }, appM.calls);
  const peerSide = side(peerM.rounds, { peer: all.peer, stripe: peerM.cpu.stripe }, peerM.calls);
  const durableSide = side(durableM.rounds, { peer: all.durable, ...(pg ? { postgres: all.postgres_peer + durableM.cpu.postgres_writers } : {}), stripe: durableM.cpu.stripe }, durableM.calls);
  const bare = against(peerM);
  const durable = against(durableM);
  return {
    charges,
    round_seconds: CHECKOUT_ROUND,
    ...bare,
    app: appSide,
    peer: peerSide,
    durable: { ...durable, peer: durableSide },
    // A fresh connection's whole answer (GET /assets/app.css) during the app's rounds, ms.
    new_connection_ms: { probes: newConnections.length, p50: percentile(newConnections, 50), p99: percentile(newConnections, 99), max: percentile(newConnections, 100) },
    // The app's webhook handlers re-reading PaymentIntents, in any side's rounds.
    webhook_rereads: measured.flatMap((m) => Object.entries(m.calls)).filter(([route]) => isReread(route)).reduce((s, [, n]) => s + n, 0),
    // The bench process's own CPU: autocannon, per request it sent.
    load_cpu_ms_per_request: {
      app: (appM.cpu.load * 1000) / Math.max(1, appSide.requests),
      peer: (peerM.cpu.load * 1000) / Math.max(1, peerSide.requests),
      durable: (durableM.cpu.load * 1000) / Math.max(1, durableSide.requests),
    },
  };
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

const jobsBody = answered(await apiClient(base).GET('/api/v1/jobs', { parseAs: 'text' }));
const baselinePort = await freePort();
const baseline = await startServer('bench/baseline.ts', baselinePort, String(Buffer.byteLength(jobsBody)));
const baselineUrl = `http://127.0.0.1:${baselinePort}/`;
console.log('bench: /jobs against the baseline…');
const jobsSmall = await paired(`${base}/api/v1/jobs`, baselineUrl);
const jobsHtmlSmall = await paired(`${base}/jobs`, baselineUrl);

console.log('bench: checkouts against the peer…');
await addBuyers();
const peerPort = await freePort();
const peerUrl = `http://127.0.0.1:${peerPort}/checkout`;
const { id: productId, amount, currency, name } = jobListingProduct;
const peer = await startServer('bench/peer.ts', peerPort, stripe.url, stripe.secretKey, productId, String(amount), currency, name);
const durablePeerPort = await freePort();
const durablePeerUrl = `http://127.0.0.1:${durablePeerPort}/checkout`;
const durablePeerWebhooks = `http://127.0.0.1:${durablePeerPort}/webhooks`;
const durablePeer = await startServer('bench/durable-peer.ts', durablePeerPort, stripe.url, stripe.secretKey, SECRET, peerDatabase, productId, String(amount), currency, name);
// Subscribed to the one event it fulfils from; off until its rounds.
await stripeCall('addWebhookEndpoint', durablePeerWebhooks, SECRET, ['payment_intent.succeeded']);
await stripeCall('enableWebhooksOnly', appWebhooks);
const checkoutsSmall = await checkoutsAgainstPeers(SMALL * 10);
await stopApp(app);

console.log(`bench: seeding up to ${ARTICLES} articles and ${CHARGES} charges…`);
results.seed_large_seconds = await seed(SMALL + 1, ARTICLES, CHARGES - SMALL * 10);
app = spawnApp(env);
await waitHealthy(base, app);
const jobsLarge = await paired(`${base}/api/v1/jobs`, baselineUrl);
const jobsHtmlLarge = await paired(`${base}/jobs`, baselineUrl);
const baselineRps = baselineRounds.reduce((s, r) => s + r.requests.total, 0) / ((DURATION / ROUNDS) * baselineRounds.length);
console.log('bench: checkouts against the peer, large dataset…');
const checkoutsLarge = await checkoutsAgainstPeers(CHARGES);
await stripeCall('webhooksIdle');
// Its orders: all paid ones fulfilled from their webhook, once.
results.durable_peer_orders = await (await fetch(durablePeerUrl.replace('/checkout', '/orders/summary'))).json();
{
  // The app's side at the large size, under the names earlier runs used.
  const { cpu_ms_per_checkout: cpu, ...figures } = checkoutsLarge.app;
  results.checkouts = {
    ...figures,
    ratio_to_peer: checkoutsLarge.ratio,
    ratio_to_durable_peer: checkoutsLarge.durable.ratio,
    webhook_rereads: checkoutsLarge.webhook_rereads,
    app_cpu_ms_per_checkout: cpu.app,
    ...(driver === 'postgres' ? { postgres_cpu_ms_per_checkout: cpu.postgres } : {}),
    stripe_cpu_ms_per_checkout: cpu.stripe,
  };
}
results.checkouts_against_peer = { small: checkoutsSmall, large: checkoutsLarge };

// ---- webhooks: signed payment_intent.succeeded events, distinct ids with 20% duplicates ----
// Each names a seeded PaymentIntent whose charge has succeeded, as most such events find it in
// production (the checkout's answer settled it first): the handler reads the batch's charges and
// finds nothing to do, without a call to Stripe.
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
        // The seed's first charges: pi_seed_1_<g>, g from 1 to SMALL * 10, failed when g is a multiple of 20.
        const g = 1 + (Number(id.slice('evt_bench_'.length)) % (SMALL * 10 - 1));
        const intent = { id: `pi_seed_1_${g % 20 === 0 ? g + 1 : g}`, object: 'payment_intent', status: 'succeeded', amount: 2500, currency: 'usd', metadata: {} };
        const payload = JSON.stringify({ id, object: 'event', type: 'payment_intent.succeeded', api_version: STRIPE_API_VERSION, created: Math.floor(Date.now() / 1000), data: { object: intent }, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null } });
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
peer.kill('SIGTERM');
await stopApp(durablePeer);
await new Promise((resolve) => {
  stripeProcess.once('exit', resolve);
  stripeProcess.kill('SIGTERM');
});
rmSync(dataDir, { recursive: true, force: true });
await scratch?.drop();
await peerScratch?.drop();

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
  // Checkouts the other way round (the target: ≥ 0.9), each size's ratio to the peer beside it.
  checkouts_large_over_small: Number((checkoutsLarge.ratio / checkoutsSmall.ratio).toFixed(3)),
  checkouts_large_over_small_durable: Number((checkoutsLarge.durable.ratio / checkoutsSmall.durable.ratio).toFixed(3)),
};
results.run_seconds = Math.round(process.uptime());
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/${QUICK ? 'quick' : 'latest'}${driver === 'postgres' ? '-postgres' : ''}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeReport();
console.log(JSON.stringify(results, null, 2));
