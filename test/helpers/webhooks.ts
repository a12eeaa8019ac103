import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { admin, grantJobs, json, type Member, member, settleWebhooks, startTestApp, TEST_WEBHOOK_SECRET, type TestApp } from './app.js';

/**
 * The webhook tests' app, for one test file: an admin (`boss`), a member allowed to post jobs
 * (`poster`) and the Stripe SDK on the local Stripe (`sdk`), with deliveries and faults back to
 * normal and every webhook settled before each test; and the helpers those tests share. Read
 * `s.t`, `s.boss`, `s.poster` and `s.sdk` inside tests.
 */
export function webhooksSuite() {
  const s = {} as { t: TestApp; boss: Member; poster: Member; sdk: Stripe };
  beforeAll(async () => {
    s.t = await startTestApp();
    s.boss = await admin(s.t);
    s.poster = await member(s.t.app);
    await grantJobs(s.t, s.boss, s.poster.id);
    s.sdk = new Stripe(s.t.stripe.secretKey, { host: '127.0.0.1', port: s.t.stripe.port, protocol: 'http' });
  });
  afterAll(() => s.t.close());
  beforeEach(async () => {
    s.t.stripe.setDeliveryFaults({});
    s.t.stripe.clearFaults();
    await settleWebhooks(s.t);
  });

  let seq = 0;
  async function listing() {
    const res = await s.t.app.inject({
      method: 'POST',
      url: '/api/v1/articles',
      headers: s.poster.auth,
      payload: { title: `Webhook job ${++seq}`, body_markdown: 'x', job_listing: true, published: true },
    });
    return json(res).article as { id: number };
  }
  const pay = (articleId: number, pm = 'pm_card_visa') =>
    s.t.app.inject({
      method: 'POST',
      url: '/api/v1/charges',
      headers: { ...s.poster.auth, 'idempotency-key': `wh-${++seq}-${Date.now()}` },
      payload: { product: 'job_listing', article_id: articleId, payment_method: pm },
    });
  const jobIds = async () => json(await s.t.app.inject({ method: 'GET', url: '/api/v1/jobs' })).jobs.map((j: { id: number }) => j.id);
  const chargeRow = async (id: number) =>
    (await queryRows<{ status: string; amount_refunded: string | number }>(s.t.database.db, `select status, amount_refunded from charges where id = ${id}`))[0]!;
  const fulfilments = async (id: number) => (await queryRows(s.t.database.db, `select 1 from fulfilments where charge_id = ${id}`)).length;
  const countEvents = async () => (await queryRows<{ n: number }>(s.t.database.db, 'select count(*)::int as n from stripe_events'))[0]!.n;

  function signed(payload: string, secret = TEST_WEBHOOK_SECRET, timestamp?: number) {
    return {
      'content-type': 'application/json',
      'stripe-signature': s.sdk.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) }),
    };
  }

  /** A 3-D Secure payment the buyer completes at Stripe but never comes back from (tab closed). */
  async function abandonedThreeDSecure(articleId: number) {
    const res = await pay(articleId, 'pm_card_authenticationRequired');
    const charge = json(res).charge;
    expect(charge.status).toBe('requires_action');
    return charge as { id: number; stripe_charge_key: string };
  }

  return { s, listing, pay, jobIds, chargeRow, fulfilments, countEvents, signed, abandonedThreeDSecure };
}
