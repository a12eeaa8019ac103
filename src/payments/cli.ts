import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { type Database, openDatabase } from '../db/client.js';
import { products } from '../products/index.js';
import { Catalog } from './catalog.js';
import { createStripeGateway } from './stripe.js';
import type { SyncDeps } from './sync.js';

/**
 * What the payments CLIs (reconcile, webhooks:replay) need, from the server's own configuration.
 * The embedded PGlite belongs to one process at a time: run them with the server stopped.
 */
export async function cliDeps(purpose: string): Promise<{ deps: SyncDeps; database: Database }> {
  const config = loadConfig();
  if (!config.stripe.secretKey) {
    console.error(`Set STRIPE_SECRET_KEY (and STRIPE_API_URL for a local Stripe) to ${purpose}.`);
    process.exit(2);
  }
  const database = await openDatabase(config.database);
  await database.migrate();
  const stripe = createStripeGateway({ secretKey: config.stripe.secretKey, publishableKey: config.stripe.publishableKey ?? '', apiUrl: config.stripe.apiUrl });
  return { deps: { db: database.db, clock: systemClock, catalog: new Catalog(products), stripe }, database };
}
