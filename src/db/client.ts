/**
 * db: the schema (schema.ts), the one dialect on two drivers (embedded PGlite or PostgreSQL),
 * migrations from drizzle/ (then the products', passed in from above), prepared statements and locks across instances.
 *
 * The embedded PGlite runs on a worker thread (pglite-thread.ts), always, tests and CLIs included:
 * PostgreSQL compiled to WebAssembly runs synchronously, so in the app's thread every statement
 * stopped HTTP (connections waited seconds to be accepted) and app and database shared one core.
 * The worker executes statements and parses their rows; this thread gets plain values by
 * structured clone, and drizzle maps them as it would PGlite's own. The alternative, forwarding the
 * wire protocol and parsing here (PGlite's node-postgres adapter), would leave the parsing on this
 * thread. docs/decisions.md has the figures.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { makePrivate } from '../private-files.js';
import type { SQLWrapper } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { PgliteThread } from './pglite-thread.js';
import * as schema from './schema.js';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction or the database itself: service functions accept either. */
export type Executor = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Database {
  db: Db;
  driver: 'pglite' | 'postgres';
  /**
   * Applies pending migrations, the core's (drizzle/) then each product's, given from above (the
   * products' registry); instances starting together apply them once, one after another.
   */
  migrate(products?: readonly ProductMigrations[]): Promise<void>;
  /**
   * Runs `fn` holding the lock `name` for every process on this database: a PostgreSQL session-level
   * advisory lock on a connection of its own (freed by PostgreSQL if the process dies), or, on the
   * embedded PGlite (one process only, DATA_DIR's lock), an in-process one. With `wait: false` it
   * returns `{ ran: false }` at once when another holder has the lock.
   */
  exclusively<T>(name: string, fn: () => Promise<T>, options?: { wait?: boolean }): Promise<{ ran: true; value: T } | { ran: false }>;
  /**
   * Vacuums and analyzes the tables that need it, as autovacuum would, and says what it did. PGlite
   * runs PostgreSQL in single-user mode, where autovacuum never runs: without this its tables only
   * grow with dead rows and are never analyzed. On PostgreSQL it does nothing (autovacuum's job).
   */
  maintain(): Promise<string[]>;
  close(): Promise<void>;
}

/** The first key of every advisory lock this app takes, so that its locks collide with nobody else's. */
const ADVISORY_LOCK_NAMESPACE = 0x44657642; // "DevB"

export const migrationsFolder = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../drizzle',
);

/**
 * A product's own migrations, in drizzle's layout (a folder with meta/_journal.json), tracked in a
 * table of their own (drizzle.__drizzle_migrations_<name>) so that they never mix with the core's.
 */
export interface ProductMigrations {
  name: string;
  folder: string;
}

const productTable = (name: string) => `__drizzle_migrations_${name}`;

export interface DatabaseOptions {
  /** PostgreSQL connection string; when absent the embedded PGlite is used. */
  databaseUrl?: string;
  /** PGlite data directory; `memory://` keeps it in memory. */
  dataDir?: string;
  /** A PGlite data directory dump to start from (tests copy a migrated template). */
  loadDataDir?: Blob;
  poolSize?: number;
  /** Told when an idle pooled connection breaks (server restart, network); the pool replaces it. */
  onConnectionError?: (error: Error) => void;
  /**
   * Told when the embedded database's worker thread dies: every query fails from then on, so the
   * server logs it and exits. Without it the error is thrown, uncaught.
   */
  onEmbeddedFailure?: (error: Error) => void;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
    });
    // Without a listener an idle connection's error would be thrown and end the process.
    pool.on('error', options.onConnectionError ?? ((error) => process.emitWarning(`idle PostgreSQL connection lost: ${error.message}`)));
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    const url = options.databaseUrl;
    const exclusively: Database['exclusively'] = (name, fn, lock) => withAdvisoryLock(url, name, lock?.wait ?? true, fn);
    return {
      db,
      driver: 'postgres',
      // Without the lock, instances started together would each apply the same migration and all but one fail.
      migrate: async (products = []) => {
        await exclusively('migrate', async () => {
          await migratePg(db as never, { migrationsFolder });
          for (const p of products) await migratePg(db as never, { migrationsFolder: p.folder, migrationsTable: productTable(p.name) });
        });
      },
      exclusively,
      maintain: async () => [],
      close: () => endPool(pool),
    };
  }
  const dataDir = options.dataDir ?? 'memory://';
  const onDisk = !dataDir.startsWith('memory://');
  if (onDisk) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const client = await PgliteThread.start({
    dataDir,
    loadDataDir: options.loadDataDir,
    onFailure:
      options.onEmbeddedFailure ??
      ((error) => {
        throw error;
      }),
  });
  // The thread answers the calls drizzle makes on a PGlite client (query, transaction), typed as one.
  const db = drizzlePglite(client as unknown as PGlite, { schema }) as unknown as Db;
  // PGlite's file system gives its files mode 0666 whatever the umask. Its directory is 0700, so no
  // other user reaches them; their own modes are tightened too, after start-up, migrations and close.
  const tighten = () => onDisk && makePrivate(dataDir);
  tighten();
  const locks = new ProcessLocks();
  const exclusively: Database['exclusively'] = (name, fn, options) => locks.run(name, options?.wait ?? true, fn);
  return {
    db,
    driver: 'pglite',
    migrate: async (products = []) => {
      await exclusively('migrate', async () => {
        await migratePglite(db as never, { migrationsFolder });
        for (const p of products) await migratePglite(db as never, { migrationsFolder: p.folder, migrationsTable: productTable(p.name) });
      });
      tighten();
    },
    exclusively,
    maintain: () => vacuumAsAutovacuumWould(db),
    close: async () => {
      await client.close();
      tighten();
    },
  };
}

