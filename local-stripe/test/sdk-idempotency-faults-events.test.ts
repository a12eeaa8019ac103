import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStripe, startLocalStripe } from '../server.js';
import { apiError, cardError, cardOnly, sdkSuite } from './helpers.js';

// Idempotency, fault injection, events and webhooks, and deterministic mode, through the SDK.
// The objects themselves are in sdk.test.ts.
const { env, pay } = sdkSuite();
let local: LocalStripe;
let stripe: Stripe;
beforeAll(() => {
  ({ local, stripe } = env);
});

describe('idempotency', () => {
  it('replays the first response for the same key and parameters, including errors', async () => {
    const params = { amount: 2500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, automatic_payment_methods: cardOnly };
    const a = await stripe.paymentIntents.create(params, { idempotencyKey: 'key-1' });
    const b = await stripe.paymentIntents.create(params, { idempotencyKey: 'key-1' });
    expect(b.id).toBe(a.id);
    expect(b.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(local.emulator.paymentIntents.size).toBe(1);
    const declined = { ...params, payment_method: 'pm_card_chargeDeclined' };
    const e1 = await cardError(stripe.paymentIntents.create(declined, { idempotencyKey: 'key-2' }));
    const e2 = await cardError(stripe.paymentIntents.create(declined, { idempotencyKey: 'key-2' }));
    expect(e2.payment_intent?.id).toBe(e1.payment_intent?.id);
    expect(e2.statusCode).toBe(402);
  });

  it('answers 20 concurrent requests with one key with one object', async () => {
    const params = { amount: 2500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, automatic_payment_methods: cardOnly };
    const results = await Promise.all(Array.from({ length: 20 }, () => stripe.paymentIntents.create(params, { idempotencyKey: 'concurrent' })));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(local.emulator.paymentIntents.size).toBe(1);
    expect(local.emulator.charges.size).toBe(1);
  });

  it('refuses the same key with different parameters', async () => {
    await stripe.customers.create({ email: 'a@example.test' }, { idempotencyKey: 'k' });
    const error = await apiError(stripe.customers.create({ email: 'b@example.test' }, { idempotencyKey: 'k' }));
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error.statusCode).toBe(400);
  });

  it('saves no result for a request rejected by validation, so the corrected request may reuse the key', async () => {
    const missing = await apiError(stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: 'cus_gone' }, { idempotencyKey: 'fix-me' }));
    expect(missing.statusCode).toBe(400);
    const fixed = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' }, { idempotencyKey: 'fix-me' });
    expect(fixed.status).toBe('requires_payment_method');
  });

  it('keeps its state in a file across restarts when asked to', async () => {
    const file = `${process.env.TMPDIR ?? '/tmp'}/local-stripe-${process.pid}.json`;
    const first = await startLocalStripe({ stateFile: file });
    const client = new Stripe(first.secretKey, { host: '127.0.0.1', port: first.port, protocol: 'http' });
    const customer = await client.customers.create({ email: 'kept@example.test' });
    await client.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await first.close();
    const second = await startLocalStripe({ stateFile: file, secretKey: first.secretKey, publishableKey: first.publishableKey });
    const again = new Stripe(second.secretKey, { host: '127.0.0.1', port: second.port, protocol: 'http' });
    expect(((await again.customers.retrieve(customer.id)) as Stripe.Customer).email).toBe('kept@example.test');
    expect((await again.customers.listPaymentMethods(customer.id)).data).toHaveLength(1);
    await second.close();
    (await import('node:fs')).rmSync(file, { force: true });
  });

  it('forgets keys after 24 hours of emulated time', async () => {
    const first = await stripe.customers.create({ email: 'a@example.test' }, { idempotencyKey: 'old' });
    local.emulator.advanceClock(86_401);
    const second = await stripe.customers.create({ email: 'a@example.test' }, { idempotencyKey: 'old' });
    expect(second.id).not.toBe(first.id);
  });
});

describe('fault injection', () => {
  it('a 500 before the change is retried by the SDK and succeeds once', async () => {
    local.injectFault({ kind: '500', when: 'before', path: '/v1/payment_intents' });
    const pi = await pay('pm_card_visa');
    expect(pi.status).toBe('succeeded');
    expect(local.emulator.paymentIntents.size).toBe(1);
  });

  it('a lost response after the change replays the same object on retry', async () => {
    local.injectFault({ kind: 'reset', when: 'after', path: '/v1/payment_intents' });
    const pi = await pay('pm_card_visa');
    expect(pi.status).toBe('succeeded');
    expect(local.emulator.paymentIntents.size).toBe(1);
    expect(local.emulator.charges.size).toBe(1);
  });

  it('a 429 is retried when Stripe says so', async () => {
    local.injectFault({ kind: '429', when: 'before', count: 2 });
    const customer = await stripe.customers.create({});
    expect(customer.id).toMatch(/^cus_/);
  });

  it('fails for good when faults outlast the retries', async () => {
    local.injectFault({ kind: '500', when: 'before', count: 5 });
    const error = await apiError(stripe.customers.create({}));
    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(local.emulator.customers.size).toBe(0);
  });

  it('a timeout surfaces as a connection error to a client with a short timeout', async () => {
    local.injectFault({ kind: 'timeout', when: 'before', timeoutMs: 2000 });
    const impatient = new Stripe(local.secretKey, { host: '127.0.0.1', port: local.port, protocol: 'http', maxNetworkRetries: 0, timeout: 200 });
    const error = await apiError(impatient.customers.create({}));
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
  });
});

