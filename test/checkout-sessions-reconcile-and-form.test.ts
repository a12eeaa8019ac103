import type Stripe from 'stripe';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { type ReconcileReport, reconcile } from '../src/payments/reconcile.js';
import { FormClient } from './helpers/browser-form.js';
import { atStripe, json, type Member, settleWebhooks, type TestApp } from './helpers/app.js';
import { checkoutSessionsSuite } from './helpers/checkout-sessions.js';

/** Stripe-hosted Checkout: reconcile over sessions, and the checkout form's "Pay on Stripe's checkout page". */
// Opening and settling sessions is in checkout-sessions.test.ts.
const { s, listing, openSession, payOnPage, row, fulfilments, returnPage } = checkoutSessionsSuite();
let t: TestApp;
let poster: Member;
beforeAll(() => {
  ({ t, poster } = s);
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
