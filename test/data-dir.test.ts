import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../bench/lib.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'devboard-data-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function walk(p: string, out: Array<{ path: string; mode: number; dir: boolean }> = []) {
  const stat = lstatSync(p);
  out.push({ path: path.relative(dataDir, p) || '.', mode: stat.mode & 0o777, dir: stat.isDirectory() });
  if (stat.isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name), out);
  return out;
}

it('keeps DATA_DIR and everything in it private to the user: the embedded database, the local Stripe, mail, secrets', async () => {
  // As an older version left it: the directory and a generated secret readable by everyone.
  chmodSync(dataDir, 0o755);
  writeFileSync(path.join(dataDir, 'session-secret'), 'a'.repeat(64), { mode: 0o644 });
  chmodSync(path.join(dataDir, 'session-secret'), 0o644);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    DEMO_DATA: '0',
    RECONCILE_INTERVAL_MINUTES: '0',
    LOG_LEVEL: 'error',
  };
  for (const key of ['STRIPE_SECRET_KEY', 'STRIPE_PUBLISHABLE_KEY', 'STRIPE_API_URL', 'STRIPE_WEBHOOK_SECRET', 'SMTP_URL', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'SESSION_SECRET']) delete env[key];
  // The parent's umask is the usual 022: the app must not rely on it.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    let up = false;
    for (let i = 0; i < 2400 && !up && child.exitCode === null; i++) {
      up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    expect(up).toBe(true);
    // A member asks for a password reset: the e-mail is written under DATA_DIR/mail.
    const base = `http://127.0.0.1:${port}`;
    const signup = await fetch(`${base}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'private', email: 'private@example.test', password: 'long enough' }),
    });
    expect(signup.status).toBe(201);
    const form = await fetch(`${base}/password-reset`);
    const csrf = (await form.text()).match(/name="_csrf" value="([^"]+)"/)![1]!;
    const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const asked = await fetch(`${base}/password-reset`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'private@example.test', _csrf: csrf }).toString(),
    });
    expect(asked.status).toBe(200);
    const mailDir = path.join(dataDir, 'mail');
    for (let i = 0; i < 100 && !(existsSync(mailDir) && readdirSync(mailDir).length > 0); i++) await new Promise((r) => setTimeout(r, 100));
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const entries = walk(dataDir);
  const names = entries.map((e) => e.path);
  expect(names).toEqual(expect.arrayContaining(['session-secret', 'local-stripe.json', 'pglite', 'mail']));
  expect(names.filter((n) => n.startsWith('mail/') && n.endsWith('.eml')).length).toBeGreaterThan(0);
  expect(names.filter((n) => n.startsWith('pglite/')).length).toBeGreaterThan(10);
  const open = entries.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600)).map((e) => `${e.path} ${e.mode.toString(8)}`);
  expect(open).toEqual([]);
}, 360_000);

it('releases DATA_DIR on SIGINT (Ctrl-C) as on SIGTERM, even during start-up', async () => {
  const own = mkdtempSync(path.join(tmpdir(), 'devboard-sigint-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: own, DATABASE_URL: '', DEMO_DATA: '0', RECONCILE_INTERVAL_MINUTES: '0', LOG_LEVEL: 'error' };
  for (const key of ['STRIPE_SECRET_KEY', 'STRIPE_PUBLISHABLE_KEY', 'STRIPE_API_URL', 'STRIPE_WEBHOOK_SECRET', 'SMTP_URL', 'SESSION_SECRET']) delete env[key];
  try {
    // As `npm start` runs it in development: one Node process with tsx's loader, so a signal reaches
    // the app itself (the tsx command's relay SIGKILLs a child busy for more than 60 ms).
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Ctrl-C while it starts (the lock taken, the server not yet listening), the moment a slow
    // start leaves the widest open.
    for (let i = 0; i < 2400 && !existsSync(path.join(own, 'devboard.lock')) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(path.join(own, 'devboard.lock'))).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(path.join(own, 'devboard.lock'))).toBe(false);
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
}, 360_000);
