/**
 * `npm run soak -- --buyers 200 --seconds 120 --faults 0.2 [--instances 3]`
 *
 * Simulated buyers sign up, get permission, post listings and pay for them every way the app sells
 * (it runs with CHECKOUT_MODE=hosted, which keeps the card form's API beside Stripe's page):
 * - with a card on file or a test PaymentMethod (new cards, saved cards, declines, 3-D Secure
 *   completed or failed, double submissions);
 * - with a confirmation token, made at Stripe with the publishable key as Stripe.js does for the
 *   Payment Element (a good, declined or 3-D Secure card; sometimes submitted twice with one key);
 * - on Stripe's hosted checkout page: a Checkout Session is opened, then paid (a new or saved card,
 *   after a decline, through 3-D Secure) or abandoned (left open, or expired as Stripe does at
 *   expires_at), the buyer coming back to the return page in their logged-in browser or closing the tab.
 * Some also buy prepaid credits by card and spend them on listings (bench/soak-credits.ts): an
 * organization's admin for it, its members on listings posted on its behalf, the others for
 * themselves; a spend the balance does not cover is paid by card.
 * Meanwhile the local Stripe fails requests (500, 429, responses lost after the change) and
 * misdelivers webhooks (dropped, duplicated, delayed and so reordered), and the app is SIGKILLed and
 * restarted once. Then one reconcile, and the invariants, ending with `N passed, M failed`.
 *
 * With `--instances N` (PostgreSQL: DATABASE_URL), N app processes share one database behind a
 * loopback round-robin proxy (bench/proxy.ts) that buyers and webhooks go through; halfway, one
 * instance is SIGKILLed and started again at once, as a supervisor would, while the others serve.
 * They reconcile on schedule every minute, which must never overlap.
  */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { startLocalStripe } from '../local-stripe/index.js';
import { openDatabase, queryRows } from '../src/db/client.js';
import { handlers } from '../src/payments/webhooks/handlers/index.js';
import type { ChargeStatus } from '../src/db/schema.js';
import { computePaidWindow } from '../src/products/job-listing/paid-window.js';
import { type ApiClient, answered, apiClient } from '../scripts/api/client.js';
import { appEnv, arg, flag, freePort, scratchDatabase, sleep, spawnApp, stopApp, waitHealthy } from './lib.js';
import { type RoundRobinProxy, startRoundRobinProxy } from './proxy.js';
import { chargeIdOf, creditChecks, creditStats, creditsForBuyers } from './soak-credits.js';

const BUYERS = arg('buyers', 200);
const SECONDS = arg('seconds', 120);
const FAULTS = arg('faults', 0.2);
const INSTANCES = arg('instances', 1);
/** `--app-logs`: the instances' errors on stdout, to find the cause of a 5xx. */
const APP_LOGS = flag('app-logs');
if (INSTANCES > 1 && !process.env.DATABASE_URL) {
  console.error('soak: --instances needs PostgreSQL (DATABASE_URL): the embedded database belongs to one process');
  process.exit(2);
}
const SECRET = 'whsec_soak_secret';
const ADMIN = { email: 'soak-admin@soak.test', password: 'soak admin password' };

const stripe = await startLocalStripe({ webhookRetryBaseMs: 250, webhookMaxAttempts: 12, seed: 7 });
const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
const origins = ports.map((p) => `http://127.0.0.1:${p}`);
const proxy: RoundRobinProxy | undefined = INSTANCES > 1 ? await startRoundRobinProxy(origins) : undefined;
const base = proxy?.url ?? origins[0]!;
stripe.addWebhookEndpoint(`${base}/webhooks/stripe`, SECRET, Object.keys(handlers));

// Each instance has a DATA_DIR of its own, as on separate machines; the database is what they share.
const dataDirs = ports.map(() => mkdtempSync(path.join(tmpdir(), 'devboard-soak-')));
const dataDir = dataDirs[0]!;
const scratch = process.env.DATABASE_URL ? await scratchDatabase(`devboard_soak_${process.pid}`) : undefined;
const databaseUrl = scratch?.url ?? '';
const common: NodeJS.ProcessEnv = {
  ...appEnv(stripe, SECRET, ADMIN),
  DATABASE_URL: databaseUrl,
  SESSION_SECRET: 'soak-session-secret-shared-by-every-instance',
  // One site, one origin: Stripe refuses a repeat of a PaymentIntent key whose return_url differs.
  PUBLIC_URL: base,
  // Several instances reconcile on schedule (one at a time); a single one is reconciled at the end only.
  RECONCILE_INTERVAL_MINUTES: INSTANCES > 1 ? '1' : '0',
  // Stripe's hosted page beside the card form: buyers use both.
  CHECKOUT_MODE: 'hosted',
  LOG_LEVEL: APP_LOGS ? 'error' : 'fatal',
};
const envs = ports.map((p, i): NodeJS.ProcessEnv => ({ ...common, PORT: String(p), DATA_DIR: dataDirs[i] }));

