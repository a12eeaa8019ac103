/**
 * `npm run bench:startup [-- --rounds 3]` (runs `npm run build` first): how long `npm start`
 * takes to answer its first page (GET / 200, timed from spawn), with the embedded default's settings
 * (PGlite, the local Stripe, demo data): the **first start** on a fresh DATA_DIR (it loads the
 * embedded database's template that the build made, and seeds the demo data), the same with no
 * template in the user's cache (**uncached**: it creates the database and migrates it, then saves
 * the template), a **restart** on the first one's DATA_DIR, and the **compiled production start**
 * (`node dist/src/main.js`, NODE_ENV=production) on it, in alternating rounds.
 * Then each kind once more under `--cpu-prof`: the top contributors, by self time per package or
 * source file over every thread (the app's and the embedded database's worker). Resident memory
 * two seconds after each start, and after 200 requests (/, /jobs, /api/v1/jobs, /login). With
 * DATABASE_URL, on a scratch PostgreSQL database instead (no local Stripe key changes).
 * Writes bench/results/startup.json.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { APP_NODE_FLAGS, arg, freePort, rssMb, scratchDatabase, sleep, stopApp } from './lib.js';

const ROUNDS = arg('rounds', 3);
const TOP = 12;
// The production start runs what `npm run build` makes of these sources.
execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });

type Kind = 'uncached' | 'first' | 'restart' | 'production';
const KINDS: Kind[] = ['uncached', 'first', 'restart', 'production'];
/** A user cache with no embedded database template in it (src/db/client.ts, EmbeddedTemplate). */
const noCache = mkdtempSync(path.join(tmpdir(), 'devboard-startup-cache-'));
const commands: Record<Kind, { args: string[]; env: NodeJS.ProcessEnv }> = {
  uncached: { args: [...APP_NODE_FLAGS, '--import', 'tsx', 'src/main.ts'], env: { NODE_ENV: 'development', XDG_CACHE_HOME: noCache } },
  first: { args: [...APP_NODE_FLAGS, '--import', 'tsx', 'src/main.ts'], env: { NODE_ENV: 'development' } },
  restart: { args: [...APP_NODE_FLAGS, '--import', 'tsx', 'src/main.ts'], env: { NODE_ENV: 'development' } },
  production: { args: [...APP_NODE_FLAGS, '--enable-source-maps', 'dist/src/main.js'], env: { NODE_ENV: 'production' } },
};

interface Started {
  app: ChildProcess;
  base: string;
  firstPageS: number;
}

