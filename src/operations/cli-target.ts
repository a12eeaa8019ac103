import { systemClock } from '../clock.js';
import { type Config, loadConfig } from '../config.js';
import { type Database, openDatabase } from '../db/client.js';
import { type RunningServer, runningServer } from './control.js';
import { exitIfBusy, lockDataDir } from './data-lock.js';
import { productMigrations, products } from '../products/index.js';
import { Catalog } from '../payments/catalog.js';
import { connectStripe } from '../payments/connect.js';
import type { SyncDeps } from '../payments/sync.js';

/** The payments CLIs open the database and Stripe themselves when no server is running. */
export interface InProcess {
  deps: SyncDeps;
  database: Database;
  close(): Promise<void>;
}

/**
 * Where a payments CLI (reconcile, webhooks:replay) does its work: a server running on this DATA_DIR
 * is asked through its control channel, so the embedded database is never opened twice; otherwise the
 * CLI opens the database and Stripe as the server would (the local Stripe from its saved state when
 * no STRIPE_SECRET_KEY is set), holding DATA_DIR's lock meanwhile. A busy DATA_DIR ends the process
 * with a message and exit code 3.
 */
export async function cliTarget(purpose: string): Promise<{ server: RunningServer } | { local: InProcess }> {
  const config = loadConfig();
  const server = runningServer(config.dataDir);
  if (server) return { server };
  return { local: await openInProcess(config, purpose) };
}

async function openInProcess(config: Config, purpose: string): Promise<InProcess> {
  // The embedded database and the local Stripe's state file belong to one process at a time.
  const needsLock = !config.database.databaseUrl || !config.stripe.secretKey;
  const lock = needsLock ? exitIfBusy(() => lockDataDir(config.dataDir, purpose)) : undefined;
  const database = await openDatabase(config.database);
  await database.migrate(productMigrations);
  const stripe = await connectStripe(config.stripe, config.dataDir);
  return {
    deps: { db: database.db, clock: systemClock, catalog: new Catalog(products), stripe: stripe.gateway },
    database,
    close: async () => {
      await stripe.local?.close();
      await database.close();
      lock?.release();
    },
  };
}
