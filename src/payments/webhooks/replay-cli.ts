/**
 * `npm run webhooks:replay -- --failed | --id evt_…`: processes stored events again. Same configuration
 * and the same one-process rule for the embedded database as `npm run reconcile`.
 */
import { parseArgs } from 'node:util';
import { cliDeps } from '../cli.js';
import { requeueEvents, WebhookWorker } from './inbox.js';

const { values } = parseArgs({ options: { failed: { type: 'boolean', default: false }, id: { type: 'string', multiple: true } } });
if (!values.failed && !values.id?.length) {
  console.error('Usage: npm run webhooks:replay -- --failed | --id evt_… [--id evt_…]');
  process.exit(2);
}
// Handlers re-read objects from Stripe, so replaying needs Stripe too.
const { deps, database } = await cliDeps('replay webhook events');
const requeued = await requeueEvents(database.db, deps.clock.now(), values.id?.length ? { ids: values.id } : { failed: true });
const worker = new WebhookWorker(deps, { warn: (o, m) => console.warn(m, o) });
await worker.kick();
console.log(`Replayed ${requeued} event(s).`);
await database.close();
