import { loadConfig } from '../config.js';
import { exitIfBusy, lockDataDir } from './data-lock.js';
import { openDatabase } from '../db/client.js';
import { productMigrations } from '../products/index.js';

const config = loadConfig();
// The embedded database belongs to one process: not while the server (or another CLI) has it open.
const lock = config.database.databaseUrl ? undefined : exitIfBusy(() => lockDataDir(config.dataDir, 'npm run db:migrate'));
const database = await openDatabase(config.database);
await database.migrate(productMigrations);
await database.close();
lock?.release();
console.log(`migrations applied (${database.driver})`);
