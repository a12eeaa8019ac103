import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cardFee } from '../index.js';
import { type LocalStripe, startLocalStripe } from '../server.js';
import { apiError, cardError, cardOnly, controlHeaders } from './helpers.js';

let local: LocalStripe;
let stripe: Stripe;
/** Stripe.js's key: card numbers go to Stripe from the browser, never with the secret key. */
let browser: Stripe;

beforeAll(async () => {
  local = await startLocalStripe({ deterministic: true, webhookRetryBaseMs: 20, webhookMaxAttempts: 3 });
  stripe = new Stripe(local.secretKey, { host: '127.0.0.1', port: local.port, protocol: 'http', maxNetworkRetries: 2 });
  browser = new Stripe(local.publishableKey, { host: '127.0.0.1', port: local.port, protocol: 'http' });
});
afterAll(() => local.close());
const control = () => controlHeaders(local);
beforeEach(() => local.reset());

/** A card form's payment: automatic payment methods without redirects, so no return_url is needed. */
const pay = (payment_method: string, extra: Partial<Stripe.PaymentIntentCreateParams> = {}) =>
  stripe.paymentIntents.create({ amount: 2500, currency: 'usd', payment_method, confirm: true, automatic_payment_methods: cardOnly, ...extra });

describe('authentication', () => {
  it('rejects a missing or non-test key with 401 as Stripe words it', async () => {
    const bad = new Stripe('sk_live_nope_nope', { host: '127.0.0.1', port: local.port, protocol: 'http' });
    const error = await apiError(bad.customers.list());
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(error.statusCode).toBe(401);
    expect(error.message).toMatch(/^Invalid API Key provided: sk_live_/);
    const res = await fetch(`${local.url}/v1/customers`);
    expect(res.status).toBe(401);
    expect((await res.json()).error.type).toBe('invalid_request_error');
  });

  it('lets a publishable key create payment methods but not read customers', async () => {
    const pk = new Stripe(local.publishableKey, { host: '127.0.0.1', port: local.port, protocol: 'http' });
    const pm = await pk.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123' } });
    expect(pm.card?.last4).toBe('4242');
    const error = await apiError(pk.customers.list());
    expect(error.statusCode).toBe(401);
  });
});

describe('customers', () => {
  it('creates, retrieves, updates, lists and deletes', async () => {
    const customer = await stripe.customers.create({ email: 'buyer@example.test', name: 'Buyer', metadata: { user_id: '7' } });
    expect(customer.id).toMatch(/^cus_/);
    expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ email: 'buyer@example.test', metadata: { user_id: '7' } });
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const updated = await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id }, metadata: { plan: 'x' } });
    expect(updated.invoice_settings.default_payment_method).toBe(pm.id);
    expect(updated.metadata).toEqual({ user_id: '7', plan: 'x' });
    const listed = await stripe.customers.list({ email: 'buyer@example.test' });
    expect(listed.data.map((c) => c.id)).toEqual([customer.id]);
    const deleted = await stripe.customers.del(customer.id);
    expect(deleted).toEqual({ id: customer.id, object: 'customer', deleted: true });
    expect(await stripe.customers.retrieve(customer.id)).toEqual({ id: customer.id, object: 'customer', deleted: true });
    const missing = await apiError(stripe.customers.update(customer.id, { name: 'x' }));
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing', message: `No such customer: '${customer.id}'` });
  });

  it('refuses a default payment method the customer does not have', async () => {
    const customer = await stripe.customers.create({});
    const pm = await browser.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', exp_month: 1, exp_year: 2031, cvc: '123' } });
    const error = await apiError(stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } }));
    expect(error.statusCode).toBe(400);
    expect(error.param).toBe('invoice_settings[default_payment_method]');
  });
});

