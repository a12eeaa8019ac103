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
import { openDatabase } from '../src/db/client.js';
import { handlers } from '../src/payments/webhooks/handlers/index.js';
import { answered } from '../scripts/api/client.js';
import { appEnv, arg, flag, freePort, scratchDatabase, sleep, spawnApp, stopApp, waitHealthy } from './lib.js';
import { type RoundRobinProxy, startRoundRobinProxy } from './proxy.js';
import { chargeIdOf, creditStats, creditsForBuyers } from './soak-credits.js';
import { Browser, type Reply, SoakHttp } from './soak-http.js';
import { soakInvariants } from './soak-invariants.js';

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

// ---- HTTP with bookkeeping (bench/soak-http.ts) ----
const http = new SoakHttp(base);
const { persist } = http;

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
        const opened = new Browser(http);
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
  http.appDown = INSTANCES === 1;
  http.killedAt = Date.now();
  await stopApp(apps[victim]!, 'SIGKILL');
  console.log(`soak: instance ${victim + 1} of ${INSTANCES} SIGKILLed at ${((Date.now() - started) / 1000).toFixed(1)}s; restarting it`);
  apps[victim] = spawnApp(envs[victim]!, APP_LOGS);
  await waitHealthy(origins[victim]!, apps[victim]!);
  http.appDown = false;
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
console.log(`soak: ${http.requests} requests; ${stats.checkouts} checkouts; reconcile repaired ${report?.repaired} (${[...new Set(report?.findings.map((f) => f.kind))].join(', ') || 'nothing'})`);
await stripe.webhooks.idle();
await Promise.all(apps.map((app) => stopApp(app)));
await proxy?.close();

// ---- invariants ----
const database = await openDatabase(databaseUrl ? { databaseUrl } : { dataDir: path.join(dataDir, 'pglite') });
const checks = await soakInvariants(database.db, stripe.emulator, {
  instances: INSTANCES,
  doubleSubmits: stats.doubleSubmits,
  doubleMismatch: stats.doubleMismatch,
  ...http.findings,
  proxy,
  buyerFailures,
});
await database.close();

for (const [name, ok, detail] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
console.log(`soak stats: ${JSON.stringify(stats)}`);
console.log(`soak credits: ${JSON.stringify(creditStats)}`);
await stripe.close();
for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
await scratch?.drop();
const failed = checks.filter(([, ok]) => !ok).length;
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
