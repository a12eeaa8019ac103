/**
 * `npm run bench:startup [-- --rounds 3]` (after `npm run build`): start time and memory of the
 * compiled build (`node dist/src/main.js`, NODE_ENV=production) against the sources under tsx
 * (`node --import tsx src/main.ts`), alternating, on one embedded DATA_DIR that already exists (so
 * neither pays for creating the database), no demo data. For each start: seconds from spawn to
 * /readyz 200, the process's resident memory two seconds later, and again after 200 requests
 * (/, /jobs, /api/v1/jobs, /login, /articles/:id). With DATABASE_URL, on a scratch PostgreSQL
 * database beside it instead.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { APP_NODE_FLAGS, arg, freePort, rssMb, scratchDatabase, sleep, stopApp } from './lib.js';

const ROUNDS = arg('rounds', 3);
const dataDir = mkdtempSync(path.join(tmpdir(), 'devboard-startup-'));
const scratch = process.env.DATABASE_URL ? await scratchDatabase(`devboard_startup_${process.pid}`) : undefined;
const admin = { email: 'startup@bench.test', password: 'startup bench password' };
const variants = {
  compiled: { args: [...APP_NODE_FLAGS, '--enable-source-maps', 'dist/src/main.js'], env: { NODE_ENV: 'production' } },
  tsx: { args: [...APP_NODE_FLAGS, '--import', 'tsx', 'src/main.ts'], env: { NODE_ENV: 'development' } },
} as const;

async function start(variant: keyof typeof variants): Promise<{ app: ChildProcess; base: string; readyS: number }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const app = spawn(process.execPath, variants[variant].args, {
    env: { ...process.env, ...variants[variant].env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: scratch?.url ?? '', SESSION_SECRET: 'startup-bench-session-secret-0123456789', DEMO_DATA: '0', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password, LOG_LEVEL: 'warn', RECONCILE_INTERVAL_MINUTES: '0' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (;;) {
    if (app.exitCode !== null) throw new Error(`${variant} exited with ${app.exitCode}`);
    if (await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false)) break;
    await sleep(100);
  }
  return { app, base, readyS: (performance.now() - t0) / 1000 };
}

// A first start creates and migrates the database and an article to read; the measured starts follow.
const first = await start('compiled');
const token = ((await (await fetch(`${first.base}/api/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin) })).json()) as { token: string }).token;
const created = await fetch(`${first.base}/api/v1/articles`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify({ title: 'Start-up bench', body_markdown: 'Some **Markdown**.', published: true }),
});
const articleId = ((await created.json()) as { article: { id: number } }).article.id;
await stopApp(first.app);

const pages = ['/', '/jobs', '/api/v1/jobs', '/login', `/articles/${articleId}`];
const rows: string[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const variant of ['compiled', 'tsx'] as const) {
    const { app, base, readyS } = await start(variant);
    await sleep(2000);
    const afterStart = rssMb(app.pid!);
    for (let i = 0; i < 200; i++) await (await fetch(`${base}${pages[i % pages.length]}`)).arrayBuffer();
    const afterRequests = rssMb(app.pid!);
    await stopApp(app);
    const row = `${variant}\tround ${round}\tready ${readyS.toFixed(1)} s\tRSS ${afterStart.toFixed(0)} MB after start, ${afterRequests.toFixed(0)} MB after 200 requests`;
    rows.push(row);
    console.log(row);
  }
}
rmSync(dataDir, { recursive: true, force: true });
await scratch?.drop();
