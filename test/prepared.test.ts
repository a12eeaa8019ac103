import { sql } from 'drizzle-orm';
import { integer, pgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/client.js';
import { prepared } from '../src/db/prepared.js';
import { freshDatabase } from './helpers/db.js';

const probe = pgTable('prepared_probe', { n: integer('n').notNull() });
const insertProbe = prepared((db) => db.insert(probe).values({ n: sql.placeholder('n') }).prepare('prepared_probe_insert'));
const countProbe = prepared((db) => db.select({ count: sql<number>`count(*)::int` }).from(probe).prepare('prepared_probe_count'));

let database: Database;
beforeAll(async () => {
  database = await freshDatabase();
  await database.db.execute(sql`create table prepared_probe (n int not null)`);
});
afterAll(() => database.close());

describe('prepared queries', () => {
  it('run on a transaction’s own connection: what they write inside it is rolled back with it', async () => {
    const { db } = database;
    await insertProbe(db).execute({ n: 1 });
    await expect(
      db.transaction(async (tx) => {
        await insertProbe(tx).execute({ n: 2 });
        // Seen inside the transaction…
        expect((await countProbe(tx).execute())[0]!.count).toBe(2);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    // …and gone with it: the insert did not run on another connection in autocommit.
    expect((await countProbe(db).execute())[0]!.count).toBe(1);

    await db.transaction(async (tx) => {
      await insertProbe(tx).execute({ n: 3 });
    });
    expect((await countProbe(db).execute())[0]!.count).toBe(2);
  });

  it('are built once and reused, on the database and in transactions alike', async () => {
    const { db } = database;
    // The same built query (SQL and parameters) every time, whichever handle asks.
    const built = countProbe(db).getQuery();
    expect(countProbe(db).getQuery()).toBe(built);
    await db.transaction(async (tx) => {
      expect(countProbe(tx).getQuery()).toBe(built);
    });
  });
});
