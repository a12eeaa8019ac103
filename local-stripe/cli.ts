/**
 * `npm run stripe:local -- --port 12111 [--forward-to URL] [--webhook-secret whsec_…] [--deterministic]`
 * Runs the local Stripe standalone, like `stripe listen --forward-to` against test mode.
 */
import { parseArgs } from 'node:util';
import { startLocalStripe } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '12111' },
    host: { type: 'string', default: '127.0.0.1' },
    'forward-to': { type: 'string' },
    'webhook-secret': { type: 'string' },
    deterministic: { type: 'boolean', default: false },
  },
});

const stripe = await startLocalStripe({ port: Number(values.port), host: values.host, deterministic: values.deterministic });
console.log(`Local Stripe listening on ${stripe.url}`);
console.log(`  STRIPE_API_URL=${stripe.url}  STRIPE_SECRET_KEY=sk_test_local  STRIPE_PUBLISHABLE_KEY=pk_test_local`);
if (values['forward-to']) {
  const endpoint = stripe.addWebhookEndpoint(values['forward-to'], values['webhook-secret']);
  console.log(`Forwarding every event to ${endpoint.url}`);
  console.log(`  webhook signing secret: ${endpoint.secret}`);
} else {
  console.log('No --forward-to: register endpoints with POST /v1/webhook_endpoints.');
}
stripe.webhooks.log.push = function (...entries) {
  for (const e of entries) console.log(`  --> ${e.type} [${e.eventId}] ${e.url} ${e.status} (attempt ${e.attempt})`);
  return Array.prototype.push.apply(this, entries);
};

const stop = async () => {
  await stripe.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
