/**
 * `npm run webhooks:replay -- --failed | --id evt_…`: processes stored events again, through the
 * running server when there is one, else in this process (as `npm run reconcile` does). Handlers
 * re-read objects from Stripe, so replaying needs Stripe too. Exits 1 when an event fails again.
 */
import { parseArgs } from 'node:util';
import { callServer } from './control.js';
import { progressBar } from './progress.js';
import { cliTarget } from './cli-target.js';
import { WebhookWorker } from '../payments/webhooks/inbox.js';
import { type ReplayResult, replayEvents, replaySelection } from '../payments/webhooks/replay.js';

const { values } = parseArgs({ options: { failed: { type: 'boolean', default: false }, id: { type: 'string', multiple: true } } });
if (!values.failed && !values.id?.length) {
  console.error('Usage: npm run webhooks:replay -- --failed | --id evt_… [--id evt_…]');
  process.exit(2);
}
const bad = values.id?.find((id) => !/^evt_[A-Za-z0-9_]+$/.test(id));
if (bad) {
  console.error(`--id: not an event id: ${bad}`);
  process.exit(2);
}
const selection = replaySelection({ failed: values.failed, ids: values.id });
const target = await cliTarget('npm run webhooks:replay');
const bar = progressBar();
let result: ReplayResult;
try {
  if ('server' in target) {
    result = await callServer<ReplayResult>(target.server, '/webhooks/replay', selection, (p) => bar.update(p.phase, p.done, p.total));
  } else {
    const { deps } = target.local;
    const worker = new WebhookWorker(deps, { warn: (o, m) => console.warn(m, o) });
    result = await replayEvents(deps.db, worker, deps.clock.now(), selection, (done, total) => bar.update('webhook events', done, total));
  }
} finally {
  bar.stop();
  if ('local' in target) await target.local.close();
}
console.log(`Replayed ${result.replayed} event(s): ${result.handled} handled, ${result.failing} failed again.`);
process.exitCode = result.failing > 0 ? 1 : 0;
