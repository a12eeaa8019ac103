import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { openDatabase, queryRows } from '../src/db/client.js';
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

      await database.close();
      const left = await admin.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
      expect(left.rows[0].n).toBe(0);
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
