import type Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { type ReconcileReport, reconcile } from '../src/payments/reconcile.js';
import { FormClient } from './helpers/browser-form.js';
import { admin, atStripe, grantJobs, json, type Member, member, settleWebhooks, startTestApp, type TestApp } from './helpers/app.js';

/** Stripe-hosted Checkout: POST /api/v1/checkout_sessions, paid through the local Stripe's control API. */
let t: TestApp;
let poster: Member;
let boss: Member;

beforeAll(async () => {
  t = await startTestApp({ checkoutMode: 'hosted' });
  boss = await admin(t);
  poster = await member(t.app);
  await grantJobs(t, boss, poster.id);
});
afterAll(() => t.close());

let seq = 0;
async function listing() {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/articles',
    headers: poster.auth,
    payload: { title: `Hosted job ${++seq}`, body_markdown: 'We are hiring.', job_listing: true, published: true },
  });
  return json(res).article.id as number;
}

const openSession = (payload: Record<string, unknown>, key = `hosted-${++seq}-${Math.random().toString(36).slice(2)}`) =>
  t.app.inject({ method: 'POST', url: '/api/v1/checkout_sessions', headers: { ...poster.auth, 'idempotency-key': key }, payload });

/** As if the buyer paid on Stripe's page. */
async function payOnPage(sessionId: string, paymentMethod = 'pm_card_visa', saveCard = false) {
  const res = await fetch(`${t.stripe.url}/_local/checkout/sessions/${sessionId}/pay`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.stripe.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ payment_method: paymentMethod, ...(saveCard ? { save_payment_method: true } : {}) }),
  });
  return (await res.json()) as { session: Stripe.Checkout.Session; payment_intent: Stripe.PaymentIntent };
}

const row = async (id: number) =>
  (await queryRows<{ status: string; checkout_session_id: string; stripe_charge_key: string | null }>(t.database.db, `select status, checkout_session_id, stripe_charge_key from charges where id = ${id}`))[0]!;
const fulfilments = async (id: number) => (await queryRows<{ n: number }>(t.database.db, `select count(*)::int as n from fulfilments where charge_id = ${id}`))[0]!.n;
let buyer: FormClient;
/** Stripe's page sends the buyer's browser here (session cookie, as a browser would). */
async function buyerGet(url: string) {
  if (!buyer) {
    buyer = new FormClient(t.app);
    await buyer.submit('/login', '/login', { email: poster.email, password: poster.password });
  }
  return buyer.get(url);
}
const returnPage = (id: number) => buyerGet(`/charges/${id}/return`);

/** A session opened for a new listing: its charge and the session's id. */
async function openedForListing() {
  const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
  return { charge, sessionId: (await row(charge.id)).checkout_session_id };
}

describe('POST /api/v1/checkout_sessions', () => {
  it('answers 201 {charge, url}: our row first, a session for the catalog price naming the row', async () => {
    const res = await openSession({ product: 'job_listing', article_id: await listing() });
    expect(res.statusCode).toBe(201);
    const { charge, url } = json(res);
    expect(charge).toMatchObject({ status: 'pending', amount: 2500, currency: 'usd' });
    const stored = await row(charge.id);
    expect(stored.checkout_session_id).toMatch(/^cs_test_/);
    expect(url).toContain(`/c/pay/${stored.checkout_session_id}`);
    const session = t.stripe.emulator.checkoutSessions.get(stored.checkout_session_id)!;
    expect(session).toMatchObject({ mode: 'payment', amount_total: 2500, currency: 'usd', client_reference_id: String(charge.id), status: 'open' });
    expect(session.customer).toMatch(/^cus_/);
  });

  it('replays the same session for a repeat of the key, and refuses an unknown product with no row', async () => {
    const article = await listing();
    const first = await openSession({ product: 'job_listing', article_id: article }, 'hosted-repeat-key');
    const again = await openSession({ product: 'job_listing', article_id: article }, 'hosted-repeat-key');
    expect(json(again)).toEqual(json(first));
    const bad = await openSession({ product: 'nope' });
    expect(bad.statusCode).toBe(400);
  });

  it('a retry in a later minute finds the session Stripe made for the first try, whose answer was lost', async () => {
    const article = await listing();
    // Stripe makes the session, and every answer to it (the SDK's retries too) is lost: 503, try again.
    t.stripe.injectFault({ kind: '500', when: 'after', rate: 1, path: '/v1/checkout/sessions' });
    const lost = await openSession({ product: 'job_listing', article_id: article }, 'hosted-later-minute');
    t.stripe.clearFaults();
    expect(lost.statusCode).toBe(503);
    const chargeId = json(lost).charge.id as number;
    const made = [...t.stripe.emulator.checkoutSessions.values()].filter((s) => s.client_reference_id === String(chargeId));
    expect(made).toHaveLength(1);
    // The buyer tries again a minute later: expires_at comes out another minute, under the same key.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 60_000);
      const retry = await openSession({ product: 'job_listing', article_id: article }, 'hosted-later-minute');
      expect(retry.statusCode).toBe(201);
      expect(json(retry).url).toBe(made[0]!.url);
    } finally {
      vi.useRealTimers();
    }
    expect((await row(chargeId)).checkout_session_id).toBe(made[0]!.id);
    expect([...t.stripe.emulator.checkoutSessions.values()].filter((s) => s.client_reference_id === String(chargeId))).toHaveLength(1);
  });
});

