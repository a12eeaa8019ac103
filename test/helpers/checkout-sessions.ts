import type Stripe from 'stripe';
import { afterAll, beforeAll } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { admin, grantJobs, json, type Member, member, startTestApp, type TestApp } from './app.js';
import { FormClient } from './browser-form.js';

/**
 * The Stripe-hosted Checkout tests' app, for one test file: hosted checkout on, an admin (`boss`)
 * and a member allowed to post jobs (`poster`); and the helpers those tests share. Read `s.t`,
 * `s.poster` and `s.boss` inside tests.
 */
export function checkoutSessionsSuite() {
  const s = {} as { t: TestApp; poster: Member; boss: Member };
  beforeAll(async () => {
    s.t = await startTestApp({ checkoutMode: 'hosted' });
    s.boss = await admin(s.t);
    s.poster = await member(s.t.app);
    await grantJobs(s.t, s.boss, s.poster.id);
  });
  afterAll(() => s.t.close());

  let seq = 0;
  async function listing() {
    const res = await s.t.app.inject({
      method: 'POST',
      url: '/api/v1/articles',
      headers: s.poster.auth,
      payload: { title: `Hosted job ${++seq}`, body_markdown: 'We are hiring.', job_listing: true, published: true },
    });
    return json(res).article.id as number;
  }

  const openSession = (payload: Record<string, unknown>, key = `hosted-${++seq}-${Math.random().toString(36).slice(2)}`) =>
    s.t.app.inject({ method: 'POST', url: '/api/v1/checkout_sessions', headers: { ...s.poster.auth, 'idempotency-key': key }, payload });

  /** As if the buyer paid on Stripe's page. */
  async function payOnPage(sessionId: string, paymentMethod = 'pm_card_visa', saveCard = false) {
    const res = await fetch(`${s.t.stripe.url}/_local/checkout/sessions/${sessionId}/pay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.t.stripe.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ payment_method: paymentMethod, ...(saveCard ? { save_payment_method: true } : {}) }),
    });
    return (await res.json()) as { session: Stripe.Checkout.Session; payment_intent: Stripe.PaymentIntent };
  }

  const row = async (id: number) =>
    (await queryRows<{ status: string; checkout_session_id: string; stripe_charge_key: string | null }>(s.t.database.db, `select status, checkout_session_id, stripe_charge_key from charges where id = ${id}`))[0]!;
  const fulfilments = async (id: number) => (await queryRows<{ n: number }>(s.t.database.db, `select count(*)::int as n from fulfilments where charge_id = ${id}`))[0]!.n;
  let buyer: FormClient;
  /** Stripe's page sends the buyer's browser here (session cookie, as a browser would). */
  async function buyerGet(url: string) {
    if (!buyer) {
      buyer = new FormClient(s.t.app);
      await buyer.submit('/login', '/login', { email: s.poster.email, password: s.poster.password });
    }
    return buyer.get(url);
  }
  const returnPage = (id: number) => buyerGet(`/charges/${id}/return`);

  /** A session opened for a new listing: its charge and the session's id. */
  async function openedForListing() {
    const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    return { charge, sessionId: (await row(charge.id)).checkout_session_id };
  }

  return { s, listing, openSession, payOnPage, row, fulfilments, buyerGet, returnPage, openedForListing };
}
