/**
 * `npm run bench:checkout-cpu [-- --seconds 10 --profile --all-events]`: where the app's CPU goes per checkout.
 * Returning buyers pay with a saved card (as in `npm run bench`), 50 connections, through a local
 * Stripe; the webhooks each checkout causes arrive and are processed by the same app (the types it
 * handles or, with `--all-events`, every type, as `stripe listen --forward-to` sends them). Prints the
 * app's (and PostgreSQL's) CPU per checkout from /proc over the measured window, the statements the
 * app sent per checkout (counted in the app by bench/statement-counter.mjs, PostgreSQL only) and,
 * with `--profile`, the app's `--cpu-prof` samples of the window by where the time went.
 * A measurement, never part of `npm test`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { startLocalStripe } from '../local-stripe/index.js';
import { handlers } from '../src/payments/webhooks/handlers/index.js';
import { answered } from '../scripts/api/client.js';
import { adminClient, appEnv, arg, benchPoster, flag, freePort, rssMb, scratchDatabase, sleep, spawnApp, stopApp, waitHealthy } from './lib.js';

const SECONDS = arg('seconds', 10);
const WARMUP = arg('warmup', 3);
const CONNECTIONS = arg('connections', 50);
const PROFILE = flag('profile');
const ALL_EVENTS = flag('all-events');
const SECRET = 'whsec_bench_secret';
const ADMIN = { email: 'bench-admin@bench.test', password: 'bench admin password' };

/** Where the profile counts each package's time. */
const PACKAGES: Record<string, string> = {
  fastify: 'Fastify (routing, hooks, reply)',
  'find-my-way': 'Fastify (routing, hooks, reply)',
  avvio: 'Fastify (routing, hooks, reply)',
  'fast-json-stringify': 'Fastify (routing, hooks, reply)',
  '@fastify/cookie': 'Fastify (routing, hooks, reply)',
  '@fastify/formbody': 'Fastify (routing, hooks, reply)',
  '@fastify/rate-limit': 'Fastify (routing, hooks, reply)',
  'secure-json-parse': 'Fastify (routing, hooks, reply)',
  helmet: 'helmet headers',
  pg: 'node-postgres driver',
  'pg-protocol': 'node-postgres driver',
  'pg-types': 'node-postgres driver',
  'pg-pool': 'node-postgres driver',
  'postgres-date': 'node-postgres driver',
  'drizzle-orm': 'Drizzle (query building, row mapping)',
  stripe: 'Stripe SDK request path',
  zod: 'zod validation',
  pino: 'logging',
  'sonic-boom': 'logging',
  nodemailer: 'receipt e-mail (nodemailer)',
  'prom-client': 'metrics',
};

const work = mkdtempSync(path.join(os.tmpdir(), 'devboard-checkout-cpu-'));
const scratch = process.env.DATABASE_URL ? await scratchDatabase(`devboard_checkout_cpu_${process.pid}`) : undefined;
const countsFile = path.join(work, 'statements.json');
const profileDir = path.join(work, 'profile');
const stripe = await startLocalStripe({ webhookRetryBaseMs: 500 });
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
stripe.addWebhookEndpoint(`${base}/webhooks/stripe`, SECRET, ALL_EVENTS ? ['*'] : Object.keys(handlers));
const app = spawnApp(
  {
    ...appEnv(stripe, SECRET, ADMIN),
    PORT: String(port),
    DATA_DIR: path.join(work, 'data'),
    DATABASE_URL: scratch?.url ?? '',
    RECONCILE_INTERVAL_MINUTES: '0',
    LOG_LEVEL: 'warn',
    STATEMENT_COUNTS_FILE: countsFile,
  },
  false,
  [...(scratch ? ['--import', path.resolve('bench/statement-counter.mjs')] : []), ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
);
await waitHealthy(base, app);

// ---- 50 returning buyers, each with a job listing and a saved card ----
const admin = await adminClient(base, ADMIN);
const buyers: Array<{ token: string; card: string; article: number }> = [];
for (let i = 0; i < CONNECTIONS; i++) {
  const { client, token, article } = await benchPoster(base, admin, i);
  const first = await client.POST('/api/v1/charges', { body: { product: 'job_listing', article_id: article, payment_method: 'pm_card_visa', save_card: true } });
  if (first.data?.charge.status !== 'succeeded') throw new Error(`first payment failed: ${JSON.stringify(first.error ?? first.data)}`);
  const [card] = answered(await client.GET('/api/v1/payment_methods')).payment_methods;
  if (!card) throw new Error('the first payment saved no card');
  buyers.push({ token, card: card.id, article });
}
await stripe.webhooks.idle();

let next = 0;
const attack = (seconds: number) =>
  new Promise<autocannon.Result>((resolve, reject) =>
    autocannon(
      {
        url: `${base}/api/v1/charges`,
        connections: CONNECTIONS,
        duration: seconds,
        method: 'POST',
        setupClient: (client) => {
          const buyer = buyers[next++ % buyers.length]!;
          client.setHeaders({ 'content-type': 'application/json', authorization: `Bearer ${buyer.token}` });
          client.setBody(JSON.stringify({ product: 'job_listing', article_id: buyer.article, payment_method: buyer.card }));
        },
        requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'idempotency-key': randomUUID() } }) }],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    ),
  );

