import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import pg from 'pg';
import { type ApiClient, answered, apiClient } from '../scripts/api/client.js';

/** Helpers shared by the benchmark and the soak: free ports, the app as a child process, timing. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** V8's semi-spaces as `npm start` sizes them (package.json; docs/decisions.md says why); the bench's peers get them too. */
export const APP_NODE_FLAGS = ['--max-semi-space-size=32'];

/** The app from its sources; its log (stdout) is dropped unless `showLog`. `nodeArgs` go to Node (e.g. `--cpu-prof`, which NODE_OPTIONS may not carry). */
export function spawnApp(env: NodeJS.ProcessEnv, showLog = false, nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...APP_NODE_FLAGS, ...nodeArgs, '--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', showLog ? 'inherit' : 'ignore', 'inherit'] });
}

export async function waitHealthy(base: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('app did not become healthy');
    await sleep(100);
  }
}

/** A process's resident memory in MB, from /proc (0 once it has ended). */
export function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function stopApp(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

/** A fresh PostgreSQL database next to DATABASE_URL's, for one run; `drop()` removes it. */
export async function scratchDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const server = process.env.DATABASE_URL!;
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    await client.query(statement);
    await client.end();
  };
  await run(`drop database if exists ${name} with (force)`);
  await run(`create database ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

/** What an app process needs to run against a local Stripe with no demo data and no rate limits; callers add port, database and logging. */
export function appEnv(stripe: { secretKey: string; publishableKey: string; url: string }, webhookSecret: string, admin: { email: string; password: string }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOST: '127.0.0.1',
    DEMO_DATA: '0',
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_PUBLISHABLE_KEY: stripe.publishableKey,
    STRIPE_API_URL: stripe.url,
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    RATE_LIMITS: '0',
  };
}

/** The bench's admin (appEnv makes the account), as a client holding their token. */
export async function adminClient(base: string, admin: { email: string; password: string }): Promise<ApiClient> {
  return apiClient(base, answered(await apiClient(base).POST('/api/v1/tokens', { body: admin })).token);
}

/** The bench's buyer `i`, through the API: signed up, allowed by the admin to post jobs, with a job listing posted (not yet paid). */
export async function benchPoster(base: string, admin: ApiClient, i: number): Promise<{ client: ApiClient; token: string; article: number }> {
  const account = { username: `buyer${i}`, email: `buyer${i}@bench.test`, password: 'bench password' };
  const anonymous = apiClient(base);
  const { user } = answered(await anonymous.POST('/api/v1/users', { body: account }));
  const { token } = answered(await anonymous.POST('/api/v1/tokens', { body: { email: account.email, password: account.password } }));
  answered(await admin.POST('/api/v1/admin/users/{id}/permissions', { params: { path: { id: user.id } }, body: { can_post_jobs: true } }));
  const client = apiClient(base, token);
  const { article } = answered(await client.POST('/api/v1/articles', { body: { title: `Bench job ${i}`, body_markdown: 'x', job_listing: true, published: true } }));
  return { client, token, article: article.id };
}


/**
 * A bench server (baseline or peer) as a child process, once it answers on its port (its first
 * argument). It runs with the app's Node flags, so the comparison is of the code, not of V8's settings.
 */
export async function startServer(script: string, port: number, ...args: string[]): Promise<ChildProcess> {
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