/** `kind` on `dataDir`, timed from spawn to the first 200 of GET /. */
async function start(kind: Kind, dataDir: string, databaseUrl: string, nodeArgs: string[] = []): Promise<Started> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { STRIPE_SECRET_KEY: _s, STRIPE_PUBLISHABLE_KEY: _p, STRIPE_API_URL: _u, STRIPE_WEBHOOK_SECRET: _w, DEMO_DATA: _d, ...inherited } = process.env;
  const t0 = performance.now();
  const app = spawn(process.execPath, [...nodeArgs, ...commands[kind].args], {
    env: { ...inherited, ...commands[kind].env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: databaseUrl, SESSION_SECRET: 'startup-bench-session-secret-0123456789', LOG_LEVEL: 'warn', RECONCILE_INTERVAL_MINUTES: '0' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (;;) {
    if (app.exitCode !== null) throw new Error(`${kind} start exited with ${app.exitCode}`);
    if (await fetch(`${base}/`).then((r) => r.status === 200, () => false)) break;
    await sleep(20);
  }
  return { app, base, firstPageS: (performance.now() - t0) / 1000 };
}

/** A fresh DATA_DIR (and scratch database with DATABASE_URL) for a first start. */
async function freshStore(name: string) {
  const dataDir = mkdtempSync(path.join(tmpdir(), `devboard-startup-${name}-`));
  const scratch = process.env.DATABASE_URL ? await scratchDatabase(`devboard_startup_${name}_${process.pid}`) : undefined;
  return {
    dataDir,
    url: scratch?.url ?? '',
    drop: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await scratch?.drop();
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const times = Object.fromEntries(KINDS.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
const memory = Object.fromEntries(KINDS.map((k) => [k, []])) as unknown as Record<Kind, Array<{ after_start_mb: number; after_requests_mb: number }>>;
const pages = ['/', '/jobs', '/api/v1/jobs', '/login'];

for (let round = 1; round <= ROUNDS; round++) {
  // The uncached first start on a DATA_DIR of its own (its cache is emptied each round); the others in turn on one.
  const uncached = await freshStore(`u${round}`);
  const store = await freshStore(`r${round}`);
  rmSync(noCache, { recursive: true, force: true });
  for (const kind of KINDS) {
    const { app, base, firstPageS } = await start(kind, kind === 'uncached' ? uncached.dataDir : store.dataDir, kind === 'uncached' ? uncached.url : store.url);
    await sleep(2000);
    const afterStart = rssMb(app.pid!);
    for (let i = 0; i < 200; i++) await (await fetch(`${base}${pages[i % pages.length]}`)).arrayBuffer();
    memory[kind].push({ after_start_mb: Math.round(afterStart), after_requests_mb: Math.round(rssMb(app.pid!)) });
    await stopApp(app);
    times[kind].push(Number(firstPageS.toFixed(2)));
    console.log(`round ${round}\t${kind}\tfirst page ${firstPageS.toFixed(2)} s\tRSS ${afterStart.toFixed(0)} MB after start`);
  }
  await store.drop();
  await uncached.drop();
}

/** Self time per package (node_modules/<name>) or source file, summed over every thread's profile in `dir`. */
function contributors(dir: string): Array<{ where: string; ms: number }> {
  const self = new Map<string, number>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
      nodes: Array<{ id: number; callFrame: { url: string; functionName: string } }>;
      samples: number[];
      timeDeltas: number[];
    };
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const { url, functionName } = byId.get(id)!.callFrame;
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
      if (functionName === '(idle)') return;
      const where = pkg ? pkg : url ? url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '') : `(${functionName || 'native'})`;
      self.set(where, (self.get(where) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    });
  }
  return [...self].map(([where, ms]) => ({ where, ms: Math.round(ms) })).sort((a, b) => b.ms - a.ms).slice(0, TOP);
}

const profiles: Partial<Record<Kind, { first_page_s: number; top: Array<{ where: string; ms: number }> }>> = {};
const profiled = await freshStore('profile-uncached');
const store = await freshStore('profile');
rmSync(noCache, { recursive: true, force: true });
for (const kind of KINDS) {
  const dir = mkdtempSync(path.join(tmpdir(), `devboard-startup-prof-${kind}-`));
  const { app, firstPageS } = await start(kind, kind === 'uncached' ? profiled.dataDir : store.dataDir, kind === 'uncached' ? profiled.url : store.url, ['--cpu-prof', '--cpu-prof-dir', dir]);
  await stopApp(app);
  profiles[kind] = { first_page_s: Number(firstPageS.toFixed(2)), top: contributors(dir) };
  rmSync(dir, { recursive: true, force: true });
  console.log(`\n${kind} start under --cpu-prof (${firstPageS.toFixed(2)} s), self time:`);
  for (const { where, ms } of profiles[kind]!.top) console.log(`  ${String(ms).padStart(6)} ms  ${where}`);
}
await store.drop();
await profiled.drop();
rmSync(noCache, { recursive: true, force: true });

const results = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
  load_average: os.loadavg().map((l) => Number(l.toFixed(2))),
  driver: process.env.DATABASE_URL ? 'postgres' : 'pglite',
  rounds: ROUNDS,
  first_page_seconds: Object.fromEntries((Object.keys(times) as Kind[]).map((k) => [k, { median: median(times[k]), rounds: times[k] }])),
  memory,
  profiles,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/startup${process.env.DATABASE_URL ? '-postgres' : ''}.json`, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nfirst page, median of ${ROUNDS}: first start ${results.first_page_seconds.first!.median} s (no template cached: ${results.first_page_seconds.uncached!.median} s), restart ${results.first_page_seconds.restart!.median} s, production ${results.first_page_seconds.production!.median} s (load average ${results.load_average.join(' ')})`);
