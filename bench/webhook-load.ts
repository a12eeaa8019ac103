import Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../src/payments/stripe.js';
import { DURATION, SECRET, SMALL, WARMUP } from './config.js';
import { sleep } from './lib.js';
import { load } from './measure.js';

/**
 * Webhooks: signed payment_intent.succeeded events, distinct ids with 20% duplicates. Each names a
 * seeded PaymentIntent whose charge has succeeded, as most such events find it in production (the
 * checkout's answer settled it first): the handler reads the batch's charges and finds nothing to
 * do, without a call to Stripe. Then the inbox is drained, and its rate reported.
 */
export async function webhookLoad(base: string) {
  const webhookSigner = new Stripe('sk_test_signer_only');
  let sent = 0;
  const seen = new Set<string>();
  const accepted = await load(`${base}/webhooks/stripe`, {
    method: 'POST',
    requests: [
      {
        setupRequest: (request) => {
          sent++;
          const id = sent % 5 === 0 && sent > 5 ? `evt_bench_${sent - 1}` : `evt_bench_${sent}`;
          seen.add(id);
          // The seed's first charges: pi_seed_1_<g>, g from 1 to SMALL * 10, failed when g is a multiple of 20.
          const g = 1 + (Number(id.slice('evt_bench_'.length)) % (SMALL * 10 - 1));
          const intent = { id: `pi_seed_1_${g % 20 === 0 ? g + 1 : g}`, object: 'payment_intent', status: 'succeeded', amount: 2500, currency: 'usd', metadata: {} };
          const payload = JSON.stringify({ id, object: 'event', type: 'payment_intent.succeeded', api_version: STRIPE_API_VERSION, created: Math.floor(Date.now() / 1000), data: { object: intent }, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null } });
          return { ...request, headers: { ...request.headers, 'content-type': 'application/json', 'stripe-signature': webhookSigner.webhooks.generateTestHeaderString({ payload, secret: SECRET }) }, body: payload };
        },
      },
    ],
  });
  const drainStart = Date.now();
  let unprocessed = Number.POSITIVE_INFINITY;
  while (unprocessed > 0 && Date.now() - drainStart < 300_000) {
    unprocessed = (await (await fetch(`${base}/healthz`)).json()).webhook_inbox.unprocessed;
    if (unprocessed > 0) await sleep(200);
  }
  const drainSeconds = (Date.now() - drainStart) / 1000;
  return {
    ...accepted,
    distinct_events: seen.size,
    processed_per_second: seen.size / (DURATION + WARMUP + drainSeconds),
    drain_seconds_after_load: drainSeconds,
  };
}
