import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase, queryRows } from '../src/db/client.js';
import { productMigrations } from '../src/products/index.js';
import { withDatabase } from './helpers/global-setup.js';

/** Each product's tables come with its own migrations, applied after the core's (docs/payments.md). */
const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

/** An empty database, and how to open it again (PGlite: the same object; one process opens it). */
async function emptyDatabase(): Promise<() => Promise<Database>> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const only = await openDatabase({ dataDir: 'memory://' });
    opened.push(() => only.close());
    return async () => only;
  }
  const name = `devboard_products_${randomBytes(4).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(statement);
    await client.end();
  };
  await admin(`create database ${name}`);
  opened.push(() => admin(`drop database if exists ${name} with (force)`));
  return async () => {
    const database = await openDatabase({ databaseUrl: withDatabase(url, name), poolSize: 2 });
    opened.push(() => database.close());
    return database;
  };
}

const applied = async (database: Database) =>
  Object.fromEntries(
    await Promise.all(
      productMigrations.map(async (p) => {
        const [row] = await queryRows<{ n: number }>(database.db, `select count(*)::int as n from drizzle.__drizzle_migrations_${p.name}`);
        return [p.name, row!.n] as const;
      }),
    ),
  );
/** Each product's migrations as its journal lists them: a product added later is counted from its own folder. */
const journalled = Object.fromEntries(
  productMigrations.map((p) => [p.name, (JSON.parse(readFileSync(path.join(p.folder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length]),
);
const productTables = async (database: Database) =>
  (
    await queryRows<{ name: string }>(
      database.db,
      `select table_name as name from information_schema.tables where table_schema = 'public' and table_name in ('billboards', 'featured_articles', 'listing_reminders', 'listing_renewals') order by 1`,
    )
  ).map((r) => r.name);

describe("products' own migrations", () => {
  it('are applied once, after the core, by instances that start together on an empty database', async () => {
    const open = await emptyDatabase();
    const instances = await Promise.all([open(), open(), open()]);
    await Promise.all(instances.map((d) => d.migrate(productMigrations)));
    expect(productMigrations.map((p) => p.name).slice(0, 3)).toEqual(['job_listing', 'billboard', 'featured_article']);
    expect(journalled).toMatchObject({ job_listing: 2, billboard: 1, featured_article: 1 });
    expect(await applied(instances[0]!)).toEqual(journalled);
    // The job listing's second migration drops the tables its first made (0013_renewals moved their rows).
    expect(await productTables(instances[0]!)).toEqual(['billboards', 'featured_articles']);
    await instances[0]!.migrate(productMigrations);
    expect(await applied(instances[0]!)).toEqual(journalled);
    // Three databases migrated from nothing at once: 3.5 s on a quiet machine, over 30 s on a busy one.
  }, 120_000);

  it('are safe on a database the core migrations alone made, where the tables already exist', async () => {
    const database = await (await emptyDatabase())();
    await database.migrate();
    expect(await productTables(database)).toEqual(['billboards', 'featured_articles', 'listing_reminders', 'listing_renewals']);
    await database.migrate(productMigrations);
    expect(await applied(database)).toEqual(journalled);
    expect(await productTables(database)).toEqual(['billboards', 'featured_articles']);
  }, 120_000);
});