describe('a session request that meets Stripe busy or slow', () => {
  it('answers 409 request_in_progress to a repeat of the key while the first is still at Stripe, then the session', async () => {
    const article = await listing();
    // The first request's session takes longer at Stripe than the SDK's retries of the repeat's 409.
    t.stripe.injectFault({ kind: 'slow', when: 'before', delayMs: 4000, path: '/v1/checkout/sessions', method: 'POST', count: 1 });
    const { answer: first } = await atStripe(t, 'POST /v1/checkout/sessions', () => openSession({ product: 'job_listing', article_id: article }, 'hosted-in-progress'));
    const repeat = await openSession({ product: 'job_listing', article_id: article }, 'hosted-in-progress');
    expect(repeat.statusCode).toBe(409);
    expect(json(repeat).error).toMatchObject({ code: 'request_in_progress', message: expect.stringContaining('same Idempotency-Key') });
    expect(json(repeat).charge).toMatchObject({ status: 'pending' });
    const made = await first;
    expect(made.statusCode).toBe(201);
    const again = await openSession({ product: 'job_listing', article_id: article }, 'hosted-in-progress');
    expect([again.statusCode, json(again).url]).toEqual([201, json(made).url]);
  });

  it('opens a session when the request reaches Stripe at the very end of a minute and takes seconds there', async () => {
    const article = await listing();
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    try {
      vi.setSystemTime(Math.floor(Date.now() / 60_000) * 60_000 + 59_500);
      t.stripe.injectFault({ kind: 'slow', when: 'before', delayMs: 2500, path: '/v1/checkout/sessions', method: 'POST', count: 1 });
      const res = await openSession({ product: 'job_listing', article_id: article });
      expect(res.statusCode).toBe(201);
      const session = t.stripe.emulator.checkoutSessions.get((await row(json(res).charge.id)).checkout_session_id)!;
      expect(session.expires_at - session.created).toBeGreaterThanOrEqual(30 * 60);
    } finally {
      t.stripe.clearFaults();
      vi.useRealTimers();
    }
  });
});

describe('settling a session', () => {
  it('paid on the page, then the return page and webhooks (twice) settle it once', async () => {
    const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    const sessionId = (await row(charge.id)).checkout_session_id;
    const paid = await payOnPage(sessionId);
    expect(paid.session.status).toBe('complete');
    expect(paid.payment_intent.metadata).toMatchObject({ charge_id: String(charge.id) });
    expect((await returnPage(charge.id)).statusCode).toBe(303);
    expect((await returnPage(charge.id)).statusCode).toBe(303);
    await settleWebhooks(t);
    expect(await row(charge.id)).toMatchObject({ status: 'succeeded', stripe_charge_key: paid.payment_intent.id });
    expect(await fulfilments(charge.id)).toBe(1);
  });

  it('fulfils nothing when the session was paid for another amount than our row', async () => {
    const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    const sessionId = (await row(charge.id)).checkout_session_id;
    t.stripe.emulator.checkoutSessions.get(sessionId)!.amount_total = 100;
    await payOnPage(sessionId);
    await returnPage(charge.id);
    await settleWebhooks(t);
    expect((await row(charge.id)).status).toBe('pending');
    expect(await fulfilments(charge.id)).toBe(0);
  });

  it('an expired session cancels the row and buys nothing', async () => {
    const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    const sessionId = (await row(charge.id)).checkout_session_id;
    await t.app.payments.stripe.client.checkout.sessions.expire(sessionId);
    await settleWebhooks(t);
    expect((await row(charge.id)).status).toBe('canceled');
    await returnPage(charge.id);
    expect((await row(charge.id)).status).toBe('canceled');
    expect(await fulfilments(charge.id)).toBe(0);
  });
});

