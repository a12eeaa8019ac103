import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { SESSION_MAX_LIFETIME_SECONDS, SESSION_MIN_LIFETIME_SECONDS } from '../resources/checkout_sessions.js';
import { apiError, controlHeaders, localStripeForTests } from './helpers.js';

/** Checkout Sessions through the SDK, the hosted page, and `/_local/checkout/sessions/:id/pay`. */
const env = localStripeForTests();

const SUCCESS = 'https://shop.example.test/checkout/return?session_id={CHECKOUT_SESSION_ID}';
const CANCEL = 'https://shop.example.test/checkout/cancelled';

const params = (extra: Partial<Stripe.Checkout.SessionCreateParams> = {}): Stripe.Checkout.SessionCreateParams => ({
  mode: 'payment',
  line_items: [
    { price_data: { currency: 'usd', unit_amount: 2500, product_data: { name: 'Job listing' } }, quantity: 1 },
    { price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Highlight' } }, quantity: 2 },
  ],
  client_reference_id: 'charge_41',
  payment_intent_data: { metadata: { charge_id: '41' } },
  metadata: { charge_id: '41' },
  success_url: SUCCESS,
  cancel_url: CANCEL,
  ...extra,
});

/** The control API's pay: as if the buyer paid on the page. */
async function pay(id: string, paymentMethod: string, extra: Record<string, unknown> = {}) {
  const res = await fetch(`${env.local.url}/_local/checkout/sessions/${id}/pay`, {
    method: 'POST',
    headers: controlHeaders(env.local),
    body: JSON.stringify({ payment_method: paymentMethod, ...extra }),
  });
  return { status: res.status, body: await res.json() };
}

const typesOf = async () => (await env.stripe.events.list({ limit: 100 })).data.map((e) => e.type).reverse();

describe('creating and reading sessions', () => {
  it('creates an open, unpaid session with its totals, url and default 24-hour expiry; retrieves, lists and lists line items', async () => {
    const session = await env.stripe.checkout.sessions.create(params());
    expect(session).toMatchObject({
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 3500,
      amount_subtotal: 3500,
      currency: 'usd',
      client_reference_id: 'charge_41',
      metadata: { charge_id: '41' },
      payment_intent: null,
      success_url: SUCCESS,
      cancel_url: CANCEL,
      url: `${env.local.url}/c/pay/${session.id}`,
    });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.expires_at).toBe(session.created + SESSION_MAX_LIFETIME_SECONDS);
    expect((await env.stripe.checkout.sessions.retrieve(session.id)).id).toBe(session.id);
    const items = await env.stripe.checkout.sessions.listLineItems(session.id);
    expect(items.data.map((i) => [i.description, i.quantity, i.amount_total, i.price?.unit_amount])).toEqual([
      ['Job listing', 1, 2500, 2500],
      ['Highlight', 2, 1000, 500],
    ]);
    const expanded = await env.stripe.checkout.sessions.retrieve(session.id, { expand: ['line_items'] });
    expect(expanded.line_items?.data).toHaveLength(2);
    const open = await env.stripe.checkout.sessions.list({ status: 'open' });
    expect(open.data.map((s) => s.id)).toEqual([session.id]);
    expect((await env.stripe.checkout.sessions.list({ status: 'complete' })).data).toEqual([]);
  });

  it('gives the same ids after a reset in deterministic mode', async () => {
    const first = await env.stripe.checkout.sessions.create(params());
    env.local.reset();
    expect((await env.stripe.checkout.sessions.create(params())).id).toBe(first.id);
  });

  it('replays a create with the same idempotency key', async () => {
    const a = await env.stripe.checkout.sessions.create(params(), { idempotencyKey: 'charge-41' });
    const b = await env.stripe.checkout.sessions.create(params(), { idempotencyKey: 'charge-41' });
    expect(b.id).toBe(a.id);
    expect(env.local.emulator.checkoutSessions.size).toBe(1);
  });

  it('refuses what Stripe refuses, creating nothing', async () => {
    const now = env.local.emulator.now();
    const cases: Array<[Stripe.Checkout.SessionCreateParams, Record<string, unknown>]> = [
      [params({ success_url: undefined }), { code: 'parameter_missing', param: 'success_url' }],
      [params({ mode: undefined }), { code: 'parameter_missing', param: 'mode' }],
      [params({ line_items: [] }), { code: 'parameter_missing', param: 'line_items' }],
      [params({ expires_at: now + SESSION_MIN_LIFETIME_SECONDS - 60 }), { param: 'expires_at' }],
      [params({ expires_at: now + SESSION_MAX_LIFETIME_SECONDS + 60 }), { param: 'expires_at' }],
      [params({ success_url: 'javascript:alert(1)' }), { code: 'url_invalid', param: 'success_url' }],
      [params({ customer: 'cus_nope' }), { code: 'resource_missing', param: 'customer' }],
      [params({ line_items: [{ price_data: { currency: 'usd', unit_amount: 2500, product_data: { name: 'x' } } }] }), { code: 'parameter_missing', param: 'line_items[0][quantity]' }],
      [params({ line_items: [{ price_data: { currency: 'usd', product_data: { name: 'x' } }, quantity: 1 }] }), { code: 'parameter_missing', param: 'line_items[0][price_data][unit_amount]' }],
      [params({ line_items: [{ price_data: { currency: 'usd', unit_amount: 10, product_data: { name: 'x' } }, quantity: 1 }] }), { code: 'amount_too_small' }],
      [
        params({
          line_items: [
            { price_data: { currency: 'usd', unit_amount: 2500, product_data: { name: 'x' } }, quantity: 1 },
            { price_data: { currency: 'eur', unit_amount: 2500, product_data: { name: 'y' } }, quantity: 1 },
          ],
        }),
        { param: 'line_items[1][price_data][currency]' },
      ],
      [params({ colour: 'red' } as Partial<Stripe.Checkout.SessionCreateParams>), { code: 'parameter_unknown', param: 'colour' }],
    ];
    for (const [call, expected] of cases) {
      expect(await apiError(env.stripe.checkout.sessions.create(call))).toMatchObject({ statusCode: 400, ...expected });
    }
    const customer = await env.stripe.customers.create({ email: 'buyer@example.test' });
    const exclusive = await apiError(env.stripe.checkout.sessions.create(params({ customer: customer.id, customer_email: 'other@example.test' })));
    expect(exclusive).toMatchObject({ code: 'parameters_exclusive' });
    expect(env.local.emulator.checkoutSessions.size).toBe(0);
    const ok = await env.stripe.checkout.sessions.create(params({ expires_at: now + SESSION_MIN_LIFETIME_SECONDS }));
    expect(ok.expires_at).toBe(now + SESSION_MIN_LIFETIME_SECONDS);
  });
});

