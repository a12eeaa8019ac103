/**
 * `npm run stripe:local -- [--port 12111] [--host 127.0.0.1] [--forward-to URL] [--webhook-secret whsec_…] [--deterministic]`
 * Runs the local Stripe standalone, like `stripe listen --forward-to` against test mode. Its keys
 * come from STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY (or --secret-key / --publishable-key),
 * the same variables the app reads; without them it makes random ones and prints them.
 */
import { parseArgs } from 'node:util';
import { startLocalStripe } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '12111' },
    host: { type: 'string', default: '127.0.0.1' },
    'secret-key': { type: 'string' },
    'publishable-key': { type: 'string' },
    'forward-to': { type: 'string' },
    'webhook-secret': { type: 'string' },
    deterministic: { type: 'boolean', default: false },
  },
});

const secretKey = values['secret-key'] ?? process.env.STRIPE_SECRET_KEY;
const publishableKey = values['publishable-key'] ?? process.env.STRIPE_PUBLISHABLE_KEY;
if (!secretKey !== !publishableKey) {
  console.error('Give both STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY (or neither, for random ones).');
  process.exit(1);
}

let stripe: Awaited<ReturnType<typeof startLocalStripe>>;
try {
  stripe = await startLocalStripe({ port: Number(values.port), host: values.host, deterministic: values.deterministic, secretKey, publishableKey });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
const address = `http://${values.host.includes(':') ? `[${values.host}]` : values.host}:${stripe.port}`;
console.log(`Local Stripe listening on ${address}${values.host === '127.0.0.1' ? ' (this machine only; --host to change)' : ''}`);
if (secretKey) {
  console.log('  keys from STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY');
} else {
  // Test keys it made up just now: printing them is how the app gets them.
  console.log('  no keys given, made these up:');
  console.log(`  STRIPE_SECRET_KEY=${stripe.secretKey}`);
  console.log(`  STRIPE_PUBLISHABLE_KEY=${stripe.publishableKey}`);
}
console.log(`  STRIPE_API_URL=${address}`);
if (values['forward-to']) {
  const endpoint = stripe.addWebhookEndpoint(values['forward-to'], values['webhook-secret']);
  console.log(`Forwarding every event to ${endpoint.url}`);
  console.log(`  STRIPE_WEBHOOK_SECRET=${endpoint.secret}`);
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