const apps = envs.map((env) => spawnApp(env, APP_LOGS));
await Promise.all(apps.map((app, i) => waitHealthy(origins[i]!, app)));

// ---- HTTP with bookkeeping ----
let appDown = false;
const serverErrors: string[] = [];
let networkErrorsWhileUp = 0;
/** When an instance was killed; connection errors within two seconds after are its requests in flight. */
let killedAt = Number.NEGATIVE_INFINITY;
let networkErrorsAtKill = 0;
let requests = 0;
/** Answered 502 by the proxy: in flight to the instance that was killed (retried like any 5xx). */
let lostInFlight = 0;
/** Answered 503 payment_provider_unavailable: Stripe failed every one of the SDK's tries, the designed answer (the buyer retries with the same key). */
let providerUnavailable = 0;

interface Reply {
  status: number;
  body: Record<string, any>;
}

/** One request to the app (through the proxy), counted: a 5xx while it is up is a finding; null when the connection failed. */
async function send(method: string, url: string, headers: Record<string, string>, body?: string): Promise<{ res: Response; text: string } | null> {
  requests++;
  const downAtStart = appDown;
  try {
    const res = await fetch(`${base}${url}`, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    if (res.headers.get('x-proxy-error') === 'upstream-lost') lostInFlight++;
    else if (res.status === 503 && text.includes('"code":"payment_provider_unavailable"')) providerUnavailable++;
    else if (res.status >= 500 && !downAtStart && !appDown) serverErrors.push(`${method} ${url} → ${res.status} ${text.slice(0, 200)}`);
    return { res, text };
  } catch {
    if (!downAtStart && !appDown) {
      networkErrorsWhileUp++;
      if (Date.now() - killedAt < 2000) networkErrorsAtKill++;
    }
    return null;
  }
}

/** A connection to the app that failed (`send` answered null): `persist` tries again. */
class LostConnection extends Error {}

/** Bodies that a Response may not have. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * Retries while the app is down or unreachable, the way a person would reload: `call` is made with
 * the typed API client, whose requests go through `send` (counted, with its findings).
 */
async function persist<R extends { response: Response; error?: unknown }>(token: string | undefined, call: (api: ApiClient) => Promise<R>): Promise<R> {
  let tried = '';
  const api = apiClient(base, token, async (request) => {
    const url = new URL(request.url);
    tried = `${request.method} ${url.pathname}`;
    const sent = await send(request.method, url.pathname + url.search, Object.fromEntries(request.headers), request.body ? await request.text() : undefined);
    if (!sent) throw new LostConnection(tried);
    return new Response(NULL_BODY_STATUSES.has(sent.res.status) ? null : sent.text, sent.res);
  });
  for (let attempt = 0; ; attempt++) {
    const reply = await call(api).catch((error: unknown) => {
      if (error instanceof LostConnection) return null;
      throw error;
    });
    // 409 request_in_progress: our earlier try with this key is still at Stripe; the same key again gets its answer.
    const code = (reply?.error as { error?: { code?: string } } | undefined)?.error?.code;
    if (reply && reply.response.status < 500 && !(reply.response.status === 409 && code === 'request_in_progress')) return reply;
    if (attempt > 200) throw new Error(`gave up on ${tried}`);
    await sleep(appDown ? 300 : 150);
  }
}

/**
 * A buyer's browser on the app's pages: cookies kept, redirects within the site followed, and a 5xx
 * or a lost connection answered by reloading. Answers the last page's status, path and HTML.
 */
class Browser {
  private readonly cookies = new Map<string, string>();

  async visit(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<{ status: number; path: string; html: string }> {
    for (let hops = 0; hops < 10; hops++) {
      const sent = await this.load(method, url, form);
      const location = sent.res.headers.get('location');
      if (sent.res.status < 300 || sent.res.status >= 400 || !location) return { status: sent.res.status, path: url, html: sent.text };
      const next = new URL(location, base);
      if (next.origin !== new URL(base).origin) throw new Error(`${url} sent the browser off the site, to ${location}`);
      method = 'GET';
      form = undefined;
      url = next.pathname + next.search;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  async logIn(email: string, password: string): Promise<void> {
    const page = await this.visit('GET', '/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.html)?.[1];
    if (!csrf) throw new Error(`no CSRF token on /login (${page.status})`);
    await this.visit('POST', '/login', { email, password, _csrf: csrf });
    if (!this.cookies.has('sid')) throw new Error('logging in set no session cookie');
  }

  private async load(method: string, url: string, form?: Record<string, string>) {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), accept: 'text/html' };
      if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
      const sent = await send(method, url, headers, form ? new URLSearchParams(form).toString() : undefined);
      if (sent) {
        for (const cookie of sent.res.headers.getSetCookie()) {
          const [pair = ''] = cookie.split(';');
          const eq = pair.indexOf('=');
          const [name, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
          if (value && !/max-age=0|expires=thu, 01 jan 1970/i.test(cookie)) this.cookies.set(name, value);
          else this.cookies.delete(name);
        }
        if (sent.res.status < 500) return sent;
      }
      if (attempt > 200) throw new Error(`gave up on ${method} ${url}`);
      await sleep(appDown ? 300 : 150);
    }
  }
}

// ---- Stripe, as the buyer's browser and Stripe's own page reach it ----
const sdk = new Stripe(stripe.secretKey, { host: '127.0.0.1', port: stripe.port, protocol: 'http', maxNetworkRetries: 2 });

/** A request to the local Stripe, retried as a browser (or Stripe's page) would on a 5xx, a 429 or a lost connection. */
async function toStripe(method: string, url: string, headers: Record<string, string>, body: string): Promise<Reply> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${stripe.url}${url}`, { method, headers, body, signal: AbortSignal.timeout(30_000) });
      const reply = { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, any> };
      if (res.status < 500 && res.status !== 429) return reply;
    } catch {
      // the connection was reset: try again
    }
    if (attempt > 50) throw new Error(`gave up on Stripe ${method} ${url}`);
    await sleep(200);
  }
}

/** What Stripe.js sends for the Payment Element's card form: a ConfirmationToken made with the publishable key. */
async function confirmationToken(cardNumber: string): Promise<string> {
  const form = new URLSearchParams({
    key: stripe.publishableKey,
    'payment_method_data[type]': 'card',
    'payment_method_data[card][number]': cardNumber,
    'payment_method_data[card][exp_month]': '12',
    'payment_method_data[card][exp_year]': '34',
    'payment_method_data[card][cvc]': '123',
  });
  const reply = await toStripe('POST', '/v1/confirmation_tokens', { 'content-type': 'application/x-www-form-urlencoded' }, form.toString());
  if (reply.status !== 200) throw new Error(`Stripe refused a confirmation token: ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
  return reply.body.id as string;
}

/** The buyer pays on Stripe's checkout page (the local Stripe's control route does what the page's form does). */
const payOnStripePage = (sessionId: string, paymentMethod: string) =>
  toStripe('POST', `/_local/checkout/sessions/${sessionId}/pay`, { authorization: `Bearer ${stripe.secretKey}`, 'content-type': 'application/json' }, JSON.stringify({ payment_method: paymentMethod }));

/** 3-D Secure on Stripe's page, completed or failed; an intent that has already moved on is left as it is. */
function authenticate(paymentIntentId: string, outcome: 'complete' | 'fail'): void {
  try {
    stripe.emulator.authenticate(paymentIntentId, outcome, { id: 'req_soak', idempotencyKey: null });
  } catch {
    // already settled
  }
}

const adminToken = answered(await persist(undefined, (api) => api.POST('/api/v1/tokens', { body: ADMIN }))).token;
const credits = creditsForBuyers(persist, adminToken, Date.now().toString(36));

// ---- buyers ----
const stats = {
  checkouts: 0,
  succeeded: 0,
  declined: 0,
  threeDs: 0,
  doubleSubmits: 0,
  doubleMismatch: 0,
  savedCardPayments: 0,
  ctokenPayments: 0,
  hostedSessions: 0,
  hostedPaid: 0,
  hostedAbandoned: 0,
  hostedExpired: 0,
  returnPages: 0,
  returnPagesSettled: 0,
};
const deadline = Date.now() + SECONDS * 1000;
let seq = 0;
const CARD = { visa: '4242424242424242', declined: '4000000000000002', threeDs: '4000002760003184' };

/** What a buyer buys: a job listing, and which. */
type Purchase = {
  product: 'job_listing';
  article_id: number;
};
/** A purchase with a way to pay (a PaymentMethod or a ConfirmationToken) and maybe `save_card`. */
type ChargeRequest = Purchase & { payment_method?: string; confirmation_token?: string; save_card?: boolean };

function checkout(token: string, body: ChargeRequest, key = randomUUID()) {
  stats.checkouts++;
  // A 503 (provider unreachable) or a dead app: the buyer tries again with the same key.
  return persist(token, (api) => api.POST('/api/v1/charges', { body, headers: { 'idempotency-key': key } }));
}
type ChargeAnswer = Awaited<ReturnType<typeof checkout>>;


/** 3-D Secure asked for on our page: the browser completes (or fails) it at Stripe, then asks us to confirm, or the tab is closed. */
async function authenticateOnOurPage(token: string, r: ChargeAnswer): Promise<void> {
  if (r.response.status !== 202 || !r.data) return;
  const { charge } = r.data;
  authenticate(charge.stripe_charge_key!, Math.random() < 0.8 ? 'complete' : 'fail');
  if (Math.random() < 0.7) await persist(token, (api) => api.POST('/api/v1/charges/{id}/confirm', { params: { path: { id: charge.id } } }));
  // else the tab was closed: the webhook or reconcile must settle it
}

/** Two submissions with one key must answer with one charge. */
async function submitTwice(token: string, body: ChargeRequest): Promise<void> {
  stats.doubleSubmits++;
  const key = randomUUID();
  const [a, b] = await Promise.all([checkout(token, body, key), checkout(token, body, key)]);
  if (chargeIdOf(a) !== chargeIdOf(b)) stats.doubleMismatch++;
}

interface Buyer {
  token: string;
  savedCard?: string;
  /** Logged in on the site, for the pages Stripe sends the buyer back to; opened the first time it is needed. */
  browser: () => Promise<Browser>;
}

/** A card on file or a test PaymentMethod, sent straight to POST /api/v1/charges. */
async function payWithPaymentMethod(buyer: Buyer, purchase: Purchase): Promise<void> {
  const { token } = buyer;
  const dice = Math.random();
  if (dice < 0.3 && buyer.savedCard) {
    stats.savedCardPayments++;
    const r = await checkout(token, { ...purchase, payment_method: buyer.savedCard });
    if (r.response.status === 201) stats.succeeded++;
    if (r.response.status === 404) buyer.savedCard = undefined;
  } else if (dice < 0.45) {
    const r = await checkout(token, { ...purchase, payment_method: 'pm_card_chargeDeclined' });
    if (r.response.status === 402) stats.declined++;
  } else if (dice < 0.6) {
    stats.threeDs++;
    await authenticateOnOurPage(token, await checkout(token, { ...purchase, payment_method: 'pm_card_authenticationRequired' }));
  } else if (dice < 0.75) {
    await submitTwice(token, { ...purchase, payment_method: 'pm_card_visa' });
  } else {
    const r = await checkout(token, { ...purchase, payment_method: 'pm_card_visa', save_card: !buyer.savedCard });
    if (r.response.status === 201) stats.succeeded++;
    if (!buyer.savedCard && r.response.status === 201) {
      const cards = (await persist(token, (api) => api.GET('/api/v1/payment_methods'))).data?.payment_methods;
      buyer.savedCard = cards?.[0]?.id;
    }
  }
}

/** The Payment Element: the card typed becomes a ConfirmationToken at Stripe, and our server confirms with it. */
async function payWithConfirmationToken(buyer: Buyer, purchase: Purchase): Promise<void> {
  const { token } = buyer;
  stats.ctokenPayments++;
  const dice = Math.random();
  if (dice < 0.2) {
    const r = await checkout(token, { ...purchase, confirmation_token: await confirmationToken(CARD.declined) });
    if (r.response.status === 402) stats.declined++;
  } else if (dice < 0.4) {
    stats.threeDs++;
    await authenticateOnOurPage(token, await checkout(token, { ...purchase, confirmation_token: await confirmationToken(CARD.threeDs) }));
  } else if (dice < 0.6) {
    // One token, one key, two clicks.
    await submitTwice(token, { ...purchase, confirmation_token: await confirmationToken(CARD.visa) });
  } else {
    const r = await checkout(token, { ...purchase, confirmation_token: await confirmationToken(CARD.visa), save_card: Math.random() < 0.3 });
    if (r.response.status === 201) stats.succeeded++;
  }
}

/** Expires a session as Stripe does at its expires_at (here, sooner), through the SDK and the faults. */
async function expireSession(id: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await sdk.checkout.sessions.expire(id);
      return;
    } catch (error) {
      // A retry after a lost answer finds the session expired already.
      if (error instanceof Stripe.errors.StripeInvalidRequestError && stripe.emulator.checkoutSessions.get(id)?.status === 'expired') return;
      if (error instanceof Stripe.errors.StripeInvalidRequestError || attempt > 50) throw error;
      await sleep(200);
    }
  }
}