describe("leaving Stripe's page by its cancel link", () => {
  it('ends the session at Stripe and cancels the row at once: "Canceled: nothing was charged", with a Try again button', async () => {
    const { charge, sessionId } = await openedForListing();
    const session = t.stripe.emulator.checkoutSessions.get(sessionId)!;
    expect(session.cancel_url).toBe(`${new URL(session.success_url!).origin}/charges/${charge.id}/cancel`);
    const back = await buyerGet(`/charges/${charge.id}/cancel`);
    expect([back.statusCode, back.headers.location]).toEqual([303, `/charges/${charge.id}`]);
    expect(session.status).toBe('expired');
    expect((await row(charge.id)).status).toBe('canceled');
    const page = await buyerGet(`/charges/${charge.id}`);
    expect(page.body).toContain('Canceled: nothing was charged.');
    expect(page.body).toMatch(/<a href="[^"]+" data-pay-again="true" class="button">Try again<\/a>/);
    await settleWebhooks(t);
    expect((await row(charge.id)).status).toBe('canceled');
    expect(await fulfilments(charge.id)).toBe(0);
  });

  it("keeps a session paid before the link was followed paid, and answers 404 for another member's charge", async () => {
    const { charge, sessionId } = await openedForListing();
    const stranger = new FormClient(t.app);
    const other = await member(t.app);
    await stranger.submit('/login', '/login', { email: other.email, password: other.password });
    expect((await stranger.get(`/charges/${charge.id}/cancel`)).statusCode).toBe(404);
    expect(t.stripe.emulator.checkoutSessions.get(sessionId)!.status).toBe('open');
    await payOnPage(sessionId);
    await returnPage(charge.id);
    expect((await buyerGet(`/charges/${charge.id}/cancel`)).statusCode).toBe(303);
    await settleWebhooks(t);
    expect((await row(charge.id)).status).toBe('succeeded');
    expect(await fulfilments(charge.id)).toBe(1);
  });
});

describe("saving the card on Stripe's page", () => {
  it('offers saving; a card saved there is in our saved cards and offered on the next page', async () => {
    const { charge, sessionId } = await openedForListing();
    expect(t.stripe.emulator.checkoutSessions.get(sessionId)!.saved_payment_method_options).toMatchObject({ payment_method_save: 'enabled' });
    const page = await fetch(t.stripe.emulator.checkoutSessions.get(sessionId)!.url!);
    expect(await page.text()).toContain('Save this card');
    const paid = await payOnPage(sessionId, 'pm_card_mastercard', true);
    expect(paid.session.status).toBe('complete');
    await returnPage(charge.id);
    const cards = json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: poster.auth })).payment_methods as { id: string }[];
    expect(cards.map((c) => c.id)).toContain(paid.payment_intent.payment_method);
    const saved = t.stripe.emulator.paymentMethods.get(paid.payment_intent.payment_method as string)!;
    expect(saved.allow_redisplay).toBe('always');
    const next = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    const nextPage = await (await fetch(next.url)).text();
    expect(nextPage).toContain(saved.id);
  });
});

