/**
 * `npm run db:backup [-- --out file.tar.gz]`: a consistent copy of the embedded database (PGlite's
 * data directory as a gzipped tarball). With the server running it asks the server for the dump, so
 * the database is never opened twice; with it stopped it opens the database itself, holding
 * DATA_DIR's lock. With DATABASE_URL, PostgreSQL's own pg_dump is the tool (docs/operations.md).
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { fetchBackup, runningServer } from './control.js';
import { exitIfBusy, lockDataDir } from './data-lock.js';
import { dumpPglite, openDatabase } from '../db/client.js';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const config = loadConfig();
if (config.database.databaseUrl) {
  console.error('DATABASE_URL is set: back PostgreSQL up with pg_dump, e.g. pg_dump -Fc "$DATABASE_URL" > devboard.dump (see docs/operations.md).');
  process.exit(2);
}
const out = values.out ?? `devboard-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.tar.gz`;
mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
const server = runningServer(config.dataDir);
if (server) {
  const res = await fetchBackup(server);
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(out, { mode: 0o600 }));
} else {
  const lock = exitIfBusy(() => lockDataDir(config.dataDir, 'npm run db:backup'));
  const database = await openDatabase(config.database);
  try {
    const dump = await dumpPglite(database, 'gzip');
    writeFileSync(out, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
  } finally {
    await database.close();
    lock.release();
  }
}
console.log(`Backed up the embedded database${server ? ` (from the running server, pid ${server.pid})` : ''} to ${out}. Restore it with: npm run db:restore -- ${out}`);
