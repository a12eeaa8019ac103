import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../bench/lib.js';
import { openDatabase, queryRows } from '../src/db/client.js';
import { lockDataDir } from '../src/operations/data-lock.js';

/**
 * The operator's commands on the embedded default, as after `npm install && npm start` with nothing
 * configured: PGlite and the in-process local Stripe in DATA_DIR, with demo data paid through checkout.
 */
let dataDir: string;
let env: NodeJS.ProcessEnv;
let base = '';

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  dataDir = mkdtempSync(path.join(tmpdir(), 'devboard-ops-'));
  env = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'error', RECONCILE_INTERVAL_MINUTES: '0' };
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a script of ours to the end, as `npm run` would. */
function run(script: string, args: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...env, ...extraEnv }, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function startServer(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
}

async function waitUp(child: ChildProcess) {
  // Generous: a first start migrates and pays the demo's listings through checkout, slow on a busy machine.
  for (let i = 0; i < 3000; i++) {
    if (child.exitCode !== null) throw new Error('server exited');
    // Up once it has published its control channel (after listening and seeding).
    if (existsSync(path.join(dataDir, 'control.json'))) {
      const res = await fetch(`${base}/healthz`).catch(() => null);
      if (res?.ok) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

it('reconcile, replay and backup ask the running server; a second opener is refused', async () => {
  const server = startServer();
  try {
    await waitUp(server);
    const reconciled = await run('src/operations/reconcile-cli.ts');
    expect(reconciled.stdout).toContain(`by the running server (pid ${server.pid})`);
    expect(reconciled.stdout).toMatch(/ours → Stripe: [1-9]\d* paid charges/);
    expect(reconciled.stdout).toContain('No differences: our database agrees with Stripe in both directions.');
    expect(reconciled.code).toBe(0);

    const replayed = await run('src/operations/replay-cli.ts', ['--failed']);
    expect(replayed.stdout).toContain('Replayed 0 event(s)');
    expect(replayed.code).toBe(0);

    const backup = path.join(dataDir, '..', `${path.basename(dataDir)}-backup.tar.gz`);
    const backedUp = await run('src/operations/backup-cli.ts', ['--out', backup]);
    expect(backedUp.code).toBe(0);
    expect(backedUp.stdout).toContain('from the running server');
    expect(statSync(backup).size).toBeGreaterThan(1000);
    expect(statSync(backup).mode & 0o777).toBe(0o600);

    // A second server, or a CLI that would open the database itself, is refused while this one runs.
    const second = await run('src/main.ts', [], { PORT: String(await freePort()) });
    expect(second.code).toBe(3);
    expect(second.stderr).toContain(`is in use by process ${server.pid} (server (npm start)`);
    const migrate = await run('src/operations/migrate-cli.ts');
    expect(migrate.code).toBe(3);
    const restore = await run('src/operations/restore-cli.ts', [backup]);
    expect(restore.code).toBe(3);
    expect(restore.stderr).toContain('stop it, then restore');

    // The control routes answer only the token from DATA_DIR.
    const forged = await fetch(`${base}/api/internal/control/reconcile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-devboard-control-token': 'f'.repeat(64) },
      body: JSON.stringify({ since: '2020-01-01' }),
    });
    expect(forged.status).toBe(403);
    expect(statSync(path.join(dataDir, 'control.json')).mode & 0o777).toBe(0o600);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  expect(server.exitCode).toBe(0);
  expect(existsSync(path.join(dataDir, 'control.json'))).toBe(false);
  expect(existsSync(path.join(dataDir, 'devboard.lock'))).toBe(false);
}, 600_000);

it('with the server stopped, they open the database and the saved local Stripe; paid rows Stripe never saw fail reconcile', async () => {
  const reconciled = await run('src/operations/reconcile-cli.ts');
  expect(reconciled.stdout).toContain('by this process');
  // The demo's payments are found in the local Stripe's saved state: nothing is unknown.
  expect(reconciled.stdout).toContain('No differences');
  expect(reconciled.code).toBe(0);

  // A process holding DATA_DIR (here: this test) makes the CLIs refuse, with who holds it.
  const lock = lockDataDir(dataDir, 'operations test');
  let database: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    const refused = await run('src/operations/replay-cli.ts', ['--failed']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`is in use by process ${process.pid} (operations test`);
    database = await openDatabase({ dataDir: path.join(dataDir, 'pglite') });
    const [buyer] = await queryRows<{ user_id: number }>(database.db, `select user_id from charges where status = 'succeeded' limit 1`);
    await queryRows(
      database.db,
      `insert into charges (user_id, product, amount, currency, status, idempotency_key, stripe_charge_key, paid_at, created_at, updated_at)
       values (${buyer!.user_id}, 'job_listing', 2500, 'usd', 'succeeded', 'restored-from-elsewhere', 'pi_stripe_never_saw_this', now(), now(), now())`,
    );
  } finally {
    await database?.close();
    lock.release();
  }
  const flagged = await run('src/operations/reconcile-cli.ts');
  expect(flagged.stdout).toMatch(/unknown_at_stripe charge #\d+ \(pi_stripe_never_saw_this\)/);
  expect(flagged.stdout).toContain('1 difference(s) need a person');
  expect(flagged.code).toBe(1);

  // A lock left by a process that is gone (SIGKILL) is stale: taken over, not obeyed.
  const gone = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => gone.once('exit', r));
  writeFileSync(path.join(dataDir, 'devboard.lock'), JSON.stringify({ pid: gone.pid, purpose: 'killed server', since: new Date().toISOString() }));
  const replayed = await run('src/operations/replay-cli.ts', ['--failed']);
  expect(replayed.code).toBe(0);
  expect(existsSync(path.join(dataDir, 'devboard.lock'))).toBe(false);

  // Restoring the backup taken while the server ran brings back the database without the stray row.
  const backup = path.join(dataDir, '..', `${path.basename(dataDir)}-backup.tar.gz`);
  const restored = await run('src/operations/restore-cli.ts', [backup]);
  expect(restored.code).toBe(0);
  expect(restored.stdout).toMatch(/kept in .*pglite\.before-restore-/);
  const clean = await run('src/operations/reconcile-cli.ts');
  expect(clean.code).toBe(0);
  expect(clean.stdout).toContain('No differences');
  rmSync(backup, { force: true });
  expect(readFileSync(path.join(dataDir, 'local-stripe.json'), 'utf8').length).toBeGreaterThan(100);
}, 600_000);