describe('reconcile covers sessions', () => {
  const deps = () => ({ db: t.database.db, clock: t.clock, catalog: t.app.payments.catalog, stripe: t.app.payments.stripe });
  const since = () => new Date(t.clock.now().getTime() - 3600_000);
  const findingsFor = (report: ReconcileReport, chargeId: number) => report.findings.filter((f) => f.charge_id === chargeId);
  /** Past reconcile's stale threshold (15 minutes), inside the session's lifetime (35 minutes). */
  const pastStaleThreshold = () => t.clock.advance(16 * 60_000);
  afterEach(() => t.stripe.setDeliveryFaults({}));

  it('settles, once, a session paid on the page whose webhooks never came', async () => {
    t.stripe.setDeliveryFaults({ drop: true });
    const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    const sessionId = (await row(charge.id)).checkout_session_id;
    const paid = await payOnPage(sessionId);
    await settleWebhooks(t);
    expect((await row(charge.id)).status).toBe('pending');
    pastStaleThreshold();
    const report = await reconcile(deps(), { since: since() });
    expect(findingsFor(report, charge.id)).toEqual([
      { direction: 'stripe_to_ours', kind: 'status_mismatch', stripe_id: sessionId, charge_id: charge.id, detail: 'pending → succeeded (Checkout Session)', action: 'repaired' },
    ]);
    expect(await row(charge.id)).toMatchObject({ status: 'succeeded', stripe_charge_key: paid.payment_intent.id });
    expect(await fulfilments(charge.id)).toBe(1);
    const again = await reconcile(deps(), { since: since() });
    expect(findingsFor(again, charge.id)).toEqual([]);
    expect(await fulfilments(charge.id)).toBe(1);
  });

  it('cancels the row of a session that expired unseen, and buys nothing', async () => {
    t.stripe.setDeliveryFaults({ drop: true });
    const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    const sessionId = (await row(charge.id)).checkout_session_id;
    await t.app.payments.stripe.client.checkout.sessions.expire(sessionId);
    await settleWebhooks(t);
    expect((await row(charge.id)).status).toBe('pending');
    pastStaleThreshold();
    const report = await reconcile(deps(), { since: since() });
    expect(findingsFor(report, charge.id)).toEqual([expect.objectContaining({ kind: 'status_mismatch', stripe_id: sessionId, detail: 'pending → canceled (Checkout Session)', action: 'repaired' })]);
    expect((await row(charge.id)).status).toBe('canceled');
    expect(await fulfilments(charge.id)).toBe(0);
  });

  it('cancels at once the row of a session that expired, however young, whose event never came', async () => {
    t.stripe.setDeliveryFaults({ drop: true });
    const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    const sessionId = (await row(charge.id)).checkout_session_id;
    await t.app.payments.stripe.client.checkout.sessions.expire(sessionId);
    await settleWebhooks(t);
    const report = await reconcile(deps(), { since: since() });
    expect(findingsFor(report, charge.id)).toEqual([expect.objectContaining({ kind: 'status_mismatch', stripe_id: sessionId, detail: 'pending → canceled (Checkout Session)', action: 'repaired' })]);
    expect(report.scanned.checkout_sessions).toBeGreaterThan(0);
    expect((await row(charge.id)).status).toBe('canceled');
    expect(await fulfilments(charge.id)).toBe(0);
    expect(findingsFor(await reconcile(deps(), { since: since() }), charge.id)).toEqual([]);
  });

  it('leaves an old session that is still open to the buyer: it reached Stripe, and may yet be paid', async () => {
    const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    pastStaleThreshold();
    const report = await reconcile(deps(), { since: since() });
    expect(findingsFor(report, charge.id)).toEqual([]);
    expect((await row(charge.id)).status).toBe('pending');
    await payOnPage((await row(charge.id)).checkout_session_id);
    await settleWebhooks(t);
    expect((await row(charge.id)).status).toBe('succeeded');
    expect(await fulfilments(charge.id)).toBe(1);
  });

  it('reports a session paid for another amount than our row, and fulfils nothing', async () => {
    t.stripe.setDeliveryFaults({ drop: true });
    const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    const sessionId = (await row(charge.id)).checkout_session_id;
    t.stripe.emulator.checkoutSessions.get(sessionId)!.amount_total = 100;
    await payOnPage(sessionId);
    pastStaleThreshold();
    const report = await reconcile(deps(), { since: since() });
    expect(findingsFor(report, charge.id)).toContainEqual(expect.objectContaining({ kind: 'session_mismatch', stripe_id: sessionId, action: 'reported' }));
    expect((await row(charge.id)).status).toBe('pending');
    expect(await fulfilments(charge.id)).toBe(0);
  });

  it('one fulfilment when reconcile races the return page and the session webhooks, duplicated and reversed', async () => {
    t.stripe.setDeliveryFaults({ hold: true });
    const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    const sessionId = (await row(charge.id)).checkout_session_id;
    await payOnPage(sessionId);
    pastStaleThreshold();
    const sessionEvents = [...t.stripe.emulator.events.values()].filter((e) => e.type.startsWith('checkout.session.') && (e.data.object as Stripe.Checkout.Session).id === sessionId);
    expect(sessionEvents.map((e) => e.type)).toContain('checkout.session.completed');
    t.stripe.setDeliveryFaults({});
    const [report] = await Promise.all([
      reconcile(deps(), { since: since() }),
      returnPage(charge.id),
      returnPage(charge.id),
      (async () => {
        expect(t.stripe.webhooks.release({ reverse: true })).toBeGreaterThan(0);
        for (const event of sessionEvents) t.stripe.webhooks.resend(event);
        await settleWebhooks(t);
      })(),
    ]);
    await settleWebhooks(t);
    expect(findingsFor(report, charge.id).filter((f) => f.action === 'reported')).toEqual([]);
    expect((await row(charge.id)).status).toBe('succeeded');
    expect(await fulfilments(charge.id)).toBe(1);
    const audits = await queryRows<{ n: number }>(t.database.db, `select count(*)::int as n from audit_log where action = 'charge.succeeded' and subject_id = '${charge.id}'`);
    expect(audits[0]!.n).toBe(1);
  });
});

