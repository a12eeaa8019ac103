/**
 * `npm run bench [-- --quick] [-- --articles 100000 --charges 1000000]`: seeds a dataset, starts the
 * app (embedded PGlite, or PostgreSQL with DATABASE_URL), the local Stripe (bench/stripe-process.ts),
 * a bare Fastify baseline for the reads and the two checkout peers (bench/peer.ts, bare;
 * bench/durable-peer.ts, which keeps its orders), each a process of its own, then drives them with autocannon from this one. Writes bench/results/latest.json and the
 * tables in docs/benchmarks.md. A benchmark, never part of `npm test`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type autocannon from 'autocannon';
import { handlers } from '../src/payments/webhooks/handlers/index.js';
import { jobListingProduct } from '../src/products/job-listing/product.js';
import { answered, apiClient } from '../scripts/api/client.js';
import { addBuyers, checkoutsAgainstPeers, type CheckoutSides } from './checkouts.js';
import { ADMIN, ARTICLES, CHARGES, CONNECTIONS, DURATION, driver, QUICK, ROUNDS, SECRET, SMALL } from './config.js';
import { seed } from './dataset.js';
import { appEnv, freePort, scratchDatabase, spawnApp, startServer, stopApp, waitHealthy } from './lib.js';
import { median, paired } from './measure.js';
import { writeReport } from './report.js';
import { startStripeProcess } from './stripe-control.js';
import { webhookLoad } from './webhook-load.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'devboard-bench-'));
const scratch = process.env.DATABASE_URL ? await scratchDatabase(`devboard_bench_${process.pid}`) : undefined;
const databaseUrl = scratch?.url ?? '';
// The durable peer's own database (PostgreSQL) or embedded PGlite, so its statements are counted apart.
const peerScratch = process.env.DATABASE_URL ? await scratchDatabase(`devboard_bench_${process.pid}_peer`) : undefined;
const peerDatabase = peerScratch?.url ?? path.join(dataDir, 'durable-peer');
const dbOptions = databaseUrl ? { databaseUrl } : { dataDir: path.join(dataDir, 'pglite') };

const stripe = await startStripeProcess();
const appPort = await freePort();
const base = `http://127.0.0.1:${appPort}`;
const appWebhooks = `${base}/webhooks/stripe`;
// Subscribed to the event types the app handles, as `npm start` registers itself.
await stripe.call('addWebhookEndpoint', appWebhooks, SECRET, Object.keys(handlers));
const env: NodeJS.ProcessEnv = {
  ...appEnv(stripe, SECRET, ADMIN),
  PORT: String(appPort),
  DATA_DIR: dataDir,
  DATABASE_URL: databaseUrl,
  RECONCILE_INTERVAL_MINUTES: '0',
  LOG_LEVEL: 'warn',
};
const baselineRounds: autocannon.Result[] = [];

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  driver,
  quick: QUICK,
  connections: CONNECTIONS,
  window_seconds: DURATION,
};
console.log(`bench: ${driver}, ${QUICK ? 'quick' : 'full'}; seeding ${SMALL} articles…`);
results.seed_small_seconds = await seed(dbOptions, 1, SMALL, SMALL * 10);
let app = spawnApp(env);
await waitHealthy(base, app);

const jobsBody = answered(await apiClient(base).GET('/api/v1/jobs', { parseAs: 'text' }));
const baselinePort = await freePort();
const baseline = await startServer('bench/baseline.ts', baselinePort, String(Buffer.byteLength(jobsBody)));
const baselineUrl = `http://127.0.0.1:${baselinePort}/`;
console.log('bench: /jobs against the baseline…');
const jobsSmall = await paired(`${base}/api/v1/jobs`, baselineUrl, baselineRounds);
const jobsHtmlSmall = await paired(`${base}/jobs`, baselineUrl, baselineRounds);

console.log('bench: checkouts against the peer…');
const { buyers, ...firstBuyerCalls } = await addBuyers(base, stripe);
Object.assign(results, firstBuyerCalls);
const peerPort = await freePort();
const peerUrl = `http://127.0.0.1:${peerPort}/checkout`;
const { id: productId, amount, currency, name } = jobListingProduct;
const peer = await startServer('bench/peer.ts', peerPort, stripe.url, stripe.secretKey, productId, String(amount), currency, name);
const durablePeerPort = await freePort();
const durablePeerUrl = `http://127.0.0.1:${durablePeerPort}/checkout`;
const durablePeerWebhooks = `http://127.0.0.1:${durablePeerPort}/webhooks`;
const durablePeer = await startServer('bench/durable-peer.ts', durablePeerPort, stripe.url, stripe.secretKey, SECRET, peerDatabase, productId, String(amount), currency, name);
const sides: CheckoutSides = {
  base,
  appWebhooks,
  app: () => app,
  stripe,
  peer: { url: peerUrl, process: peer },
  durable: { url: durablePeerUrl, webhooks: durablePeerWebhooks, process: durablePeer },
  postgres: scratch && peerScratch ? { app: scratch.url, peer: peerScratch.url } : undefined,
};
// Subscribed to the one event it fulfils from; off until its rounds.
await stripe.call('addWebhookEndpoint', durablePeerWebhooks, SECRET, ['payment_intent.succeeded']);
await stripe.call('enableWebhooksOnly', appWebhooks);
const checkoutsSmall = await checkoutsAgainstPeers(sides, buyers, SMALL * 10);
await stopApp(app);

console.log(`bench: seeding up to ${ARTICLES} articles and ${CHARGES} charges…`);
results.seed_large_seconds = await seed(dbOptions, SMALL + 1, ARTICLES, CHARGES - SMALL * 10);
app = spawnApp(env);
await waitHealthy(base, app);
const jobsLarge = await paired(`${base}/api/v1/jobs`, baselineUrl, baselineRounds);
const jobsHtmlLarge = await paired(`${base}/jobs`, baselineUrl, baselineRounds);
const baselineRps = baselineRounds.reduce((s, r) => s + r.requests.total, 0) / ((DURATION / ROUNDS) * baselineRounds.length);
console.log('bench: checkouts against the peer, large dataset…');
const checkoutsLarge = await checkoutsAgainstPeers(sides, buyers, CHARGES);
await stripe.call('webhooksIdle');
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

console.log('bench: webhooks…');
results.webhooks = await webhookLoad(base);

await stopApp(app);
baseline.kill('SIGTERM');
peer.kill('SIGTERM');
await stopApp(durablePeer);
await stripe.stop();
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