/** Stripe sends the buyer back to our return page; their browser follows it to the charge page. */
async function comeBack(buyer: Buyer, url: string): Promise<void> {
  stats.returnPages++;
  const target = new URL(url);
  const page = await (await buyer.browser()).visit('GET', target.pathname + target.search);
  if (page.status !== 200 || !/^\/charges\/\d+$/.test(page.path)) throw new Error(`the return page ${target.pathname} ended at ${page.path} with ${page.status}`);
  if (page.html.includes('<title>Receipt')) stats.returnPagesSettled++;
}

/** Stripe's hosted page: a Checkout Session is opened, then paid (maybe after a decline or through 3-D Secure) or abandoned. */
async function payOnHostedPage(buyer: Buyer, purchase: Purchase): Promise<void> {
  stats.hostedSessions++;
  // One key for every retry of this purchase: a retry after a lost answer gets the same row and session.
  const key = randomUUID();
  const opened = await persist(buyer.token, (api) => api.POST('/api/v1/checkout_sessions', { body: purchase, headers: { 'idempotency-key': key } }));
  if (opened.response.status !== 201 || !opened.data) throw new Error(`opening a Checkout Session answered ${opened.response.status} ${JSON.stringify(opened.error).slice(0, 200)}`);
  const sessionId = new URL(opened.data.url).pathname.split('/').pop()!;
  const pay = async (paymentMethod: string) => {
    const r = await payOnStripePage(sessionId, paymentMethod);
    if (r.status !== 200 && r.status !== 402) throw new Error(`paying Checkout Session ${sessionId} answered ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    return r;
  };
  const dice = Math.random();
  if (dice < 0.15) {
    stats.declined++;
    await pay('pm_card_chargeDeclined');
    // The page shows the decline; some buyers try another card.
    if (Math.random() < 0.5) await pay('pm_card_visa');
  } else if (dice < 0.35) {
    stats.threeDs++;
    const r = await pay('pm_card_authenticationRequired');
    if (r.body.payment_intent?.status === 'requires_action') authenticate(r.body.payment_intent.id, Math.random() < 0.8 ? 'complete' : 'fail');
  } else if (dice < 0.55) {
    // The buyer looks at the page and leaves.
  } else {
    await pay(buyer.savedCard && Math.random() < 0.5 ? buyer.savedCard : 'pm_card_visa');
  }
  const session = stripe.emulator.checkoutSessions.get(sessionId)!;
  if (session.status === 'complete') {
    stats.hostedPaid++;
    // Sent back to success_url, or the tab closed first: then only webhooks and reconcile settle it.
    if (Math.random() < 0.6) await comeBack(buyer, session.success_url!);
    return;
  }
  stats.hostedAbandoned++;
  // Some follow the page's cancel link back to the shop: the session ends at Stripe and the row is canceled.
  if (Math.random() < 0.3) await comeBack(buyer, session.cancel_url!);
  if (Math.random() < 0.5) {
    stats.hostedExpired++;
    await expireSession(sessionId);
  }
}

async function buyer(i: number) {
  const username = `soak${i}_${Date.now().toString(36)}`;
  const email = `${username}@soak.test`;
  const password = 'soak buyer password';
  const { user } = answered(await persist(undefined, (api) => api.POST('/api/v1/users', { body: { username, email, password } })));
  const { token } = answered(await persist(undefined, (api) => api.POST('/api/v1/tokens', { body: { email, password } })));
  await persist(adminToken, (api) => api.POST('/api/v1/admin/users/{id}/permissions', { params: { path: { id: user.id } }, body: { can_post_jobs: true } }));
  let browser: Promise<Browser> | undefined;
  const state: Buyer = {
    token,
    browser: () =>
      (browser ??= (async () => {
        const opened = new Browser();
        await opened.logIn(email, password);
        return opened;
      })()),
  };
  const role = await credits.join(i, token, username);
  while (Date.now() < deadline) {
    // Some turns buy credits or spend them (a listing the balance did not cover is paid by card).
    if (await credits.turn(token, role, ++seq, (articleId) => payWithPaymentMethod(state, { product: 'job_listing', article_id: articleId }))) continue;
    const { article } = answered(await persist(token, (api) => api.POST('/api/v1/articles', { body: { title: `Soak job ${++seq}`, body_markdown: 'x', job_listing: true, published: true } })));
    const purchase: Purchase = { product: 'job_listing', article_id: article.id };
    const way = Math.random();
    if (way < 0.5) await payWithPaymentMethod(state, purchase);
    else if (way < 0.75) await payWithConfirmationToken(state, purchase);
    else await payOnHostedPage(state, purchase);
  }
}

// Faults on: requests to Stripe fail before or after the change, webhooks are dropped, doubled, delayed.
const share = FAULTS / 4;
stripe.injectFault({ kind: '500', when: 'before', rate: share, path: '/v1/' });
stripe.injectFault({ kind: '429', when: 'before', rate: share, path: '/v1/' });
stripe.injectFault({ kind: 'reset', when: 'after', rate: share, path: '/v1/payment_intents' });
stripe.injectFault({ kind: '500', when: 'after', rate: share, path: '/v1/' });
stripe.setDeliveryFaults({ dropRate: FAULTS / 2, duplicateRate: FAULTS, delayRate: FAULTS });

const started = Date.now();
const shape = INSTANCES > 1 ? `${INSTANCES} instances behind a round-robin proxy` : 'one instance';
console.log(`soak: ${BUYERS} buyers for ${SECONDS}s with faults at ${FAULTS} (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, ${shape})`);
const crash = (async () => {
  await sleep((SECONDS * 1000) / 2);
  // The only instance: the site is down until it is back. One of several: the others serve meanwhile.
  const victim = INSTANCES > 1 ? 1 : 0;
  appDown = INSTANCES === 1;
  killedAt = Date.now();
  await stopApp(apps[victim]!, 'SIGKILL');
  console.log(`soak: instance ${victim + 1} of ${INSTANCES} SIGKILLed at ${((Date.now() - started) / 1000).toFixed(1)}s; restarting it`);
  apps[victim] = spawnApp(envs[victim]!, APP_LOGS);
  await waitHealthy(origins[victim]!, apps[victim]!);
  appDown = false;
  console.log(`soak: instance ${victim + 1} back at ${((Date.now() - started) / 1000).toFixed(1)}s`);
})();
const results = await Promise.allSettled(Array.from({ length: BUYERS }, (_, i) => buyer(i)));
await crash;
const buyerFailures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));

// Faults off; let deliveries and retries finish; one reconcile.
stripe.clearFaults();
stripe.setDeliveryFaults({});
await stripe.webhooks.idle();
await sleep(3000);
const report = (await persist(adminToken, (api) => api.POST('/api/v1/admin/reconcile', { body: { since: new Date(started - 3600_000).toISOString() } }))).data?.report;
console.log(`soak: ${requests} requests; ${stats.checkouts} checkouts; reconcile repaired ${report?.repaired} (${[...new Set(report?.findings.map((f) => f.kind))].join(', ') || 'nothing'})`);
await stripe.webhooks.idle();
await Promise.all(apps.map((app) => stopApp(app)));
await proxy?.close();

// ---- invariants ----
const database = await openDatabase(databaseUrl ? { databaseUrl } : { dataDir: path.join(dataDir, 'pglite') });
type Row = {
  id: number;
  status: ChargeStatus;
  amount: number;
  stripe_charge_key: string | null;
  checkout_session_id: string | null;
  user_id: number;
  idempotency_key: string;
  article_id: number | null;
  paid_at: Date | null;
};
const charges = (await queryRows<Row>(database.db, 'select id, status, amount::int, stripe_charge_key, checkout_session_id, user_id, idempotency_key, article_id, paid_at from charges')).map((r) => ({
  ...r,
  id: Number(r.id),
  paid_at: r.paid_at ? new Date(r.paid_at) : null,
}));
const fulfilments = new Map((await queryRows<{ charge_id: number; n: number }>(database.db, 'select charge_id, count(*)::int as n from fulfilments group by charge_id')).map((r) => [Number(r.charge_id), r.n]));
const articles = await queryRows<{ id: number; paid_until: Date | null; bumped_at: Date | null }>(database.db, "select id, paid_until, bumped_at from articles where job_listing");
const scheduledRuns = (
  await queryRows<{ started_at: Date; finished_at: Date | null }>(database.db, "select started_at, finished_at from reconcile_runs where trigger = 'schedule' order by started_at")
).map((r) => ({ started: new Date(r.started_at).getTime(), finished: r.finished_at ? new Date(r.finished_at).getTime() : null }));

const intents = [...stripe.emulator.paymentIntents.values()];
const succeededAtStripe = intents.filter((p) => p.status === 'succeeded');
const checks: Array<[string, boolean, string]> = [];
const check = (name: string, ok: boolean, detail = '') => checks.push([name, ok, detail]);
// Charges paid with credits have no PaymentIntent: the ledger's checks account for them (one spend entry each).
const { creditPaid } = await creditChecks(database.db, succeededAtStripe, check);
await database.close();
const byKey = new Map(charges.filter((c) => c.stripe_charge_key).map((c) => [c.stripe_charge_key!, c]));
const taken = new Set<ChargeStatus>(['succeeded', 'partially_refunded', 'refunded', 'disputed']);

const missing = succeededAtStripe.filter((p) => {
  const row = byKey.get(p.id);
  return !row || !taken.has(row.status) || fulfilments.get(row.id) !== 1;
});
check('every succeeded PaymentIntent has exactly one settled charge row and one fulfilment', missing.length === 0, `${succeededAtStripe.length} succeeded at Stripe; ${missing.length} without${missing.length ? `: ${missing.slice(0, 3).map((p) => p.id).join(', ')}` : ''}`);
const rowsPerIntent = new Map<string, number>();
for (const c of charges) if (c.stripe_charge_key) rowsPerIntent.set(c.stripe_charge_key, (rowsPerIntent.get(c.stripe_charge_key) ?? 0) + 1);
check('no PaymentIntent has two rows', [...rowsPerIntent.values()].every((n) => n === 1), `${rowsPerIntent.size} PaymentIntents with rows`);
const phantom = charges.filter((c) => taken.has(c.status) && !creditPaid.has(c.id) && stripe.emulator.paymentIntents.get(c.stripe_charge_key ?? '')?.status !== 'succeeded');
check('no charge row is succeeded without a succeeded PaymentIntent (or its credits spent)', phantom.length === 0, `${charges.filter((c) => taken.has(c.status)).length} settled rows (${creditPaid.size} paid with credits); ${phantom.length} without`);
const extraFulfilments = [...fulfilments.entries()].filter(([id, n]) => n !== 1 || !taken.has(charges.find((c) => c.id === id)?.status ?? 'failed'));
check('nothing is fulfilled without a payment, nothing twice', extraFulfilments.length === 0, `${fulfilments.size} fulfilments`);
const perAttempt = new Map<string, number>();
for (const p of succeededAtStripe) perAttempt.set(p.metadata.charge_id ?? p.id, (perAttempt.get(p.metadata.charge_id ?? p.id) ?? 0) + 1);
check('no buyer was charged twice for one attempt', [...perAttempt.values()].every((n) => n === 1) && stats.doubleMismatch === 0, `${stats.doubleSubmits} double submissions, ${stats.doubleMismatch} answered with different charges`);
const ours = charges.filter((c) => taken.has(c.status) && !creditPaid.has(c.id)).reduce((s, c) => s + c.amount, 0);
const theirs = succeededAtStripe.reduce((s, p) => s + p.amount, 0);
check('sum of our succeeded amounts equals Stripe’s, to the cent', ours === theirs, `ours ${ours}, Stripe ${theirs} (minor units)`);
const drift = articles.filter((a) => {
  const window = computePaidWindow(charges.filter((c) => c.article_id === Number(a.id)).map((c) => ({ status: c.status, paidAt: c.paid_at })));
  return (window.paidUntil?.getTime() ?? null) !== (a.paid_until ? new Date(a.paid_until).getTime() : null);
});
// Stripe's hosted page: each session is one row, and the row says what the session says.
const sessions = [...stripe.emulator.checkoutSessions.values()];
const bySession = new Map(charges.filter((c) => c.checkout_session_id).map((c) => [c.checkout_session_id!, c]));
const unowned = sessions.filter((s) => !bySession.has(s.id));
check('every Checkout Session at Stripe is on one charge row of ours', unowned.length === 0 && bySession.size === sessions.length, `${sessions.length} sessions, ${bySession.size} rows with one${unowned.length ? `; without a row: ${unowned.slice(0, 3).map((s) => s.id).join(', ')}` : ''}`);
const sessionsIn = (status: string) => sessions.filter((s) => s.status === status);
const disagreeing = (status: string, agrees: (row: Row) => boolean) =>
  sessionsIn(status).filter((s) => {
    const row = bySession.get(s.id);
    return !row || !agrees(row);
  });
const unsettledCompleted = disagreeing('complete', (row) => taken.has(row.status) && fulfilments.get(row.id) === 1);
check('every completed Checkout Session’s charge is settled and fulfilled once', unsettledCompleted.length === 0, `${sessionsIn('complete').length} complete; ${unsettledCompleted.length} not${unsettledCompleted.length ? `: ${unsettledCompleted.slice(0, 3).map((s) => `${s.id} (${bySession.get(s.id)?.status})`).join(', ')}` : ''}`);
const uncanceledExpired = disagreeing('expired', (row) => row.status === 'canceled' && !fulfilments.has(row.id));
check('every expired Checkout Session’s charge is canceled, with no fulfilment', uncanceledExpired.length === 0, `${sessionsIn('expired').length} expired; ${uncanceledExpired.length} not${uncanceledExpired.length ? `: ${uncanceledExpired.slice(0, 3).map((s) => `${s.id} (${bySession.get(s.id)?.status})`).join(', ')}` : ''}`);
const paidOpen = disagreeing('open', (row) => !taken.has(row.status) && row.status !== 'canceled' && !fulfilments.has(row.id));
check('every open Checkout Session’s charge is unpaid, still payable and unfulfilled', paidOpen.length === 0, `${sessionsIn('open').length} open; ${paidOpen.length} not${paidOpen.length ? `: ${paidOpen.slice(0, 3).map((s) => `${s.id} (${bySession.get(s.id)?.status})`).join(', ')}` : ''}`);
check("every listing's paid_until equals the value recomputed from its charges", drift.length === 0, `${articles.length} listings, ${drift.length} differ`);
check(
  INSTANCES > 1 ? 'no instance answered 5xx but 503 provider unavailable' : 'no request answered 5xx except while the app was down, or 503 provider unavailable',
  serverErrors.length === 0,
  `${serverErrors.length}${serverErrors.length ? `: ${serverErrors.slice(0, 3).join(' | ')}` : ''} (and ${providerUnavailable} answered 503 payment_provider_unavailable: Stripe failed all of the SDK's tries); ${networkErrorsWhileUp} connection errors while up${proxy ? ` (${networkErrorsAtKill} within 2 s of the kill)` : ''}${proxy ? `; proxy: ${lostInFlight} lost in flight with the killed instance, ${proxy.redirected} sent on to another instance` : ''}`,
);
if (INSTANCES > 1) {
  // Runs of an instance killed mid-run never finish; every other run must end before the next starts.
  const overlapping = scheduledRuns.filter((run, i) => i > 0 && scheduledRuns[i - 1]!.finished !== null && run.started < scheduledRuns[i - 1]!.finished!);
  check('scheduled reconciles across instances never overlapped', overlapping.length === 0, `${scheduledRuns.length} scheduled runs, ${overlapping.length} overlapping`);
}
check('every simulated buyer finished', buyerFailures.length === 0, buyerFailures.slice(0, 2).join(' | '));

for (const [name, ok, detail] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
console.log(`soak stats: ${JSON.stringify(stats)}`);
console.log(`soak credits: ${JSON.stringify(creditStats)}`);
await stripe.close();
for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
await scratch?.drop();
const failed = checks.filter(([, ok]) => !ok).length;
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