/** User and system (kernel: syscalls, and the loopback TCP stack they run) CPU seconds from /proc. */
function cpuSplit(pid: number | string): { user: number; system: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
  } catch {
    return { user: 0, system: 0 };
  }
}
function cpuSeconds(pid: number | string): number {
  const { user, system } = cpuSplit(pid);
  return user + system;
}
const splitTotal = ({ user, system }: { user: number; system: number }) => user + system;
/** CPU seconds of each of the app's threads by thread id (the main thread's id is the process id). */
function threadCpuSeconds(pid: number): Map<string, number> {
  const threads = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) threads.set(tid, cpuSeconds(`${pid}/task/${tid}`));
  return threads;
}
/**
 * The app's CPU per checkout by thread: the main thread (HTTP, the app's code, the drivers), the
 * busiest other thread (with PGlite, the database's worker thread) and the rest together (V8's
 * garbage collection and compiler threads, libuv's pool: file writes, crypto).
 */
function threadsPerCheckout(before: Map<string, number>, after: Map<string, number>, perCheckout: (s: number) => number) {
  const main = String(app.pid);
  const deltas = [...after].map(([tid, s]) => [tid, s - (before.get(tid) ?? 0)] as const).filter(([tid]) => tid !== main);
  const busiest = deltas.sort((a, b) => b[1] - a[1])[0];
  return {
    main: perCheckout((after.get(main) ?? 0) - (before.get(main) ?? 0)),
    busiest_other: perCheckout(busiest?.[1] ?? 0),
    rest: perCheckout(deltas.slice(1).reduce((sum, [, s]) => sum + s, 0)),
  };
}
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
async function statementCounts(): Promise<Record<string, number>> {
  if (!scratch) return {};
  rmSync(countsFile, { force: true });
  app.kill('SIGUSR2');
  for (let i = 0; i < 50; i++) {
    try {
      return JSON.parse(readFileSync(countsFile, 'utf8'));
    } catch {
      await sleep(20);
    }
  }
  throw new Error('no statement counts from the app');
}

/**
 * The events the app has stored, and the rows it has inserted, updated and deleted in each table
 * (PostgreSQL only, from pg_stat_user_tables: the app's idle connections report within a second).
 */
async function tableCounts(): Promise<{ events: number; rows: Map<string, number> }> {
  if (!scratch) return { events: 0, rows: new Map() };
  await sleep(2_000);
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  const events = (await client.query<{ n: number }>('select count(*)::int as n from stripe_events')).rows[0]!.n;
  const { rows } = await client.query<{ relname: string; n: string }>('select relname, n_tup_ins + n_tup_upd + n_tup_del as n from pg_stat_user_tables');
  await client.end();
  return { events, rows: new Map(rows.map((r) => [r.relname, Number(r.n)])) };
}

/** Until the local Stripe has delivered every webhook and the app's inbox is empty. */
async function settled() {
  await stripe.webhooks.idle();
  while ((await (await fetch(`${base}/healthz`)).json()).webhook_inbox.unprocessed > 0) await sleep(50);
}

await attack(WARMUP);
// The window includes the webhooks its checkouts cause: it ends when they have all been processed.
await settled();
const statementsBefore = await statementCounts();
const tablesBefore = await tableCounts();
stripe.requestCounts.clear();
const cpuBefore = { split: cpuSplit(app.pid!), threads: threadCpuSeconds(app.pid!), postgres: scratch ? postgresCpuSeconds() : 0 };
const windowStart = process.hrtime.bigint() / 1000n;
const result = await attack(SECONDS);
await settled();
const windowEnd = process.hrtime.bigint() / 1000n;
const cpuAfter = { split: cpuSplit(app.pid!), threads: threadCpuSeconds(app.pid!), postgres: scratch ? postgresCpuSeconds() : 0 };
const statementsAfter = await statementCounts();
const tablesAfter = await tableCounts();
// Resident memory after the load: what larger semi-spaces (--max-semi-space-size) cost.
const rssAfter = rssMb(app.pid!);
const checkouts = result.requests.total - result.non2xx;
const perCheckout = (seconds: number) => Number(((seconds * 1000) / checkouts).toFixed(3));

// Every call the app made to the local Stripe in the window, per checkout: the create, and any re-read a webhook caused.
const stripeCalls = Object.fromEntries([...stripe.requestCounts].map(([route, n]) => [route, Number((n / checkouts).toFixed(3))]));
const statements = Object.entries(statementsAfter)
  .map(([name, n]) => [name, n - (statementsBefore[name] ?? 0)] as const)
  .filter(([, n]) => n > 0)
  .sort((a, b) => b[1] - a[1]);