describe('events and webhooks', () => {
  let receiver: Server;
  let received: Array<{ event: Stripe.Event; header: string }> = [];
  let failNext = 0;
  let receiverUrl = '';
  const verifier = new Stripe('sk_test_verify_only');

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (failNext > 0) {
          failNext--;
          res.writeHead(500).end();
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ event: JSON.parse(body), header: String(req.headers['stripe-signature']) });
        (req as unknown as { rawBody: string }).rawBody = body;
        res.writeHead(200).end('{}');
        lastRaw = body;
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  beforeEach(() => {
    received = [];
    failNext = 0;
  });
  let lastRaw = '';

  it('records events for every state change and lists them newest first', async () => {
    const customer = await stripe.customers.create({});
    await pay('pm_card_visa', { customer: customer.id, setup_future_usage: 'off_session' });
    const events = await stripe.events.list({ limit: 100 });
    const types = events.data.map((e) => e.type).reverse();
    expect(types).toEqual([
      'customer.created',
      'payment_intent.created',
      'payment_method.attached',
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
    const one = await stripe.events.retrieve(events.data[0]!.id);
    expect(one).toMatchObject({ object: 'event', type: 'payment_intent.succeeded', livemode: false });
    const filtered = await stripe.events.list({ type: 'charge.*' });
    expect(filtered.data.map((e) => e.type)).toEqual(['charge.succeeded']);
  });

  it('keeps only the newest events when bounded', async () => {
    const small = await startLocalStripe({ deterministic: true, maxEvents: 3 });
    try {
      const client = new Stripe(small.secretKey, { host: '127.0.0.1', port: small.port, protocol: 'http' });
      const customers = [await client.customers.create({ description: 'c0' })];
      const oldest = (await client.events.list()).data[0]!.id;
      for (let i = 1; i < 5; i++) customers.push(await client.customers.create({ description: `c${i}` }));
      const events = await client.events.list({ limit: 100 });
      expect(events.data.map((e) => (e.data.object as Stripe.Customer).id)).toEqual(customers.slice(2).map((c) => c.id).reverse());
      const gone = await client.events.retrieve(oldest).then(
        () => null,
        (e: Stripe.errors.StripeError) => e,
      );
      expect(gone?.code).toBe('resource_missing');
    } finally {
      await small.close();
    }
  });

  it('delivers signed events that constructEvent verifies, and retries failures', async () => {
    const endpoint = await stripe.webhookEndpoints.create({ url: receiverUrl, enabled_events: ['payment_intent.succeeded', 'charge.refunded'] });
    expect(endpoint.secret).toMatch(/^whsec_/);
    failNext = 1;
    const pi = await pay('pm_card_visa');
    await stripe.refunds.create({ payment_intent: pi.id });
    await local.webhooks.idle();
    const types = received.map((r) => r.event.type).sort();
    expect(types).toEqual(['charge.refunded', 'payment_intent.succeeded']);
    for (const r of received) {
      const raw = JSON.stringify({ ...r.event, pending_webhooks: 1 }, null, 2);
      const verified = verifier.webhooks.constructEvent(raw, r.header, endpoint.secret!);
      expect(verified.id).toBe(r.event.id);
      expect(() => verifier.webhooks.constructEvent(raw, r.header, 'whsec_wrong')).toThrow(Stripe.errors.StripeSignatureVerificationError);
    }
    expect(lastRaw.length).toBeGreaterThan(0);
    expect(local.webhooks.log.filter((l) => l.status === 500)).toHaveLength(1);
    const listed = await stripe.webhookEndpoints.list();
    expect(listed.data[0]).not.toHaveProperty('secret');
  });

  it('duplicates, holds and reverses, and drops deliveries on request', async () => {
    local.addWebhookEndpoint(receiverUrl, 'whsec_test_secret');
    local.setDeliveryFaults({ duplicates: 2 });
    await stripe.customers.create({});
    await local.webhooks.idle();
    expect(received.map((r) => r.event.type)).toEqual(['customer.created', 'customer.created', 'customer.created']);

    received = [];
    local.setDeliveryFaults({ hold: true });
    await stripe.customers.create({ email: 'first@example.test' });
    await stripe.customers.create({ email: 'second@example.test' });
    expect(local.webhooks.heldCount).toBe(2);
    local.setDeliveryFaults({});
    local.webhooks.release({ reverse: true });
    await local.webhooks.idle();
    expect(received.map((r) => (r.event.data.object as Stripe.Customer).email)).toEqual(['second@example.test', 'first@example.test']);

    received = [];
    local.setDeliveryFaults({ drop: true });
    await stripe.customers.create({});
    await local.webhooks.idle();
    expect(received).toHaveLength(0);
    expect(await stripe.events.list({ type: 'customer.created' })).toHaveProperty('data.length', 4);
  });

  it('counts Stripe API calls per route', async () => {
    await pay('pm_card_visa');
    expect(local.requestCount('POST /v1/payment_intents')).toBe(1);
    expect(local.requestCount()).toBe(1);
  });
});

describe('deterministic mode', () => {
  it('gives the same ids and timestamps after a reset', async () => {
    const run = async () => {
      local.reset();
      const c = await stripe.customers.create({});
      const pi = await pay('pm_card_visa', { customer: c.id });
      return [c.id, pi.id, pi.created, pi.latest_charge];
    };
    expect(await run()).toEqual(await run());
  });
});
