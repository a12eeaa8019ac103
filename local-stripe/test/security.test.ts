import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStripe, startLocalStripe } from '../index.js';
import { apiError as refusal } from './helpers.js';

/** The local Stripe runs beside a logged-in app on the same host: it must not be the way in. */
let local: LocalStripe;
let stripe: Stripe;

beforeAll(async () => {
  local = await startLocalStripe({ deterministic: true });
  stripe = new Stripe(local.secretKey, { host: '127.0.0.1', port: local.port, protocol: 'http', maxNetworkRetries: 0 });
});
afterAll(() => local.close());
beforeEach(() => local.reset());

const client = (key: string) => new Stripe(key, { host: '127.0.0.1', port: local.port, protocol: 'http', maxNetworkRetries: 0 });
const form = (params: Record<string, string>) => new URLSearchParams(params).toString();

/** A PaymentIntent waiting for 3-D Secure, with the authentication page's URL. */
async function awaitingAuthentication(returnUrl?: string) {
  const pi = await stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    payment_method: 'pm_card_authenticationRequired',
    confirm: true,
    // Without a return_url, a card form that never redirects (automatic payment methods require one otherwise).
    ...(returnUrl ? { return_url: returnUrl } : { automatic_payment_methods: { enabled: true, allow_redirects: 'never' } }),
  });
  expect(pi.status).toBe('requires_action');
  const page = pi.next_action?.redirect_to_url?.url ?? pi.next_action?.use_stripe_sdk?.stripe_js;
  return { pi, page: page as string };
}

describe('keys', () => {
  it('makes random keys when given none, and accepts only its own', async () => {
    expect(local.secretKey).toMatch(/^sk_test_\w{40}$/);
    expect(local.publishableKey).toMatch(/^pk_test_\w{40}$/);
    const other = await startLocalStripe();
    try {
      expect(other.secretKey).not.toBe(local.secretKey);
    } finally {
      await other.close();
    }
    const error = await refusal(client('sk_test_local_suite_but_not_ours').customers.list());
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(error.statusCode).toBe(401);
    expect(error.message).toMatch(/^Invalid API Key provided: sk_test_/);
    expect((await refusal(client(`${local.secretKey}x`).customers.create({}))).statusCode).toBe(401);
    expect(local.emulator.customers.size).toBe(0);
  });

  it('takes the keys it is given, and refuses keys that are not test keys', async () => {
    const given = await startLocalStripe({ secretKey: 'sk_test_given_0123456789', publishableKey: 'pk_test_given_0123456789' });
    try {
      expect(given.secretKey).toBe('sk_test_given_0123456789');
      const customer = await new Stripe('sk_test_given_0123456789', { host: '127.0.0.1', port: given.port, protocol: 'http' }).customers.create({});
      expect(customer.id).toMatch(/^cus_/);
    } finally {
      await given.close();
    }
    await expect(startLocalStripe({ secretKey: 'sk_live_0123456789', publishableKey: 'pk_test_0123456789' })).rejects.toThrow(/test secret key/);
  });

  it('accepts the secret key over HTTP Basic auth, as Stripe does', async () => {
    const basic = `Basic ${Buffer.from(`${local.secretKey}:`).toString('base64')}`;
    const res = await fetch(`${local.url}/v1/customers`, { headers: { authorization: basic } });
    expect(res.status).toBe(200);
    expect((await res.json()).object).toBe('list');
    const wrong = await fetch(`${local.url}/v1/customers`, { headers: { authorization: `Basic ${Buffer.from('sk_test_someone_else:').toString('base64')}` } });
    expect(wrong.status).toBe(401);
  });

  it('lets the publishable key do only what Stripe.js does', async () => {
    const pk = client(local.publishableKey);
    const pm = await pk.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123' } });
    expect(pm.card?.last4).toBe('4242');
    for (const call of [pk.customers.list(), pk.paymentIntents.create({ amount: 1000, currency: 'usd' }), pk.refunds.list(), pk.webhookEndpoints.list()]) {
      const error = await refusal(call);
      expect(error.statusCode).toBe(401);
      expect(error.message).toMatch(/cannot be made with a publishable API key/);
    }
    // Stripe.js sends the publishable key as the `key` parameter; the secret key never goes that way.
    const card = { 'card[number]': '4242424242424242', 'card[exp_month]': '12', 'card[exp_year]': '2030', type: 'card' };
    const asStripeJs = await fetch(`${local.url}/v1/payment_methods`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ key: local.publishableKey, ...card }),
    });
    expect(asStripeJs.status).toBe(200);
    const secretInForm = await fetch(`${local.url}/v1/payment_methods`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ key: local.secretKey, ...card }),
    });
    expect(secretInForm.status).toBe(401);
  });

  it('refuses the control routes without the secret key', async () => {
    await stripe.customers.create({});
    for (const authorization of [undefined, 'Bearer sk_test_not_the_configured_one', `Bearer ${local.publishableKey}`]) {
      const res = await fetch(`${local.url}/_local/reset`, { method: 'POST', headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect((await res.json()).error.type).toBe('invalid_request_error');
      const advance = await fetch(`${local.url}/_local/clock/advance`, { method: 'POST', headers: authorization ? { authorization } : {}, body: '{"seconds":60}' });
      expect(advance.status).toBe(401);
    }
    expect(local.emulator.customers.size).toBe(1);
    const res = await fetch(`${local.url}/_local/reset`, { method: 'POST', headers: { authorization: `Bearer ${local.secretKey}` } });
    expect(res.status).toBe(200);
    expect(local.emulator.customers.size).toBe(0);
  });
});

