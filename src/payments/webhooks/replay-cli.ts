/**
 * `npm run webhooks:replay -- --failed | --id evt_…`: processes stored events again. Same configuration
 * and the same one-process rule for the embedded database as `npm run reconcile`.
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../../clock.js';
import { loadConfig } from '../../config.js';
import { openDatabase } from '../../db/client.js';
import { products } from '../../products/index.js';
import { Catalog } from '../catalog.js';
import { createStripeGateway } from '../stripe.js';
import { requeueEvents, WebhookWorker } from './inbox.js';

const { values } = parseArgs({ options: { failed: { type: 'boolean', default: false }, id: { type: 'string', multiple: true } } });
if (!values.failed && !values.id?.length) {
  console.error('Usage: npm run webhooks:replay -- --failed | --id evt_… [--id evt_…]');
  process.exit(2);
}
const config = loadConfig();
if (!config.stripe.secretKey) {
  console.error('Set STRIPE_SECRET_KEY (and STRIPE_API_URL for a local Stripe): handlers re-read objects from Stripe.');
  process.exit(2);
}
const database = await openDatabase(config.database);
await database.migrate();
const stripe = createStripeGateway({ secretKey: config.stripe.secretKey, publishableKey: config.stripe.publishableKey ?? '', apiUrl: config.stripe.apiUrl });
const requeued = await requeueEvents(database.db, systemClock.now(), values.id?.length ? { ids: values.id } : { failed: true });
const worker = new WebhookWorker({ db: database.db, clock: systemClock, catalog: new Catalog(products), stripe }, { warn: (o, m) => console.warn(m, o) });
await worker.kick();
console.log(`Replayed ${requeued} event(s).`);
await database.close();