describe('payment methods', () => {
  it('creates a card from test numbers with brand, last4, expiry and a stable fingerprint', async () => {
    const a = await browser.paymentMethods.create({ type: 'card', card: { number: '5555555555554444', exp_month: 4, exp_year: 2030, cvc: '123' } });
    const b = await browser.paymentMethods.create({ type: 'card', card: { number: '5555 5555 5555 4444', exp_month: 5, exp_year: 31, cvc: '999' } });
    expect(a.card).toMatchObject({ brand: 'mastercard', last4: '4444', exp_month: 4, exp_year: 2030 });
    expect(b.card?.exp_year).toBe(2031);
    expect(a.card?.fingerprint).toBe(b.card?.fingerprint);
    expect(a.id).not.toBe(b.id);
    expect((await stripe.paymentMethods.retrieve(a.id)).id).toBe(a.id);
  });

  it('answers incorrect_number, bad expiry and bad cvc as card errors', async () => {
    const wrong = await cardError(browser.paymentMethods.create({ type: 'card', card: { number: '4242424242424241', exp_month: 1, exp_year: 2031, cvc: '123' } }));
    expect(wrong).toMatchObject({ code: 'incorrect_number', message: 'Your card number is incorrect.', statusCode: 402 });
    const expired = await cardError(browser.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', exp_month: 1, exp_year: 2001, cvc: '123' } }));
    expect(expired.code).toBe('invalid_expiry_year');
    const cvc = await cardError(browser.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', exp_month: 1, exp_year: 2031, cvc: '1' } }));
    expect(cvc.code).toBe('invalid_cvc');
  });

  it('attaches and detaches, and lists a customer cards newest first', async () => {
    const customer = await stripe.customers.create({});
    const first = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const second = await stripe.paymentMethods.attach('pm_card_amex', { customer: customer.id });
    expect(second.card?.brand).toBe('amex');
    const listed = await stripe.customers.listPaymentMethods(customer.id, { type: 'card' });
    expect(listed.data.map((p) => p.id)).toEqual([second.id, first.id]);
    const detached = await stripe.paymentMethods.detach(first.id);
    expect(detached.customer).toBeNull();
    expect((await stripe.customers.listPaymentMethods(customer.id)).data.map((p) => p.id)).toEqual([second.id]);
    const again = await apiError(stripe.paymentMethods.detach(first.id));
    expect(again.statusCode).toBe(400);
  });

  it('refuses to attach a declining card, and allows chargeCustomerFail', async () => {
    const customer = await stripe.customers.create({});
    const declined = await cardError(stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: customer.id }));
    expect(declined).toMatchObject({ code: 'card_declined', decline_code: 'generic_decline' });
    const attachable = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
    expect(attachable.customer).toBe(customer.id);
    const error = await cardError(pay(attachable.id, { customer: customer.id }));
    expect(error.code).toBe('card_declined');
  });
});

