import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpiringCache } from '../src/cache.js';
import { loadConfig } from '../src/config.js';
import { type Database, migrationsFolder, openDatabase, queryRows } from '../src/db/client.js';
import { latestMigrationMillis, migrationsCurrent } from '../src/operations/metrics.js';
import { PeriodicTaskRunner } from '../src/operations/periodic.js';
import { FormClient, csrfFrom } from './helpers/browser-form.js';
import { json, member, secondInstance, startTestApp, type TestApp } from './helpers/app.js';
import { withDatabase } from './helpers/global-setup.js';

/** Several app instances on one database behave as one site (docs/operations.md, "Several instances"). */
let t: TestApp;
let second: Awaited<ReturnType<typeof secondInstance>>;

beforeAll(async () => {
  t = await startTestApp({ rateLimits: true });
  second = await secondInstance(t, { rateLimits: true });
});
afterAll(async () => {
  await second.close();
  await t.close();
});

describe('periodic tasks across instances', () => {
  it('runs a task on one instance at a time, once per interval across them', async () => {
    let running = 0;
    let mostAtOnce = 0;
    let runs = 0;
    let finishFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (finishFirst = resolve));
    const task = (hold?: Promise<void>) => ({
      name: 'test-task',
      intervalMs: 60_000,
      run: async () => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        runs++;
        await hold;
        running--;
      },
    });
    const onFirst = new PeriodicTaskRunner(t.database, t.clock, task(firstHolds));
    const onSecond = new PeriodicTaskRunner(second.database, t.clock, task());

    const first = onFirst.tick();
    await expect.poll(() => runs).toBe(1);
    // While the first instance runs it, the second's check finds it busy and does not wait.
    expect(await onSecond.tick()).toBe('busy');
    finishFirst();
    expect(await first).toBe('ran');
    // Run less than an interval ago, by whichever instance: not due.
    expect(await onSecond.tick()).toBe('not_due');
    t.clock.advance(59_999);
    expect(await onSecond.tick()).toBe('not_due');
    t.clock.advance(1);
    expect(await onSecond.tick()).toBe('ran');
    expect(await onFirst.tick()).toBe('not_due');
    expect({ runs, mostAtOnce }).toEqual({ runs: 2, mostAtOnce: 1 });
    const [row] = await queryRows<{ finished: boolean }>(t.database.db, "select finished_at is not null as finished from periodic_runs where name = 'test-task'");
    expect(row?.finished).toBe(true);
  });

  it('tries a failed run again after the interval, not at the next check', async () => {
    let attempts = 0;
    const runner = new PeriodicTaskRunner(second.database, t.clock, {
      name: 'failing-task',
      intervalMs: 10_000,
      run: async () => {
        attempts++;
        throw new Error('Stripe unreachable');
      },
    });
    await expect(runner.tick()).rejects.toThrow('Stripe unreachable');
    expect(await runner.tick()).toBe('not_due');
    t.clock.advance(10_000);
    await expect(runner.tick()).rejects.toThrow('Stripe unreachable');
    expect(attempts).toBe(2);
  });
});

describe('rate limits across instances', () => {
  it('counts requests to either instance against one limit, and opens again after the window', async () => {
    const tryLogin = (i: number) =>
      (i % 2 ? second.app : t.app).inject({ method: 'POST', url: '/api/v1/tokens', payload: { email: `nobody${i}@example.test`, password: 'wrong password' } });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await tryLogin(i)).statusCode);
    // Ten a minute per client in all, not ten per instance.
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
    expect((await tryLogin(12)).statusCode).toBe(429);
    t.clock.advance(60_000);
    expect((await tryLogin(13)).statusCode).toBe(401);
  });
});

describe('sessions across instances', () => {
  it('signs in with a form served by one instance, posted to another, and stays signed in on the first', async () => {
    const m = await member(t.app);
    const onFirst = new FormClient(t.app);
    const csrf = csrfFrom((await onFirst.get('/login')).body);
    const login = await second.app.inject({
      method: 'POST',
      url: '/login',
      headers: { cookie: onFirst.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email: m.email, password: m.password, _csrf: csrf }).toString(),
    });
    expect(login.statusCode).toBe(303);
    const sid = (login.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'sid')?.value;
    expect(sid).toBeTruthy();
    const me = await t.app.inject({ method: 'GET', url: '/dashboard', headers: { cookie: `sid=${sid}` } });
    expect(me.statusCode).toBe(200);
    expect(me.body).toContain(m.username);
    // Signed out on the second instance: the session is gone on the first too.
    const dashboard = await second.app.inject({ method: 'GET', url: '/dashboard', headers: { cookie: `sid=${sid}` } });
    const logout = await second.app.inject({
      method: 'POST',
      url: '/logout',
      headers: { cookie: `sid=${sid}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrfFrom(dashboard.body) }).toString(),
    });
    expect(logout.statusCode).toBe(303);
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `sid=${sid}`, accept: 'application/json' } })).error?.code).toBe('unauthenticated');
  });

  it('refuses to start in production on PostgreSQL without a shared SESSION_SECRET', () => {
    const env = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db.internal/devboard', DATA_DIR: '/nonexistent/devboard' };
    expect(() => loadConfig(env)).toThrow(/SESSION_SECRET: required in production with DATABASE_URL/);
    expect(loadConfig({ ...env, SESSION_SECRET: 's'.repeat(32) }).sessionSecret).toBe('s'.repeat(32));
  });
});

describe('caches across instances', () => {
  it('serves an entry for at most its TTL, whatever other instances write meanwhile', async () => {
    const cache = new ExpiringCache<string>(1000);
    let version = 'v1';
    const load = async () => ({ value: version, expiresAt: null });
    const at = t.clock.now().getTime();
    expect(await cache.get('jobs', new Date(at), load)).toBe('v1');
    version = 'v2'; // written by another instance: nothing tells this one
    expect(await cache.get('jobs', new Date(at + 999), load)).toBe('v1');
    expect(await cache.get('jobs', new Date(at + 1000), load)).toBe('v2');
  });
});

describe('migrations on deploy', () => {
  let empty: { open(): Promise<Database>; drop(): Promise<void> };

  beforeAll(async () => {
    const url = process.env.DATABASE_URL;
    if (!url) {
      // PGlite is opened by one process: two instances there are two callers on one database object.
      const only = await openDatabase({ dataDir: 'memory://' });
      empty = { open: async () => only, drop: () => only.close() };
      return;
    }
    const name = `devboard_empty_${randomBytes(4).toString('hex')}`;
    const admin = async (statement: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(statement);
      await client.end();
    };
    await admin(`create database ${name}`);
    empty = { open: () => openDatabase({ databaseUrl: withDatabase(url, name), poolSize: 2 }), drop: () => admin(`drop database if exists ${name} with (force)`) };
  });
  afterAll(() => empty.drop());

  it('lets instances that start together on an empty database apply every migration once', async () => {
    const instances = await Promise.all([empty.open(), empty.open(), empty.open()]);
    await Promise.all(instances.map((d) => d.migrate()));
    expect(await migrationsCurrent(instances[0]!.db, latestMigrationMillis())).toBe(true);
    const [applied] = await queryRows<{ n: number; distinct: number }>(instances[0]!.db, 'select count(*)::int as n, count(distinct hash)::int as distinct from drizzle.__drizzle_migrations');
    const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as { entries: unknown[] };
    expect(applied).toEqual({ n: journal.entries.length, distinct: journal.entries.length });
    for (const d of new Set(instances)) if (process.env.DATABASE_URL) await d.close();
  });
});
