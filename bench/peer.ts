/**
 * The checkout peer for `npm run bench`: the simplest correct integration a Stripe sample would
 * write. One route, POST /checkout {customer, payment_method, article_id}, creates and confirms the
 * PaymentIntent with the caller's Idempotency-Key and answers 201 {id, status}; it stores nothing.
 * The app's checkout is measured against it, so the difference is the app's bookkeeping.
 *
 * argv: port, Stripe API URL, secret key, then the product fixed on the server as ours is: id,
 * amount (minor units), currency, name.
 */
import Fastify from 'fastify';
import Stripe from 'stripe';
import { z } from 'zod';
import { STRIPE_API_VERSION } from '../src/payments/stripe.js';

const [port, apiUrl, secretKey, productId, amount, currency, productName] = process.argv.slice(2);
const api = new URL(apiUrl!);
// The app's client settings (src/payments/stripe.ts), so both send Stripe the same requests.
const stripe = new Stripe(secretKey!, {
  apiVersion: STRIPE_API_VERSION,
  maxNetworkRetries: 3,
  timeout: 20_000,
  telemetry: false,
  host: api.hostname,
  port: api.port,
  protocol: 'http',
});

const checkoutBody = z.object({ customer: z.string().min(1), payment_method: z.string().min(1), article_id: z.number().int().positive() });
const idempotencyKey = z.string().min(8).max(255).regex(/^[\x21-\x7e]+$/);

const app = Fastify();
app.post('/checkout', async (request, reply) => {
  const body = checkoutBody.safeParse(request.body);
  const key = idempotencyKey.safeParse(request.headers['idempotency-key']);
  if (!body.success || !key.success) return reply.code(400).send({ error: { code: 'invalid_request' } });
  try {
    // The parameters the app sends for a buyer paying with a saved card (src/payments/checkout.ts),
    // its row ids aside, so Stripe does the same work for both.
    const intent = await stripe.paymentIntents.create(
      {
        amount: Number(amount),
        currency: currency!,
        customer: body.data.customer,
        payment_method: body.data.payment_method,
        confirm: true,
        automatic_payment_methods: { enabled: true },
        return_url: `http://127.0.0.1:${port}/checkout/done`,
        use_stripe_sdk: true,
        description: productName!,
        metadata: { product: productId!, article_id: String(body.data.article_id) },
        expand: ['latest_charge.balance_transaction', 'payment_method'],
      },
      { idempotencyKey: key.data },
    );
    return reply.code(201).send({ id: intent.id, status: intent.status });
  } catch (error) {
    if (error instanceof Stripe.errors.StripeCardError) return reply.code(402).send({ error: { code: error.code, message: error.message } });
    throw error;
  }
});
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