describe('paying a session (the control API, as the page does)', () => {
  it('creates the PaymentIntent with payment_intent_data, completes the session and tells it in events', async () => {
    const customer = await env.stripe.customers.create({ email: 'buyer@example.test' });
    const session = await env.stripe.checkout.sessions.create(params({ customer: customer.id }));
    const { status, body } = await pay(session.id, 'pm_card_visa');
    expect(status).toBe(200);
    expect(body.payment_intent).toMatchObject({ status: 'succeeded', amount: 3500, currency: 'usd', customer: customer.id, metadata: { charge_id: '41' } });
    const done = await env.stripe.checkout.sessions.retrieve(session.id);
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', payment_intent: body.payment_intent.id, customer_details: { email: 'buyer@example.test' } });
    expect((await env.stripe.checkout.sessions.list({ payment_intent: body.payment_intent.id })).data.map((s) => s.id)).toEqual([session.id]);
    expect((await env.stripe.checkout.sessions.list({ customer: customer.id, status: 'complete' })).data).toHaveLength(1);
    expect(await typesOf()).toEqual(['customer.created', 'payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed']);
    const completed = (await env.stripe.events.list({ type: 'checkout.session.completed' })).data[0]!;
    expect(completed.data.object).toMatchObject({ id: session.id, status: 'complete', payment_status: 'paid' });
  });

  it('saves the card with allow_redisplay always when the buyer asks and the session offers it; refuses it otherwise', async () => {
    const customer = await env.stripe.customers.create({});
    const plain = await env.stripe.checkout.sessions.create(params({ customer: customer.id }));
    const refused = await pay(plain.id, 'pm_card_visa', { save_payment_method: true });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ param: 'save_payment_method' });
    const offering = await env.stripe.checkout.sessions.create(params({ customer: customer.id, saved_payment_method_options: { payment_method_save: 'enabled' } }));
    expect(offering.saved_payment_method_options).toMatchObject({ payment_method_save: 'enabled', allow_redisplay_filters: ['always'] });
    const { body } = await pay(offering.id, 'pm_card_visa', { save_payment_method: true });
    const saved = await env.stripe.paymentMethods.retrieve(body.payment_intent.payment_method);
    expect(saved).toMatchObject({ customer: customer.id, allow_redisplay: 'always' });
    const next = await env.stripe.checkout.sessions.create(params({ customer: customer.id }));
    expect(await (await fetch(next.url!)).text()).toContain(`data-saved-card="${saved.id}"`);
  });

  it('leaves the session open after a decline, answering the card error, and takes another card on the same PaymentIntent', async () => {
    const session = await env.stripe.checkout.sessions.create(params());
    const declined = await pay(session.id, 'pm_card_chargeDeclined');
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' });
    expect((await env.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    const paid = await pay(session.id, 'pm_card_visa');
    expect(paid.body.payment_intent.id).toBe(declined.body.error.payment_intent.id);
    expect((await env.stripe.checkout.sessions.retrieve(session.id)).status).toBe('complete');
  });

  it('on 3-D Secure keeps the session open with the PaymentIntent requires_action until authentication completes it', async () => {
    const session = await env.stripe.checkout.sessions.create(params());
    const { status, body } = await pay(session.id, 'pm_card_authenticationRequired');
    expect(status).toBe(200);
    expect(body.session.status).toBe('open');
    expect(body.payment_intent.status).toBe('requires_action');
    expect(body.payment_intent.next_action.redirect_to_url.url).toMatch(`${env.local.url}/authenticate/${body.payment_intent.id}`);
    await fetch(`${env.local.url}/_local/payment_intents/${body.payment_intent.id}/authenticate`, { method: 'POST', headers: controlHeaders(env.local), body: '{"outcome":"complete"}' });
    expect((await env.stripe.checkout.sessions.retrieve(session.id)).status).toBe('complete');
  });

  it('refuses an unknown or missing payment method, without the secret key, and a paid session', async () => {
    const session = await env.stripe.checkout.sessions.create(params());
    expect((await pay(session.id, '')).body.error).toMatchObject({ code: 'parameter_missing', param: 'payment_method' });
    expect((await pay(session.id, 'pm_nope')).body.error).toMatchObject({ code: 'resource_missing', param: 'payment_method' });
    const anonymous = await fetch(`${env.local.url}/_local/checkout/sessions/${session.id}/pay`, { method: 'POST', body: '{"payment_method":"pm_card_visa"}' });
    expect(anonymous.status).toBe(401);
    expect((await pay(session.id, 'pm_card_visa')).status).toBe(200);
    expect((await pay(session.id, 'pm_card_visa')).body.error).toMatchObject({ type: 'invalid_request_error' });
    expect(await apiError(env.stripe.checkout.sessions.expire(session.id))).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
  });
});