describe('pages', () => {
  const attacks = ['"><script>alert(1)</script>', "'><img src=x onerror=alert(1)>", '</script><script>alert(1)</script>'];

  it('escapes whatever a return_url carries, on the page and after authentication', async () => {
    for (const attack of attacks) {
      const returnUrl = `https://shop.example.test/done?x=${attack}`;
      const { pi, page } = await awaitingAuthentication(returnUrl);
      const res = await fetch(page);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<img');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'none'");
      const done = await fetch(`${local.url}/authenticate/${pi.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ client_secret: pi.client_secret!, return_url: returnUrl, outcome: 'complete' }),
      });
      const after = await done.text();
      expect(done.status).toBe(200);
      expect(after).not.toContain('<script>alert');
      expect(after).not.toContain('<img');
      // Its one script runs by nonce; nothing else may.
      const nonce = /<script nonce="(\w+)">/.exec(after)?.[1];
      expect(nonce).toBeTruthy();
      expect(done.headers.get('content-security-policy')).toContain(`script-src 'nonce-${nonce}'`);
      expect(after.match(/<script/g)).toHaveLength(1);
    }
  });

  it('refuses javascript: and other non-http(s) return URLs, in the API and on the page', async () => {
    for (const url of ['javascript:alert(document.cookie)', 'JavaScript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', '/relative']) {
      const error = await refusal(
        stripe.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_authenticationRequired', confirm: true, return_url: url }),
      );
      expect(error).toMatchObject({ statusCode: 400, code: 'url_invalid', param: 'return_url' });
    }
    const { pi, page } = await awaitingAuthentication();
    for (const url of ['javascript:alert(document.cookie)', ' javascript:alert(1)', 'data:text/html,x']) {
      const get = await fetch(`${page}&return_url=${encodeURIComponent(url)}`);
      expect(get.status).toBe(400);
      expect(await get.text()).not.toContain('alert');
      const post = await fetch(`${local.url}/authenticate/${pi.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ client_secret: pi.client_secret!, return_url: url, outcome: 'complete' }),
      });
      expect(post.status).toBe(400);
    }
    // Nothing was authenticated by the refused requests.
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('requires_action');
  });

  it('echoes no path or query it does not know', async () => {
    for (const path of ['/authenticate/<script>alert(1)</script>', '/receipts/"><script>alert(1)</script>', '/authenticate/pi_x?client_secret=<script>']) {
      const res = await fetch(`${local.url}${path}`);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('<script');
    }
  });
});

