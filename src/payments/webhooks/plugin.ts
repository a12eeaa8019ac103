import type { FastifyPluginAsync } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import type Stripe from 'stripe';
import { ApiError } from '../../http/errors.js';
import type { StripeGateway } from '../stripe.js';
import { handlers } from './handlers/index.js';
import { EventStore, type WebhookWorker } from './inbox.js';

export interface WebhooksOptions {
  stripe: StripeGateway;
  /** Every secret in STRIPE_WEBHOOK_SECRET (rotation), plus one registered with a local Stripe. */
  secrets: string[];
  worker: WebhookWorker;
}

const TOLERANCE_SECONDS = 300;

/**
 * POST /webhooks/stripe: verify the signature over the raw body, store the event in the inbox,
 * answer 200, and let the worker process it. Nothing is stored for a bad signature.
 */
export const webhooksPlugin: FastifyPluginAsync<WebhooksOptions> = async (app, options) => {
  // The signature covers the exact bytes Stripe sent, so this route keeps the body as a string.
  const inbox = new EventStore(app.db);
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body));

  app.post('/webhooks/stripe', async (request, reply) => {
    const signature = request.headers['stripe-signature'];
    const raw = typeof request.body === 'string' ? request.body : undefined;
    if (typeof signature !== 'string' || raw === undefined) {
      throw new ApiError(400, 'signature_missing', 'Missing Stripe-Signature header or JSON body.');
    }
    let event: Stripe.Event | undefined;
    for (const secret of options.secrets) {
      try {
        event = options.stripe.client.webhooks.constructEvent(raw, signature, secret, TOLERANCE_SECONDS);
        break;
      } catch {
        // try the next secret (rotation)
      }
    }
    // The SDK refuses a timestamp too old, not one too far ahead (a signature made for later replay);
    // both are measured, like the SDK's, against this machine's time.
    const signedAt = Number(/(?:^|,)\s*t=(\d+)/.exec(signature)?.[1]);
    if (!event || !(signedAt <= Date.now() / 1000 + TOLERANCE_SECONDS)) {
      throw new ApiError(400, 'signature_invalid', 'The Stripe-Signature does not verify, or its timestamp is too old or in the future.');
    }
    // PostgreSQL's jsonb cannot hold \u0000; no Stripe event carries one.
    if (typeof event.id !== 'string' || !event.id.startsWith('evt_') || typeof event.type !== 'string' || raw.includes('\\u0000')) {
      throw new ApiError(400, 'event_invalid', 'Not a Stripe event.');
    }
    const { duplicate } = await inbox.store(event.id, raw, app.clock.now()).catch((error: { cause?: { code?: string } }) => {
      // A \u escape that JSON.parse accepts and jsonb does not (a lone surrogate): not a Stripe event.
      // Drizzle wraps the driver's error; its SQLSTATE is on the cause.
      if (['22P02', '22P05'].includes(error.cause?.code ?? '')) throw new ApiError(400, 'event_invalid', 'Not a Stripe event.');
      throw error;
    });
    // An event no handler takes was stored processed: the worker has nothing to do for it.
    if (Object.hasOwn(handlers, event.type)) void options.worker.schedule().catch((err) => request.log.warn({ err }, 'webhook processing failed'));
    return reply.status(200).send({ received: true, duplicate });
  });
};

/** POST /webhooks/stripe as the API document's `webhooks` entry: what Stripe sends us and what we answer. */
export const stripeWebhookDocument: Record<string, OpenAPIV3_1.PathItemObject> = {
  stripeEvent: {
    post: {
      summary: 'A Stripe event, sent by Stripe to POST /webhooks/stripe',
      description: `Stripe signs each event (\`Stripe-Signature\`, checked against every secret in STRIPE_WEBHOOK_SECRET, 5 minutes' tolerance either way). A verified event is stored in the inbox and answered 200 at once, then processed; a duplicate is answered 200 with \`duplicate: true\`. The types acted on: ${Object.keys(handlers)
        .map((t) => `\`${t}\``)
        .join(', ')}; any other verified event is stored and ignored.`,
      parameters: [{ name: 'Stripe-Signature', in: 'header', required: true, schema: { type: 'string' }, description: '`t=<unix seconds>,v1=<HMAC-SHA256 of "t.body">`' }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['id', 'type', 'data'],
              properties: {
                id: { type: 'string', pattern: '^evt_' },
                type: { type: 'string', examples: Object.keys(handlers) },
                created: { type: 'integer' },
                data: { type: 'object', required: ['object'], properties: { object: { type: 'object' } } },
              },
            },
          },
        },
      },
      responses: {
        200: {
          description: 'Stored (or already stored); Stripe stops retrying.',
          content: { 'application/json': { schema: { type: 'object', required: ['received', 'duplicate'], properties: { received: { const: true }, duplicate: { type: 'boolean' } } } } },
        },
        400: {
          description: 'No signature, a signature that does not verify, or not a Stripe event (`signature_missing`, `signature_invalid`, `event_invalid`); nothing is stored.',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  },
};
