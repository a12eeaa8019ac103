import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { cardFee } from '../index.js';
import type { LocalStripe } from '../server.js';
import { apiError, cardError, cardOnly, controlHeaders, sdkSuite } from './helpers.js';

// The objects through the SDK: keys, customers, payment methods, payment intents, 3-D Secure,
// refunds and disputes. Idempotency, faults, events and determinism are in sdk-idempotency-faults-events.test.ts.
const { env, pay } = sdkSuite();
let local: LocalStripe;
let stripe: Stripe;
/** Stripe.js's key: card numbers go to Stripe from the browser, never with the secret key. */
let browser: Stripe;
beforeAll(() => {
  ({ local, stripe, browser } = env);
});
const control = () => controlHeaders(local);

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