describe('expiry', () => {
  it('expires an open session on request, cancelling its unfinished PaymentIntent, and refuses paying it after', async () => {
    const session = await env.stripe.checkout.sessions.create(params());
    const started = await pay(session.id, 'pm_card_authenticationRequired');
    const expired = await env.stripe.checkout.sessions.expire(session.id);
    expect(expired.status).toBe('expired');
    expect((await env.stripe.paymentIntents.retrieve(started.body.payment_intent.id)).status).toBe('canceled');
    const late = await pay(session.id, 'pm_card_visa');
    expect(late.status).toBe(400);
    expect(await apiError(env.stripe.checkout.sessions.expire(session.id))).toMatchObject({ statusCode: 400 });
    expect((await env.stripe.events.list({ type: 'checkout.session.expired' })).data).toHaveLength(1);
  });

  it('expires sessions when their expires_at passes on the clock, once', async () => {
    const session = await env.stripe.checkout.sessions.create(params({ expires_at: env.local.emulator.now() + SESSION_MIN_LIFETIME_SECONDS }));
    env.local.emulator.advanceClock(SESSION_MIN_LIFETIME_SECONDS - 1);
    expect((await env.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    env.local.emulator.advanceClock(1);
    expect((await env.stripe.checkout.sessions.retrieve(session.id)).status).toBe('expired');
    env.local.emulator.advanceClock(60);
    expect((await env.stripe.events.list({ type: 'checkout.session.expired' })).data).toHaveLength(1);
    expect((await env.stripe.checkout.sessions.list({ status: 'expired' })).data.map((s) => s.id)).toEqual([session.id]);
  });
});

describe('the hosted page', () => {
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual' as const,
  });

  it('shows the items, total, saved cards and a cancel link; a new card pays and sends the buyer to success_url', async () => {
    const customer = await env.stripe.customers.create({});
    const saved = await env.stripe.paymentMethods.attach('pm_card_amex', { customer: customer.id });
    await env.stripe.paymentMethods.attach('pm_card_mastercard', { customer: customer.id });
    const session = await env.stripe.checkout.sessions.create(params({ customer: customer.id, saved_payment_method_options: { allow_redisplay_filters: ['unspecified'] } }));
    const res = await fetch(session.url!);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('Job listing');
    expect(html).toContain('Highlight × 2');
    expect(html).toContain('35.00 USD');
    expect(html).toContain(`data-saved-card="${saved.id}"`);
    expect(html).toContain(`href="${CANCEL}"`);

    const bad = await fetch(session.url!, form({ number: '4242 4242 4242 4241', expiry: '12 / 40', cvc: '123' }));
    expect(bad.status).toBe(402);
    const badHtml = await bad.text();
    expect(badHtml).toContain('Your card number is incorrect.');
    expect(badHtml).toContain('value="4242 4242 4242 4241"');

    const paid = await fetch(session.url!, form({ number: '4242 4242 4242 4242', expiry: '12 / 40', cvc: '123' }));
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`https://shop.example.test/checkout/return?session_id=${session.id}`);
    expect((await env.stripe.checkout.sessions.retrieve(session.id)).status).toBe('complete');
    expect((await fetch(session.url!, { redirect: 'manual' })).status).toBe(303);
  });

  it('shows saved cards only as allow_redisplay_filters let them (by default: always), and pays with one', async () => {
    const customer = await env.stripe.customers.create({});
    const saved = await env.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const strict = await env.stripe.checkout.sessions.create(params({ customer: customer.id }));
    expect(await (await fetch(strict.url!)).text()).not.toContain('data-saved-card');
    const refused = await fetch(strict.url!, form({ saved_payment_method: saved.id }));
    expect(refused.status).toBe(400);
    expect((await pay(strict.id, saved.id)).body.error).toMatchObject({ type: 'invalid_request_error', param: 'payment_method' });
    expect((await env.stripe.checkout.sessions.retrieve(strict.id)).payment_intent).toBeNull();
    const session = await env.stripe.checkout.sessions.create(params({ customer: customer.id, saved_payment_method_options: { allow_redisplay_filters: ['always', 'unspecified'] } }));
    const paid = await fetch(session.url!, form({ saved_payment_method: saved.id }));
    expect(paid.status).toBe(303);
    const done = await env.stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    expect((done.payment_intent as Stripe.PaymentIntent).payment_method).toBe(saved.id);
  });

  it('shows each missing field’s error beside it, sends 3-D Secure to the authentication page, and refuses an expired session', async () => {
    const session = await env.stripe.checkout.sessions.create(params());
    const empty = await fetch(session.url!, form({ number: '', expiry: '', cvc: '' }));
    const html = await empty.text();
    expect(empty.status).toBe(400);
    expect(html).toContain('id="number-error"');
    expect(html).toContain('id="expiry-error"');
    expect(html).toContain('id="cvc-error"');
    const challenged = await fetch(session.url!, form({ number: '4000 0027 6000 3184', expiry: '12 / 40', cvc: '123' }));
    expect(challenged.status).toBe(303);
    const location = challenged.headers.get('location')!;
    expect(location).toMatch(`${env.local.url}/authenticate/`);
    expect(new URL(location).searchParams.get('return_url')).toBe(session.url);
    await env.stripe.checkout.sessions.expire(session.id);
    const gone = await fetch(session.url!);
    expect(gone.status).toBe(410);
    expect(await gone.text()).not.toContain('id="pay"');
    expect((await fetch(session.url!, form({ number: '4242424242424242', expiry: '12 / 40', cvc: '123' }))).status).toBe(410);
    expect((await fetch(`${env.local.url}/c/pay/cs_test_nope`)).status).toBe(404);
  });

  it('escapes what the session carries and lets its forms lead only to itself and the session’s own URLs', async () => {
    const attack = '"><script>alert(1)</script>';
    const session = await env.stripe.checkout.sessions.create(
      params({ line_items: [{ price_data: { currency: 'usd', unit_amount: 2500, product_data: { name: attack } }, quantity: 1 }], cancel_url: `https://shop.example.test/?q=${attack}` }),
    );
    const res = await fetch(session.url!);
    const html = await res.text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.headers.get('content-security-policy')).toContain("form-action 'self' https://shop.example.test");
  });
});
