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
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
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

/** The same products' migrations, in the same order (what a template was made with). */
const sameMigrations = (a: readonly ProductMigrations[], b: readonly ProductMigrations[]) =>
  a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.folder === b[i]!.folder);

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
   * The embedded database only (`npm start`, `npm run build`): a DATA_DIR without a database starts
   * from a copy of a freshly created one migrated with these products' migrations, made once per
   * PGlite version and set of migrations (see `EmbeddedTemplate`), instead of creating and migrating
   * it anew: creating one is most of a first start. A function is called only when the DATA_DIR has
   * no database, so a restart does not wait for what it resolves (`npm start` imports the products
   * while the database opens).
   */
  template?: readonly ProductMigrations[] | (() => Promise<readonly ProductMigrations[]>);
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
        if (await allApplied(db, products)) return;
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
  // PostgreSQL's own marker of an initialized data directory.
  const fresh = onDisk && !options.loadDataDir && !existsSync(path.join(dataDir, 'PG_VERSION'));
  const templateProducts = fresh && options.template ? (typeof options.template === 'function' ? await options.template() : options.template) : undefined;
  const template = templateProducts ? new EmbeddedTemplate(templateProducts) : undefined;
  const client = await PgliteThread.start({
    dataDir,
    loadDataDir: options.loadDataDir ?? template?.load(),
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
      if (!(await allApplied(db, products))) {
        await exclusively('migrate', async () => {
          await migratePglite(db as never, { migrationsFolder });
          for (const p of products) await migratePglite(db as never, { migrationsFolder: p.folder, migrationsTable: productTable(p.name) });
        });
        // Created here and now migrated: the next fresh DATA_DIR starts from a copy of it.
        if (template && !template.loaded && sameMigrations(products, templateProducts!)) await template.save(await client.dumpDataDir('none'));
      }
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

/** The newest migration in a folder: drizzle records each one's journal `when` as its `created_at`. */
function newestMigration(folder: string): number {
  const journal = JSON.parse(readFileSync(path.join(folder, 'meta/_journal.json'), 'utf8')) as { entries: Array<{ when: number }> };
  return Math.max(0, ...journal.entries.map((e) => e.when));
}

/**
 * Whether the core's and each product's newest migrations are already applied: one query, so that a
 * restart skips the migrator, which reads and hashes every migration file and, on PostgreSQL, takes
 * a lock on a connection of its own. False when a migrations table does not exist yet.
 */
async function allApplied(db: Db, products: readonly ProductMigrations[]): Promise<boolean> {
  const tables = [{ table: '__drizzle_migrations', folder: migrationsFolder }, ...products.map((p) => ({ table: productTable(p.name), folder: p.folder }))];
  try {
    const [row] = await queryRows<Record<string, string | number | null>>(db, `select ${tables.map(({ table }, i) => `(select max(created_at) from drizzle."${table}") as m${i}`).join(', ')}`);
    return tables.every(({ folder }, i) => Number(row?.[`m${i}`] ?? 0) >= newestMigration(folder));
  } catch {
    return false;
  }
}

/**
 * A dump of a freshly created embedded database with every migration applied, kept in the user's
 * cache (~/.cache/devboard, or under XDG_CACHE_HOME) and named by a hash of PGlite's
 * version and every migration file, so a changed migration or another PGlite makes a new one. A
 * first start loads it instead of running initdb and the migrations (on this 2-core machine, 12.5 s
 * and 1.8 s under load, against 4 s to load it: docs/benchmarks.md). Made by the first start that
 * finds none, and by `npm run build`; written to a temporary name then renamed, so processes making
 * it at once never see half a file; older ones are removed.
 */
class EmbeddedTemplate {
  private readonly dir: string;
  private readonly file: string;
  loaded = false;

  constructor(products: readonly ProductMigrations[]) {
    const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const pglite = entry.slice(0, entry.lastIndexOf('/dist/'));
    const hash = createHash('sha256').update(readFileSync(path.join(pglite, 'package.json')));
    for (const folder of [migrationsFolder, ...products.map((p) => p.folder)]) {
      hash.update(folder.slice(folder.lastIndexOf('/')));
      const walk = (dir: string): void => {
        for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
          const full = path.join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else hash.update(entry.name).update(readFileSync(full));
        }
      };
      walk(folder);
    }
    this.dir = path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'devboard');
    this.file = path.join(this.dir, `pglite-template-${hash.digest('hex').slice(0, 16)}.tar`);
  }

  load(): Blob | undefined {
    if (!existsSync(this.file)) return undefined;
    this.loaded = true;
    return new Blob([readFileSync(this.file)], { type: 'application/x-tar' });
  }

  async save(dump: Blob): Promise<void> {
    const bytes = Buffer.from(await dump.arrayBuffer());
    try {
      mkdirSync(this.dir, { recursive: true });
      const temporary = `${this.file}.${process.pid}`;
      writeFileSync(temporary, bytes);
      renameSync(temporary, this.file);
      // Others' a day old: another checkout of this user's may still use a recent one.
      for (const name of readdirSync(this.dir)) {
        const other = path.join(this.dir, name);
        if (name.startsWith('pglite-template-') && other !== this.file && Date.now() - statSync(other).mtimeMs > 86_400_000) rmSync(other, { force: true });
      }
    } catch {
      // Only a cache: the next first start creates the database again.
    }
  }
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