/**
 * Autovacuum's rule with PostgreSQL's default settings: vacuum a table once its dead rows exceed
 * 50 + 20% of its rows, or its rows inserted since the last vacuum 1,000 + 20% (which keeps the
 * visibility map current for index-only scans); analyze it once its changed rows exceed 50 + 10%;
 * and vacuum everything once the database's oldest transaction id is older than
 * autovacuum_freeze_max_age.
 * On the bench's million charges a vacuum with analyze takes about 0.3 s; a check that finds
 * nothing due, one query.
 */
async function vacuumAsAutovacuumWould(db: Db): Promise<string[]> {
  const due = await queryRows<{ name: string; vacuum: boolean; analyze: boolean }>(
    db,
    `select format('%I.%I', s.schemaname, s.relname) as name,
       s.n_dead_tup > 50 + 0.2 * greatest(c.reltuples, 0) or s.n_ins_since_vacuum > 1000 + 0.2 * greatest(c.reltuples, 0) as vacuum,
       s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0) as analyze
     from pg_stat_user_tables s join pg_class c on c.oid = s.relid`,
  );
  const done: string[] = [];
  for (const table of due) {
    const command = table.vacuum ? (table.analyze ? 'vacuum (analyze)' : 'vacuum') : table.analyze ? 'analyze' : undefined;
    if (!command) continue;
    await queryRows(db, `${command} ${table.name}`);
    done.push(`${command} ${table.name}`);
  }
  // Against transaction-id wraparound: autovacuum also vacuums any table, quiet ones and the
  // catalogs included, older than autovacuum_freeze_max_age. A database-wide vacuum freezes every
  // table past vacuum_freeze_table_age, which moves the database's age back.
  const [wraparound] = await queryRows<{ due: boolean }>(
    db,
    `select age(datfrozenxid) > current_setting('autovacuum_freeze_max_age')::bigint as due from pg_database where datname = current_database()`,
  );
  if (wraparound?.due) {
    await queryRows(db, 'vacuum');
    done.push('vacuum (against wraparound)');
  }
  return done;
}

/**
 * Holds a session-level advisory lock while `fn` runs, on a connection of its own outside the pool:
 * taken from the pool, it could wait forever for a connection `fn` itself needs. Unlocked explicitly,
 * so the next holder need not wait for the server to notice the closed connection.
 */
async function withAdvisoryLock<T>(connectionString: string, name: string, wait: boolean, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
  const client = new pg.Client({ connectionString });
  // A lost lock connection is noticed at unlock; without a listener it would end the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const key = [ADVISORY_LOCK_NAMESPACE, name];
    if (wait) await client.query('select pg_advisory_lock($1, hashtext($2))', key);
    else if (!(await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as locked', key)).rows[0]?.locked) return { ran: false };
    try {
      return { ran: true, value: await fn() };
    } finally {
      await client.query('select pg_advisory_unlock($1, hashtext($2))', key).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Named locks within one process: what `exclusively` needs on PGlite, which one process opens. */
class ProcessLocks {
  private tails = new Map<string, Promise<void>>();

  async run<T>(name: string, wait: boolean, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    const previous = this.tails.get(name);
    if (previous && !wait) return { ran: false };
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous ? previous.then(() => mine) : mine;
    this.tails.set(name, tail);
    await previous;
    try {
      return { ran: true, value: await fn() };
    } finally {
      release();
      if (this.tails.get(name) === tail) this.tails.delete(name);
    }
  }
}

/**
 * `pool.end()` resolves once its clients are asked to close, not once they have: wait for every
 * client's removal so that nothing is still connected when the caller goes on (e.g. drops the database).
 */
function endPool(pool: pg.Pool): Promise<void> {
  let open = pool.totalCount;
  if (open === 0) return pool.end();
  const closed = new Promise<void>((resolve) => {
    pool.on('remove', () => {
      if (--open === 0) resolve();
    });
  });
  return pool.end().then(() => closed);
}

/**
 * Dumps a PGlite database as a tarball of its data directory: a consistent copy, since PGlite runs one
 * statement at a time (tests copy a migrated template this way; `npm run db:backup` gzips it).
 */
export async function dumpPglite(database: Database, compression: 'none' | 'gzip' = 'none'): Promise<Blob> {
  const client = (database.db as unknown as { $client: PgliteThread }).$client;
  return client.dumpDataDir(compression);
}

/** The SQLSTATE of a database error (drizzle wraps the driver's error: its code is on the cause). */
export const sqlState = (error: unknown) => {
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  return e?.cause?.code ?? e?.code;
};

/** Rows of a raw SQL query; both drivers return `{ rows }` from execute. */
export async function queryRows<T>(db: Executor, query: SQLWrapper | string): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
