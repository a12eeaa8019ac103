/**
 * `npm run db:restore -- file.tar.gz`: replaces the embedded database with a backup made by
 * `npm run db:backup`. The server must be stopped (a running one is refused, as is any process holding
 * DATA_DIR's lock). The current data directory is kept beside it, renamed, rather than deleted.
 */
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { runningServer } from './control.js';
import { exitIfBusy, lockDataDir } from './data-lock.js';
import { openDatabase } from '../db/client.js';
import { productMigrations } from '../products/index.js';

const { positionals } = parseArgs({ allowPositionals: true });
const config = loadConfig();
const file = positionals[0];
if (!file || !existsSync(file)) {
  console.error('Usage: npm run db:restore -- <backup.tar.gz> (a file written by npm run db:backup)');
  process.exit(2);
}
const dataDir = config.database.dataDir;
if (config.database.databaseUrl || !dataDir) {
  console.error('DATABASE_URL is set: restore PostgreSQL with pg_restore, e.g. pg_restore --clean --if-exists -d "$DATABASE_URL" devboard.dump (see docs/operations.md).');
  process.exit(2);
}
const server = runningServer(config.dataDir);
if (server) {
  console.error(`The server (pid ${server.pid}) is running on ${config.dataDir}: stop it, then restore.`);
  process.exit(3);
}
const lock = exitIfBusy(() => lockDataDir(config.dataDir, 'npm run db:restore'));
const previous = `${dataDir}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
if (existsSync(dataDir)) renameSync(dataDir, previous);
try {
  const database = await openDatabase({ dataDir, loadDataDir: new Blob([readFileSync(file)]) });
  // A backup from an older version is brought up to this version's schema.
  await database.migrate(productMigrations);
  await database.close();
} catch (error) {
  if (existsSync(previous)) {
    rmSync(dataDir, { recursive: true, force: true });
    renameSync(previous, dataDir);
  }
  lock.release();
  throw error;
}
lock.release();
console.log(`Restored ${file} into ${dataDir}.${existsSync(previous) ? ` The database it replaced is kept in ${previous}.` : ''}`);
