/**
 * The local Stripe in a process of its own for `npm run bench`, started with `fork` and driven over
 * its IPC channel: `{ id, call, args }` in, `{ id, result }` out; first it sends `{ ready }`.
 * Why a process: its CPU per checkout is then read from /proc apart from autocannon's, which stays
 * in the bench process where its per-request callbacks live, as a remote Stripe would be apart.
 */
import { type DeliveryFaults, startLocalStripe } from '../local-stripe/index.js';

const stripe = await startLocalStripe({ webhookRetryBaseMs: 500 });

export const stripeCalls = {
  addWebhookEndpoint: (url: string, secret: string, events: string[]) => stripe.addWebhookEndpoint(url, secret, events).id,
  /** Only this endpoint's (none with null): each side's endpoint is on in its own rounds, as another's events would never reach it. */
  enableWebhooksOnly: (url: string | null) => {
    for (const endpoint of stripe.webhooks.endpoints.values()) endpoint.status = endpoint.url === url ? 'enabled' : 'disabled';
  },
  setDeliveryFaults: (faults: DeliveryFaults) => stripe.setDeliveryFaults(faults),
  releaseWebhooks: () => stripe.webhooks.release(),
  webhooksIdle: () => stripe.webhooks.idle(),
  requestCounts: () => Object.fromEntries(stripe.requestCounts),
  clearRequestCounts: () => stripe.requestCounts.clear(),
};
export type StripeCalls = typeof stripeCalls;

process.on('message', async (message: { id: number; call: keyof StripeCalls; args: unknown[] }) => {
  const result = await (stripeCalls[message.call] as (...args: unknown[]) => unknown)(...message.args);
  process.send!({ id: message.id, result });
});
const stop = () => stripe.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
// The bench process ended without stopping it.
process.on('disconnect', stop);
process.send!({ ready: { url: stripe.url, secretKey: stripe.secretKey, publishableKey: stripe.publishableKey } });