describe("the checkout form's \"Pay on Stripe's checkout page\"", () => {
  // As a browser sends the form: every field, the optional image URL left empty.
  const billboard = { product: 'billboard', headline: 'Hosted ad', link_url: 'https://ad.example', image_url: '', payment_method: 'new' };
  const chargeCount = async () => (await queryRows<{ n: number }>(t.database.db, `select count(*)::int as n from charges where user_id = ${poster.id}`))[0]!.n;
  async function signedIn() {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: poster.email, password: poster.password });
    return browser;
  }

  it('is a second button on the checkout form, posting the same fields to /checkout_sessions', async () => {
    const page = await (await signedIn()).get('/charges/new?product=billboard');
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<form id="checkout"[^>]*action="\/charges"/);
    expect(page.body).toContain(`<button type="submit" id="pay-hosted" class="secondary" formaction="/checkout_sessions" data-hosted="true">Pay on Stripe's checkout page</button>`);
  });

  it('answers 303 to the session url, and the same key again to the same session', async () => {
    const browser = await signedIn();
    const fields = { ...billboard, idempotency_key: 'hosted-form-1' };
    const res = await browser.submit('/charges/new?product=billboard', '/checkout_sessions', fields);
    expect(res.statusCode).toBe(303);
    const [stored] = await queryRows<{ id: number; status: string; checkout_session_id: string; product_data: unknown }>(
      t.database.db,
      `select id, status, checkout_session_id, product_data from charges where idempotency_key = 'hosted-form-1'`,
    );
    expect(stored).toMatchObject({ status: 'pending', product_data: { headline: 'Hosted ad', link_url: 'https://ad.example' } });
    expect(stored!.product_data).not.toHaveProperty('image_url');
    expect(res.headers.location).toBe(t.stripe.emulator.checkoutSessions.get(stored!.checkout_session_id)!.url);
    const again = await browser.submit('/charges/new?product=billboard', '/checkout_sessions', fields);
    expect(again.statusCode).toBe(303);
    expect(again.headers.location).toBe(res.headers.location);
  });

  it('shows the form again with the same key while the first submission is still at Stripe', async () => {
    const browser = await signedIn();
    const fields = { ...billboard, idempotency_key: 'hosted-form-in-progress' };
    t.stripe.injectFault({ kind: 'slow', when: 'before', delayMs: 4000, path: '/v1/checkout/sessions', method: 'POST', count: 1 });
    const { answer: first } = await atStripe(t, 'POST /v1/checkout/sessions', () => browser.submit('/charges/new?product=billboard', '/checkout_sessions', fields));
    const repeat = await browser.submit('/charges/new?product=billboard', '/checkout_sessions', fields);
    expect(repeat.statusCode).toBe(409);
    expect(repeat.body).toContain('retry with the same Idempotency-Key');
    expect(repeat.body).toContain('name="idempotency_key" value="hosted-form-in-progress"');
    expect((await first).statusCode).toBe(303);
  });

  it('sends a bad field back beside it, with what was typed, and writes nothing', async () => {
    const browser = await signedIn();
    const before = await chargeCount();
    const res = await browser.submit('/charges/new?product=billboard', '/checkout_sessions', { ...billboard, link_url: 'javascript:alert(1)', idempotency_key: 'hosted-form-bad' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('value="Hosted ad"');
    expect(res.body).toContain('value="javascript:alert(1)"');
    expect(res.body).toMatch(/aria-invalid="true" aria-describedby="error-link_url"\/><span class="field-error" id="error-link_url" role="alert">[^<]+<\/span>/);
    expect(res.body).toContain('id="pay-hosted"');
    expect(await chargeCount()).toBe(before);
  });

  it('refuses an unknown product (400) and a form without its CSRF token (403), writing nothing', async () => {
    const browser = await signedIn();
    const before = await chargeCount();
    const unknown = await browser.submit('/charges/new?product=billboard', '/checkout_sessions', { ...billboard, product: 'nope', idempotency_key: 'hosted-form-unknown' });
    expect(unknown.statusCode).toBe(400);
    const forged = await browser.submit('/charges/new?product=billboard', '/checkout_sessions', { ...billboard, idempotency_key: 'hosted-form-forged' }, false);
    expect(forged.statusCode).toBe(403);
    expect(await chargeCount()).toBe(before);
  });
});