describe('browsers', () => {
  it('sets no cookie, on any route', async () => {
    const { pi, page } = await awaitingAuthentication();
    const paid = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const charge = await stripe.charges.retrieve(paid.latest_charge as string);
    const responses = await Promise.all([
      fetch(`${local.url}/v1/customers`, { headers: { authorization: `Bearer ${local.secretKey}` } }),
      fetch(`${local.url}/v1/customers`),
      fetch(`${local.url}/v1/nothing`, { headers: { authorization: `Bearer ${local.secretKey}` } }),
      fetch(page),
      fetch(`${local.url}/authenticate/${pi.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ client_secret: pi.client_secret!, outcome: 'fail' }),
      }),
      fetch(charge.receipt_url!),
      fetch(`${local.url}/js/v3.js`),
      fetch(`${local.url}/_local/stats`, { headers: { authorization: `Bearer ${local.secretKey}` } }),
      fetch(`${local.url}/`),
      fetch(`${local.url}/v1/payment_methods`, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:3000', 'access-control-request-method': 'POST' } }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 401, 404, 200, 200, 200, 200, 200, 404, 204]);
    for (const res of responses) expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('opens CORS only on the routes Stripe.js calls, and never for the Authorization header', async () => {
    const preflight = (path: string, method: string) =>
      fetch(`${local.url}${path}`, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:3000', 'access-control-request-method': method } });
    const open = await preflight('/v1/payment_methods', 'POST');
    expect(open.headers.get('access-control-allow-origin')).toBe('*');
    expect(open.headers.get('access-control-allow-headers')).toBe('content-type');
    expect((await preflight('/v1/payment_intents/pi_x/confirm', 'POST')).headers.get('access-control-allow-origin')).toBe('*');
    for (const [path, method] of [
      ['/v1/customers', 'GET'],
      ['/v1/payment_intents', 'POST'],
      ['/v1/refunds', 'POST'],
      ['/_local/reset', 'POST'],
    ] as const) {
      const closed = await preflight(path, method);
      expect(closed.headers.get('access-control-allow-origin')).toBeNull();
      expect(closed.headers.get('access-control-allow-headers')).toBeNull();
    }
    const secretCall = await fetch(`${local.url}/v1/customers`, { headers: { authorization: `Bearer ${local.secretKey}`, origin: 'http://evil.test' } });
    expect(secretCall.status).toBe(200);
    expect(secretCall.headers.get('access-control-allow-origin')).toBeNull();
    const control = await fetch(`${local.url}/_local/stats`, { headers: { authorization: `Bearer ${local.secretKey}`, origin: 'http://evil.test' } });
    expect(control.headers.get('access-control-allow-origin')).toBeNull();
    const stripeJs = await fetch(`${local.url}/v1/payment_methods`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://127.0.0.1:3000' },
      body: form({ key: local.publishableKey, type: 'card', 'card[number]': '4242424242424242', 'card[exp_month]': '12', 'card[exp_year]': '2030' }),
    });
    expect(stripeJs.status).toBe(200);
    expect(stripeJs.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('object pages', () => {
  it("shows an object's JSON read-only, with its secrets hidden, escaped, and nothing for an unknown id", async () => {
    const { pi } = await awaitingAuthentication();
    await stripe.paymentIntents.update(pi.id, { metadata: { note: '<script>alert(1)</script>' } });
    const res = await fetch(`${local.url}/objects/${pi.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'none'");
    expect(res.headers.get('set-cookie')).toBeNull();
    const html = await res.text();
    expect(html).toContain(`payment_intent <code>${pi.id}</code>`);
    expect(html).toContain('&quot;status&quot;: &quot;requires_action&quot;');
    expect(html).toContain('&quot;client_secret&quot;: &quot;[hidden]&quot;');
    expect(html).not.toContain(pi.client_secret!);
    expect(html).not.toContain('<script');
    expect((await fetch(`${local.url}/objects/${pi.latest_charge}`)).status).toBe(pi.latest_charge ? 200 : 404);
    const endpoint = local.addWebhookEndpoint('http://127.0.0.1:9/hook');
    expect(await (await fetch(`${local.url}/objects/${endpoint.id}`)).text()).not.toContain(endpoint.secret);
    const unknown = await fetch(`${local.url}/objects/pi_nothing"><script>`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).not.toContain('<script');
    expect((await fetch(`${local.url}/objects/pi_nothing`)).status).toBe(404);
    expect((await fetch(`${local.url}/objects/${pi.id}`, { method: 'POST' })).status).toBe(405);
  });
});