const report: Record<string, unknown> = {
  checkouts,
  non2xx: result.non2xx,
  rps: result.requests.average,
  p99_ms: result.latency.p99,
  app_cpu_ms_per_checkout: perCheckout(splitTotal(cpuAfter.split) - splitTotal(cpuBefore.split)),
  app_cpu_ms_per_checkout_by_thread: threadsPerCheckout(cpuBefore.threads, cpuAfter.threads, perCheckout),
  app_cpu_ms_per_checkout_user_system: {
    user: perCheckout(cpuAfter.split.user - cpuBefore.split.user),
    system: perCheckout(cpuAfter.split.system - cpuBefore.split.system),
  },
  app_rss_mb_after: Math.round(rssAfter),
  stripe_calls_per_checkout: stripeCalls,
  ...(scratch
    ? {
        events_per_checkout: Number(((tablesAfter.events - tablesBefore.events) / checkouts).toFixed(3)),
        rows_written_per_checkout: Object.fromEntries(
          [...tablesAfter.rows]
            .map(([table, n]) => [table, Number(((n - (tablesBefore.rows.get(table) ?? 0)) / checkouts).toFixed(3))] as const)
            .filter(([, n]) => n > 0)
            .sort((a, b) => b[1] - a[1]),
        ),
      }
    : {}),
  ...(scratch ? { postgres_cpu_ms_per_checkout: perCheckout(cpuAfter.postgres - cpuBefore.postgres) } : {}),
  ...(scratch
    ? {
        statements_per_checkout: Number((statements.reduce((s, [, n]) => s + n, 0) / checkouts).toFixed(2)),
        statements: Object.fromEntries(statements.map(([name, n]) => [name, Number((n / checkouts).toFixed(3))])),
      }
    : {}),
};

await stopApp(app);
if (PROFILE) {
  // Kept for a closer look (Chrome DevTools, or by the window's bounds on V8's clock, in µs).
  const kept = path.join(os.tmpdir(), `devboard-checkout-${process.pid}.cpuprofile`);
  // The main thread's (thread id 0): the markdown worker thread writes one of its own.
  renameSync(path.join(profileDir, readdirSync(profileDir).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))!), kept);
  for (const f of readdirSync(profileDir)) renameSync(path.join(profileDir, f), path.join(os.tmpdir(), `devboard-thread-${f}`));
  report.profile = profileByCategory(kept, windowStart, windowEnd);
  report.profile_file = { path: kept, window_us: [String(windowStart), String(windowEnd)] };
}
await stripe.close();
await scratch?.drop();
rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify(report, null, 2));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/**
 * Where a sample's time goes: to the nearest frame (leaf upwards) that belongs to a package or to
 * one of our rooms; Node's own internals and built-ins (crypto, sockets, JSON) count for whoever
 * called them. Samples of the measured window only (V8's profile clock is CLOCK_MONOTONIC, as is
 * process.hrtime); idle samples are left out, so the shares are of the time the app was busy.
 */
function profileByCategory(file: string, from: bigint, to: bigint) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] };
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const categoryCache = new Map<number, string>();
  const categoryOf = (id: number): string => {
    const cached = categoryCache.get(id);
    if (cached) return cached;
    const leaf = byId.get(id)!.callFrame;
    let category: string | undefined;
    if (leaf.functionName === '(garbage collector)') category = 'garbage collection';
    else if (leaf.functionName === '(program)') category = 'V8 and native (program)';
    else if (leaf.functionName === '(idle)') category = 'idle';
    for (let at: number | undefined = id; !category && at !== undefined; at = parent.get(at)) category = owner(byId.get(at)!.callFrame.url);
    category ??= `node: ${leaf.url.replace(/^node:(internal\/)?/, '').split('/')[0] || leaf.functionName || 'other'}`;
    categoryCache.set(id, category);
    return category;
  };
  const totals = new Map<string, number>();
  let t = BigInt(profile.startTime);
  for (let i = 0; i < profile.samples.length; i++) {
    t += BigInt(profile.timeDeltas[i]!);
    if (t < from || t > to) continue;
    const category = categoryOf(profile.samples[i]!);
    if (category !== 'idle') totals.set(category, (totals.get(category) ?? 0) + profile.timeDeltas[i]!);
  }
  const busy = [...totals.values()].reduce((s, v) => s + v, 0);
  return Object.fromEntries([...totals].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, `${((v / busy) * 100).toFixed(1)}%`]));
}

function owner(url: string): string | undefined {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return PACKAGES[pkg] ?? `package ${pkg}`;
  const room = /\/(src|local-stripe)\/(.+)$/.exec(url);
  if (room) return room[1] === 'local-stripe' ? 'local Stripe' : roomOf(room[2]!);
  return undefined;
}

function roomOf(file: string): string {
  if (file.startsWith('accounts/')) return 'auth (token lookup, user)';
  if (file.startsWith('payments/webhooks/')) return 'webhooks (inbox, worker, handlers)';
  if (file.startsWith('payments/receipts')) return 'receipts';
  if (file.startsWith('audit/')) return 'audit';
  if (file.startsWith('payments/')) return `payments: ${file.slice('payments/'.length).replace(/\.tsx?$/, '')}`;
  if (file.startsWith('db/')) return 'db (prepared statements)';
  return `app: ${file.replace(/\.tsx?$/, '')}`;
}