describe('/metrics', () => {
  const scrape = async () => (await t.app.inject({ method: 'GET', url: '/metrics', headers: boss.auth })).body;
  const value = (text: string, outcome: string) => {
    const series = `devboard_checkouts_total{product="job_listing",way="hosted_page",outcome="${outcome}"} `;
    const line = text.split('\n').find((l) => l.startsWith(series));
    return line ? Number(line.slice(series.length)) : 0;
  };

  it('counts hosted checkouts by product, way and outcome: opened, then paid or canceled when they end', async () => {
    const before = await scrape();
    const paid = json(await openSession({ product: 'job_listing', article_id: await listing() })).charge;
    await payOnPage((await row(paid.id)).checkout_session_id);
    await returnPage(paid.id);
    const abandoned = json(await openSession({ product: 'job_listing', article_id: await listing() })).charge;
    await t.app.payments.stripe.client.checkout.sessions.expire((await row(abandoned.id)).checkout_session_id);
    await settleWebhooks(t);
    await returnPage(abandoned.id);
    const after = await scrape();
    const delta = (outcome: string) => value(after, outcome) - value(before, outcome);
    expect([delta('opened'), delta('succeeded'), delta('canceled')]).toEqual([2, 1, 1]);
  });
});

describe("the auto-renew box on Stripe's page", () => {
  it('arrives as a boolean from the hosted-page form and keeps the card typed there for the renewals', async () => {
    const fresh = await member(t.app);
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: fresh.email, password: fresh.password });
    const fields = { product: 'billboard', headline: 'Hosted renewing ad', link_url: 'https://ad.example', image_url: '', auto_renew: 'on', payment_method: 'new', idempotency_key: 'hosted-auto-renew' };
    const sent = await browser.submit('/charges/new?product=billboard', '/checkout_sessions', fields);
    expect(sent.statusCode).toBe(303);
    const [charge] = await queryRows<{ id: number; auto_renew: unknown; checkout_session_id: string }>(
      t.database.db,
      `select id, product_data->'auto_renew' as auto_renew, checkout_session_id from charges where user_id = ${fresh.id}`,
    );
    expect(charge!.auto_renew).toBe(true);
    // Paid on Stripe's page without its own "save" box: the session asked Stripe to keep the card.
    await payOnPage(charge!.checkout_session_id);
    await browser.get(`/charges/${charge!.id}/return`);
    expect((await row(charge!.id)).status).toBe('succeeded');
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: fresh.auth })).payment_methods).toHaveLength(1);
  });
});
