import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { openDatabase, queryRows } from '../src/db/client.js';
import { freshDatabase } from './helpers/db.js';
import { withDatabase } from './helpers/global-setup.js';

const url = process.env.DATABASE_URL;

describe.runIf(url)('PostgreSQL connection pool', () => {
  it('survives its idle connections being killed and leaves none open once closed', async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const name = `${inject('pgTemplateDb')}_${randomBytes(4).toString('hex')}`;
    await admin.query(`create database ${name} template ${inject('pgTemplateDb')}`);
    try {
      const lost: string[] = [];
      const database = await openDatabase({ databaseUrl: withDatabase(url as string, name), poolSize: 3, onConnectionError: (e) => lost.push(e.message) });
      await Promise.all([1, 2, 3].map(() => queryRows(database.db, 'select pg_sleep(0.05)')));

      const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
      expect(killed.rowCount).toBe(3);
      for (let i = 0; i < 50 && lost.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(lost).toHaveLength(3);
      expect(lost[0]).toMatch(/terminat/);

      // The pool replaced them: queries go on working.
      expect(await queryRows(database.db, 'select 1 as one')).toEqual([{ one: 1 }]);
      // Vacuuming is autovacuum's job on PostgreSQL.
      expect(await database.maintain()).toEqual([]);

      await database.close();
      const left = await admin.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
      expect(left.rows[0].n).toBe(0);
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});

describe.skipIf(url)('embedded PGlite on its worker thread', () => {
  it('returns values typed as PGlite types them, and errors with their SQLSTATE fields', async () => {
    const database = await freshDatabase();
    try {
      const [row] = await queryRows<Record<string, unknown>>(database.db, sql`select 9007199254740993::int8 as big, '{"a":[1]}'::jsonb as doc, '\\x0102'::bytea as bytes, timestamptz '2026-01-02 03:04:05+00' as at`);
      expect(row).toEqual({ big: 9007199254740993n, doc: { a: [1] }, bytes: new Uint8Array([1, 2]), at: '2026-01-02 03:04:05+00' });

      await database.db.execute(sql`create table worker_probe (n int primary key)`);
      const failed = await database.db
        .transaction(async (tx) => {
          await tx.execute(sql`insert into worker_probe values (1)`);
          await tx.execute(sql`insert into worker_probe values (1)`);
        })
        .catch((error: { cause?: Record<string, unknown> }) => error);
      expect(failed).toMatchObject({ cause: { code: '23505', constraint: 'worker_probe_pkey', table: 'worker_probe', detail: 'Key (n)=(1) already exists.' } });
      // The transaction rolled back; a nested one that fails rolls back to its savepoint only.
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into worker_probe values (2)`);
        await expect(tx.transaction((nested) => nested.execute(sql`insert into worker_probe values (2)`))).rejects.toThrow();
      });
      expect(await queryRows(database.db, sql`select n from worker_probe`)).toEqual([{ n: 2 }]);
    } finally {
      await database.close();
    }
  });

  it('vacuums and analyzes the tables autovacuum would, which never runs in PGlite, and leaves the rest', async () => {
    const database = await freshDatabase();
    try {
      const stats = async (table: string) =>
        (
          await queryRows<{ dead: number; vacuumed: boolean; analyzed: boolean }>(
            database.db,
            sql`select n_dead_tup::int as dead, last_vacuum is not null as vacuumed, last_analyze is not null as analyzed from pg_stat_user_tables where relname = ${table}`,
          )
        )[0]!;
      await database.db.execute(sql`create table churned (n int primary key, v int)`);
      await database.db.execute(sql`create table quiet (n int primary key)`);
      await database.db.execute(sql`insert into churned select g, 0 from generate_series(1, 2000) g`);
      await database.db.execute(sql`insert into quiet values (1)`);
      await database.maintain();
      for (let i = 0; i < 3; i++) await database.db.execute(sql`update churned set v = v + 1`);
      // Statistics reach pg_stat_user_tables at most once a second; the rule reads them from there.
      await database.db.execute(sql`select pg_stat_force_next_flush()`);
      expect((await stats('churned')).dead).toBeGreaterThan(1000);

      const done = await database.maintain();
      expect(done).toContain('vacuum (analyze) public.churned');
      expect(done.some((step) => step.endsWith('public.quiet'))).toBe(false);
      expect(await stats('churned')).toEqual({ dead: 0, vacuumed: true, analyzed: true });
      // Nothing changed since: nothing to do.
      expect(await database.maintain()).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it('fails every waiting and later query when its worker dies, and says so', async () => {
    const failures: Error[] = [];
    const database = await openDatabase({ dataDir: 'memory://', onEmbeddedFailure: (error) => failures.push(error) });
    const sleeping = queryRows(database.db, sql`select pg_sleep(5)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The worker stopped from outside, as a crash would: nothing waits on it for ever.
    await (database.db as unknown as { $client: { worker: { terminate(): Promise<number> } } }).$client.worker.terminate();
    // Drizzle wraps the driver's error; the reason is its cause.
    const died = { cause: { message: "the embedded database's worker exited with code 1" } };
    await expect(sleeping).rejects.toMatchObject(died);
    await expect(queryRows(database.db, sql`select 1`)).rejects.toMatchObject(died);
    expect(failures.map((e) => e.message)).toEqual(["the embedded database's worker exited with code 1"]);
    await database.close();
  });
});
