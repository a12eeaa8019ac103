/**
 * The durable checkout peer for `npm run bench`: the smallest integration Stripe's docs lead to that
 * keeps its orders. POST /checkout {customer, payment_method, article_id} with the caller's
 * Idempotency-Key stores the order first (one row, the key unique), creates and confirms the
 * PaymentIntent with a key derived from the row, records the outcome and answers 201 {id, status};
 * POST /webhooks verifies the signed `payment_intent.succeeded` event and fulfils the order once,
 * deduplicated by event id; GET /orders/summary counts its orders for the report. A retry with the same key finds its row and sends Stripe the same
 * derived key, so it never pays twice. Its own tables, in its own database (PostgreSQL) or its own
 * embedded PGlite, so its statements are counted apart from the app's.
 *
 * argv: port, Stripe API URL, secret key, webhook secret, database (a postgres:// URL or a PGlite
 * directory), then the product fixed on the server as ours is: id, amount (minor units), currency, name.
 */
import Fastify from 'fastify';
import Stripe from 'stripe';
import { z } from 'zod';
import { STRIPE_API_VERSION } from '../src/payments/stripe.js';

const [port, apiUrl, secretKey, webhookSecret, database, productId, amount, currency, productName] = process.argv.slice(2);
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

type Query = (text: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;
async function connect(): Promise<Query> {
  if (database!.startsWith('postgres')) {
    const { default: pg } = await import('pg');
    // As many connections as the app's pool (src/db/client.ts).
    const pool = new pg.Pool({ connectionString: database, max: 10 });
    return (text, params) => pool.query(text, params);
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(database!);
  return (text, params) => db.query(text, params);
}
const query = await connect();
for (const statement of [
  `create table if not exists peer_orders (
     id bigserial primary key,
     idempotency_key text not null unique,
     customer text not null,
     amount integer not null,
     currency text not null,
     status text not null default 'pending',
     payment_intent text,
     fulfilled_at timestamptz,
     created_at timestamptz not null default now())`,
  'create table if not exists peer_events (id text primary key, received_at timestamptz not null default now())',
]) {
  await query(statement, []);
}

const checkoutBody = z.object({ customer: z.string().min(1), payment_method: z.string().min(1), article_id: z.number().int().positive() });
const idempotencyKey = z.string().min(8).max(255).regex(/^[\x21-\x7e]+$/);

const app = Fastify();
app.post('/checkout', async (request, reply) => {
  const body = checkoutBody.safeParse(request.body);
  const key = idempotencyKey.safeParse(request.headers['idempotency-key']);
  if (!body.success || !key.success) return reply.code(400).send({ error: { code: 'invalid_request' } });
  // 1. The order first: one row per idempotency key; a retry gets the same row back.
  const order = (
    await query(
      `insert into peer_orders (idempotency_key, customer, amount, currency) values ($1, $2, $3, $4)
       on conflict (idempotency_key) do update set idempotency_key = excluded.idempotency_key
       returning id, status, payment_intent`,
      [key.data, body.data.customer, Number(amount), currency],
    )
  ).rows[0]!;
  if (order.status !== 'pending') return reply.code(order.status === 'failed' ? 402 : 201).send({ id: order.payment_intent, status: order.status });
  try {
    // 2. The PaymentIntent, under a key derived from the row. The parameters the app sends for a
    // buyer paying with a saved card (src/payments/checkout.ts), so Stripe does the same work for both.
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
        metadata: { product: productId!, article_id: String(body.data.article_id), order: String(order.id) },
        expand: ['latest_charge.balance_transaction', 'payment_method'],
      },
      { idempotencyKey: `order-${order.id}` },
    );
    // 3. The outcome. Fulfilment waits for the webhook.
    await query('update peer_orders set status = $1, payment_intent = $2 where id = $3', [intent.status, intent.id, order.id]);
    return reply.code(201).send({ id: intent.id, status: intent.status });
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeCardError)) throw error;
    await query(`update peer_orders set status = 'failed', payment_intent = $1 where id = $2`, [error.payment_intent?.id ?? null, order.id]);
    return reply.code(402).send({ error: { code: error.code, message: error.message } });
  }
});

// 4. Fulfilment from the signed event, once per event id: the event's row and the order's change
// commit together (one statement), so a redelivery after a crash either finds both or neither.
app.register(async (scope) => {
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  scope.post('/webhooks', async (request, reply) => {
    let event: Stripe.Event;
    try {
      event = stripe.webhooks.constructEvent(request.body as Buffer, String(request.headers['stripe-signature']), webhookSecret!);
    } catch {
      return reply.code(400).send({ error: 'bad signature' });
    }
    const order = event.type === 'payment_intent.succeeded' ? Number(event.data.object.metadata.order) : 0;
    if (order) {
      await query(
        `with event as (insert into peer_events (id) values ($1) on conflict do nothing returning id)
         update peer_orders set fulfilled_at = now(), status = 'succeeded'
         where id = $2 and fulfilled_at is null and exists (select from event)`,
        [event.id, order],
      );
    }
    return { received: true };
  });
});

// For the bench's report, after its rounds: every succeeded order should have been fulfilled once.
app.get('/orders/summary', async () => {
  const { rows } = await query(`select count(*)::int as orders, (count(*) filter (where payment_intent is not null))::int as paid, (count(*) filter (where fulfilled_at is not null))::int as fulfilled from peer_orders`, []);
  return rows[0];
});

await app.listen({ port: Number(port), host: '127.0.0.1' });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