describe('payment intents: test cards', () => {
  it.each([
    ['pm_card_visa', 'visa'],
    ['pm_card_mastercard', 'mastercard'],
    ['pm_card_amex', 'amex'],
  ])('%s succeeds with a charge and a balance transaction', async (pm, brand) => {
    const pi = await pay(pm, { expand: ['latest_charge.balance_transaction'] });
    expect(pi.status).toBe('succeeded');
    expect(pi.amount_received).toBe(2500);
    const charge = pi.latest_charge as Stripe.Charge;
    expect(charge.id).toMatch(/^ch_/);
    expect(charge).toMatchObject({ status: 'succeeded', paid: true, captured: true, amount: 2500, payment_intent: pi.id });
    expect(charge.payment_method_details?.card?.brand).toBe(brand);
    expect(charge.receipt_url).toBe(`${local.url}/receipts/${charge.id}`);
    const txn = charge.balance_transaction as Stripe.BalanceTransaction;
    expect(txn).toMatchObject({ amount: 2500, fee: cardFee(2500), net: 2500 - cardFee(2500), type: 'charge', source: charge.id });
    expect(cardFee(2500)).toBe(103);
    const receipt = await fetch(charge.receipt_url!);
    expect(await receipt.text()).toContain('25.00 USD');
  });

  it.each([
    ['pm_card_visa_chargeDeclined', 'card_declined', 'generic_decline', 'Your card was declined.'],
    ['pm_card_chargeDeclined', 'card_declined', 'generic_decline', 'Your card was declined.'],
    ['pm_card_visa_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds', 'Your card has insufficient funds.'],
    ['pm_card_visa_chargeDeclinedLostCard', 'card_declined', 'lost_card', 'Your card was declined.'],
    ['pm_card_visa_chargeDeclinedStolenCard', 'card_declined', 'stolen_card', 'Your card was declined.'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card', 'Your card has expired.'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc', 'incorrect_cvc', "Your card's security code is incorrect."],
    ['pm_card_chargeDeclinedProcessingError', 'processing_error', 'processing_error', 'An error occurred while processing your card. Try again in a little bit.'],
    ['pm_card_radarBlock', 'card_declined', 'fraudulent', 'Your card was declined.'],
  ])('%s is declined with %s / %s', async (pm, code, declineCode, message) => {
    const error = await cardError(pay(pm));
    expect(error.statusCode).toBe(402);
    expect(error).toMatchObject({ type: 'StripeCardError', code, decline_code: declineCode, message });
    const pi = error.payment_intent!;
    expect(pi.status).toBe('requires_payment_method');
    expect(pi.last_payment_error).toMatchObject({ type: 'card_error', code, decline_code: declineCode, message });
    const charge = await stripe.charges.retrieve(error.charge!);
    expect(charge).toMatchObject({ status: 'failed', failure_code: code, paid: false, balance_transaction: null });
    if (pm === 'pm_card_radarBlock') expect(charge.outcome?.type).toBe('blocked');
    const stored = await stripe.paymentIntents.retrieve(pi.id);
    expect(stored.status).toBe('requires_payment_method');
    // A declined PaymentIntent can be retried with another card.
    const retried = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    expect(retried.status).toBe('succeeded');
  });

  it('declines a card number typed with a declining test number', async () => {
    const pm = await browser.paymentMethods.create({ type: 'card', card: { number: '4000000000009995', exp_month: 1, exp_year: 2031, cvc: '123' } });
    const error = await cardError(pay(pm.id));
    expect(error.decline_code).toBe('insufficient_funds');
  });

  it('walks the status machine: requires_payment_method → requires_confirmation → succeeded', async () => {
    const created = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', metadata: { charge_id: '9' }, description: 'Job listing', automatic_payment_methods: cardOnly });
    expect(created).toMatchObject({ status: 'requires_payment_method', client_secret: expect.stringMatching(new RegExp(`^${created.id}_secret_`)) });
    const updated = await stripe.paymentIntents.update(created.id, { payment_method: 'pm_card_visa', amount: 1200 });
    expect(updated).toMatchObject({ status: 'requires_confirmation', amount: 1200 });
    const confirmed = await stripe.paymentIntents.confirm(created.id);
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 1200, metadata: { charge_id: '9' } });
    const again = await apiError(stripe.paymentIntents.confirm(created.id));
    expect(again).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
    const cancel = await apiError(stripe.paymentIntents.cancel(created.id));
    expect(cancel.code).toBe('payment_intent_unexpected_state');
  });

  it('cancels an unpaid intent', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const canceled = await stripe.paymentIntents.cancel(pi.id, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned', canceled_at: expect.any(Number) });
  });

  it('saves the card with setup_future_usage and lists intents by customer', async () => {
    const customer = await stripe.customers.create({});
    const pi = await pay('pm_card_visa', { customer: customer.id, setup_future_usage: 'off_session' });
    const cards = await stripe.customers.listPaymentMethods(customer.id);
    expect(cards.data.map((p) => p.id)).toEqual([pi.payment_method]);
    const again = await pay(pi.payment_method as string, { customer: customer.id, off_session: true });
    expect(again.status).toBe('succeeded');
    const listed = await stripe.paymentIntents.list({ customer: customer.id });
    expect(listed.data.map((p) => p.id)).toEqual([again.id, pi.id]);
    // Someone else's customer cannot use this card.
    const other = await stripe.customers.create({});
    const error = await apiError(pay(pi.payment_method as string, { customer: other.id }));
    expect(error.statusCode).toBe(400);
  });

  it('validates parameters as Stripe does', async () => {
    const unknown = await apiError(stripe.paymentIntents.create({ amount: 100, currency: 'usd', colour: 'red' } as Stripe.PaymentIntentCreateParams));
    expect(unknown).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'colour', message: 'Received unknown parameter: colour' });
    const missing = await apiError(stripe.paymentIntents.create({ currency: 'usd' } as Stripe.PaymentIntentCreateParams));
    expect(missing).toMatchObject({ code: 'parameter_missing', param: 'amount', message: 'Missing required param: amount.' });
    const wrongType = await apiError(stripe.paymentIntents.create({ amount: 'lots' as unknown as number, currency: 'usd' }));
    expect(wrongType).toMatchObject({ code: 'parameter_invalid_integer', param: 'amount' });
    const small = await apiError(stripe.paymentIntents.create({ amount: 10, currency: 'usd' }));
    expect(small.code).toBe('amount_too_small');
    const nested = await apiError(stripe.customers.create({ invoice_settings: { colour: 'x' } } as Stripe.CustomerCreateParams));
    expect(nested).toMatchObject({ code: 'parameter_unknown', param: 'invoice_settings[colour]' });
    const noCustomer = await apiError(stripe.paymentIntents.create({ amount: 100, currency: 'usd', customer: 'cus_missing' }));
    expect(noCustomer).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'customer' });
    const malformed = await fetch(`${local.url}/v1/payment_intents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${local.secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: '%%%&&&[[[=',
    });
    expect(malformed.status).toBeLessThan(500);
  });
});

describe('3-D Secure', () => {
  it('requires action, then succeeds when completed', async () => {
    const pi = await pay('pm_card_authenticationRequired');
    expect(pi.status).toBe('requires_action');
    expect(pi.next_action?.type).toBe('use_stripe_sdk');
    const authUrl = (pi.next_action!.use_stripe_sdk as { stripe_js: string }).stripe_js;
    const page = await fetch(authUrl);
    expect(await page.text()).toContain('Complete');
    const form = new URLSearchParams({ client_secret: pi.client_secret!, outcome: 'complete' });
    await fetch(`${local.url}/authenticate/${pi.id}`, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const done = await stripe.paymentIntents.retrieve(pi.id);
    expect(done.status).toBe('succeeded');
    expect(done.latest_charge).toMatch(/^ch_/);
  });

  it('fails authentication back to requires_payment_method', async () => {
    const pi = await pay('pm_card_authenticationRequired', { return_url: 'http://localhost:3000/back' });
    expect(pi.next_action?.type).toBe('redirect_to_url');
    expect(pi.next_action?.redirect_to_url?.return_url).toBe('http://localhost:3000/back');
    const form = new URLSearchParams({ client_secret: pi.client_secret!, outcome: 'fail' });
    await fetch(`${local.url}/authenticate/${pi.id}`, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const failed = await stripe.paymentIntents.retrieve(pi.id);
    expect(failed.status).toBe('requires_payment_method');
    expect(failed.last_payment_error?.code).toBe('payment_intent_authentication_failure');
  });

  it('declines an off-session payment that needs authentication', async () => {
    const customer = await stripe.customers.create({});
    const pm = await stripe.paymentMethods.attach('pm_card_authenticationRequired', { customer: customer.id });
    const error = await cardError(pay(pm.id, { customer: customer.id, off_session: true }));
    expect(error).toMatchObject({ code: 'authentication_required', decline_code: 'authentication_required' });
  });

  it('skips authentication on a card set up for future use (authenticationRequiredOnSetup)', async () => {
    const customer = await stripe.customers.create({});
    const first = await pay('pm_card_authenticationRequiredOnSetup', { customer: customer.id, setup_future_usage: 'off_session' });
    expect(first.status).toBe('requires_action');
    await fetch(`${local.url}/_local/payment_intents/${first.id}/authenticate`, { method: 'POST', headers: control(), body: JSON.stringify({ outcome: 'complete' }) });
    const saved = (await stripe.customers.listPaymentMethods(customer.id)).data[0]!;
    const second = await pay(saved.id, { customer: customer.id });
    expect(second.status).toBe('succeeded');
  });
});

describe('refunds', () => {
  it('refunds fully and partially by payment_intent or charge, and refuses over-refunds', async () => {
    const pi = await pay('pm_card_visa');
    const partial = await stripe.refunds.create({ payment_intent: pi.id, amount: 1000, reason: 'requested_by_customer' });
    expect(partial).toMatchObject({ status: 'succeeded', amount: 1000, reason: 'requested_by_customer', charge: pi.latest_charge, payment_intent: pi.id });
    let charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ amount_refunded: 1000, refunded: false });
    const over = await apiError(stripe.refunds.create({ charge: charge.id, amount: 1501 }));
    expect(over).toMatchObject({ statusCode: 400, code: 'amount_too_large', message: 'Refund amount ($15.01) is greater than unrefunded amount on charge ($15.00)' });
    const rest = await stripe.refunds.create({ charge: charge.id });
    expect(rest.amount).toBe(1500);
    charge = await stripe.charges.retrieve(charge.id);
    expect(charge).toMatchObject({ amount_refunded: 2500, refunded: true });
    const done = await apiError(stripe.refunds.create({ charge: charge.id }));
    expect(done.code).toBe('charge_already_refunded');
    const txn = await stripe.balanceTransactions.retrieve(rest.balance_transaction as string);
    expect(txn).toMatchObject({ amount: -1500, type: 'refund' });
    const listed = await stripe.refunds.list({ payment_intent: pi.id });
    expect(listed.data.map((r) => r.id)).toEqual([rest.id, partial.id]);
    expect((await stripe.refunds.retrieve(partial.id)).amount).toBe(1000);
  });

  it('refuses to refund an intent that has not succeeded', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const error = await apiError(stripe.refunds.create({ payment_intent: pi.id }));
    expect(error.statusCode).toBe(400);
  });

  it('keeps pendingRefund pending until later, and fails refundFail later', async () => {
    const pending = await pay('pm_card_pendingRefund');
    const r1 = await stripe.refunds.create({ payment_intent: pending.id });
    expect(r1.status).toBe('pending');
    const failing = await pay('pm_card_refundFail');
    const r2 = await stripe.refunds.create({ payment_intent: failing.id });
    expect(r2.status).toBe('succeeded');
    await fetch(`${local.url}/_local/clock/advance`, { method: 'POST', headers: control(), body: JSON.stringify({ seconds: 3600 }) });
    expect((await stripe.refunds.retrieve(r1.id)).status).toBe('succeeded');
    expect((await stripe.refunds.retrieve(r2.id)).status).toBe('failed');
    expect((await stripe.charges.retrieve(failing.latest_charge as string)).amount_refunded).toBe(0);
    const updates = await stripe.events.list({ type: 'charge.refund.updated' });
    expect(updates.data.map((e) => (e.data.object as Stripe.Refund).id).sort()).toEqual([r1.id, r2.id].sort());
  });
});

describe('disputes', () => {
  it('opens a dispute on the dispute test card, and closes it won or lost', async () => {
    const pi = await pay('pm_card_createDispute');
    const disputes = await stripe.disputes.list({ payment_intent: pi.id });
    expect(disputes.data).toHaveLength(1);
    const dispute = disputes.data[0]!;
    expect(dispute).toMatchObject({ status: 'needs_response', amount: 2500, charge: pi.latest_charge, reason: 'fraudulent' });
    expect(dispute.evidence_details.due_by).toBeGreaterThan(dispute.created);
    expect((await stripe.charges.retrieve(pi.latest_charge as string)).disputed).toBe(true);
    const refund = await apiError(stripe.refunds.create({ payment_intent: pi.id }));
    expect(refund.code).toBe('charge_disputed');
    const res = await fetch(`${local.url}/_local/disputes/${dispute.id}/close`, { method: 'POST', headers: control(), body: JSON.stringify({ outcome: 'won' }) });
    expect((await res.json()).status).toBe('won');
    const closed = await stripe.events.list({ type: 'charge.dispute.closed' });
    expect(closed.data).toHaveLength(1);

    const other = await pay('pm_card_visa');
    const opened = await fetch(`${local.url}/_local/charges/${other.latest_charge}/dispute`, { method: 'POST', headers: control(), body: '{}' });
    const dp = (await opened.json()) as Stripe.Dispute;
    const lost = await stripe.disputes.close(dp.id);
    expect(lost.status).toBe('lost');
    expect((await stripe.disputes.retrieve(dp.id)).balance_transactions[0]).toMatchObject({ amount: -2500, fee: 1500 });
  });
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
