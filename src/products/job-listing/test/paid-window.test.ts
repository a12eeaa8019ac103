import fc from 'fast-check';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/client.js';
import type Stripe from 'stripe';
import { ManualClock } from '../../../clock.js';
import { articles, type ChargeStatus, chargeStatuses, charges as chargesTable, fulfilments, users } from '../../../db/schema.js';
import { Catalog } from '../../../payments/catalog.js';
import { settleFromIntent } from '../../../payments/settle.js';
import { products } from '../../index.js';
import { WEEK_MS } from '../../period.js';
import { computePaidWindow, isPaid } from '../paid-window.js';
import { applyPayment } from '../recompute.js';
import { recordListingCharge } from '../../../../test/helpers/charges.js';
import { freshDatabase } from '../../../../test/helpers/db.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const charge = fc.record({
  status: fc.constantFrom(...chargeStatuses),
  paidAt: fc.option(fc.integer({ min: 0, max: 60 * WEEK_MS }).map((ms) => new Date(T0 + ms)), { nil: null }),
});
const paying = fc.record({
  status: fc.constantFrom('succeeded' as const, 'partially_refunded' as const),
  paidAt: fc.integer({ min: 0, max: 60 * WEEK_MS }).map((ms) => new Date(T0 + ms)),
});

describe('computePaidWindow', () => {
  it('is null with no paying charge', () => {
    expect(computePaidWindow([])).toEqual({ paidUntil: null, bumpedAt: null });
    expect(computePaidWindow([{ status: 'refunded', paidAt: new Date(T0) }, { status: 'failed', paidAt: null }])).toEqual({
      paidUntil: null,
      bumpedAt: null,
    });
  });

  it('buys exactly one week, and is no longer paid at the boundary', () => {
    const w = computePaidWindow([{ status: 'succeeded', paidAt: new Date(T0) }]);
    expect(w.paidUntil!.getTime()).toBe(T0 + WEEK_MS);
    expect(isPaid(w.paidUntil, new Date(T0 + WEEK_MS - 1))).toBe(true);
    expect(isPaid(w.paidUntil, new Date(T0 + WEEK_MS))).toBe(false);
  });

  it('extends from the end of the current week when paying early, and from now when expired', () => {
    const early = computePaidWindow([
      { status: 'succeeded', paidAt: new Date(T0) },
      { status: 'succeeded', paidAt: new Date(T0 + 2 * 24 * 3600e3) },
    ]);
    expect(early.paidUntil!.getTime()).toBe(T0 + 2 * WEEK_MS);
    expect(early.bumpedAt!.getTime()).toBe(T0 + 2 * 24 * 3600e3);
    const late = computePaidWindow([
      { status: 'succeeded', paidAt: new Date(T0) },
      { status: 'succeeded', paidAt: new Date(T0 + 3 * WEEK_MS) },
    ]);
    expect(late.paidUntil!.getTime()).toBe(T0 + 4 * WEEK_MS);
  });

  it('is monotone: adding a charge never shortens the window', () => {
    fc.assert(
      fc.property(fc.array(charge, { maxLength: 12 }), charge, (charges, extra) => {
        const before = computePaidWindow(charges).paidUntil?.getTime() ?? 0;
        const after = computePaidWindow([...charges, extra]).paidUntil?.getTime() ?? 0;
        expect(after).toBeGreaterThanOrEqual(before);
      }),
    );
  });

  it('never loses paid time: from any payment on, every later payment is a full week', () => {
    fc.assert(
      fc.property(fc.array(paying, { minLength: 1, maxLength: 12 }), (charges) => {
        const until = computePaidWindow(charges).paidUntil!.getTime();
        for (const c of charges) {
          const fromThenOn = charges.filter((o) => o.paidAt.getTime() >= c.paidAt.getTime()).length;
          expect(until).toBeGreaterThanOrEqual(c.paidAt.getTime() + fromThenOn * WEEK_MS);
        }
        expect(until).toBeLessThanOrEqual(Math.max(...charges.map((c) => c.paidAt.getTime())) + charges.length * WEEK_MS);
      }),
    );
  });

  it('ignores refunded, disputed, failed and pending charges, and does not depend on order', () => {
    fc.assert(
      fc.property(fc.array(charge, { maxLength: 12 }), (charges) => {
        const onlyPaying = charges.filter((c) => c.status === 'succeeded' || c.status === 'partially_refunded');
        expect(computePaidWindow(charges)).toEqual(computePaidWindow(onlyPaying));
        expect(computePaidWindow([...charges].reverse())).toEqual(computePaidWindow(charges));
      }),
    );
  });

  it('bumps to the latest paying charge', () => {
    fc.assert(
      fc.property(fc.array(paying, { minLength: 1, maxLength: 12 }), (charges) => {
        const latest = Math.max(...charges.map((c) => c.paidAt.getTime()));
        expect(computePaidWindow(charges).bumpedAt!.getTime()).toBe(latest);
      }),
    );
  });
});

describe('applyPayment (the settling transaction’s statement)', () => {
  let database: Database;
  let userId: number;
  beforeAll(async () => {
    database = await freshDatabase();
    const [user] = await database.db.insert(users).values({ username: 'payer', email: 'payer@example.com', passwordHash: 'x' }).returning();
    userId = user!.id;
  });
  afterAll(() => database.close());

  /** A listing with these charges recorded and its window stored, as checkout leaves it. */
  async function listing(charges: Array<{ status: ChargeStatus; paidAt: Date | null }>) {
    const [article] = await database.db.insert(articles).values({ userId, title: 'Job', bodyMarkdown: 'x', bodyHtml: 'x', jobListing: true }).returning();
    for (const c of charges) await recordListingCharge(database.db, { userId, articleId: article!.id, paidAt: c.paidAt ?? new Date(T0), status: c.paidAt ? c.status : 'failed' });
    return article!.id;
  }
  const stored = async (id: number) => (await database.db.select({ paidUntil: articles.paidUntil, bumpedAt: articles.bumpedAt, published: articles.published }).from(articles).where(eq(articles.id, id)))[0];
  /** The new payment's row, as the settle statement writes it before fulfilment runs. */
  const pay = (articleId: number, paidAt: Date) =>
    database.db.transaction(async (tx) => {
      await tx.insert(chargesTable).values({ userId, articleId, product: 'job_listing', amount: 2500, currency: 'usd', status: 'succeeded', idempotencyKey: `pay-${articleId}-${paidAt.getTime()}`, paidAt });
      return applyPayment(tx, articleId, paidAt);
    });

  it('extends the stored window to the one recomputed from every charge, and publishes, whether the payment is the latest or lands late', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(charge, { maxLength: 6 }), fc.integer({ min: 0, max: 61 * WEEK_MS }), async (charges, offset) => {
        const id = await listing(charges);
        const paidAt = new Date(T0 + offset);
        const expected = computePaidWindow([...charges.map((c) => (c.paidAt ? c : { status: 'failed' as const, paidAt: new Date(T0) })), { status: 'succeeded', paidAt }]);
        expect(await pay(id, paidAt)).toEqual(expected);
        expect(await stored(id)).toEqual({ ...expected, published: true });
      }),
      { numRuns: 40 },
    );
  });
});

describe('settleFromIntent for a job listing (one statement, or a transaction when the payment lands late)', () => {
  let database: Database;
  let userId: number;
  const catalog = new Catalog(products);
  beforeAll(async () => {
    database = await freshDatabase();
    const [user] = await database.db.insert(users).values({ username: 'settler', email: 'settler@example.com', passwordHash: 'x' }).returning();
    userId = user!.id;
  });
  afterAll(() => database.close());

  let seq = 0;
  it('stores the window computed from every paying charge, fulfils once and answers it, whether latest or late', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(charge, { maxLength: 6 }), fc.integer({ min: 0, max: 61 * WEEK_MS }), async (charges, offset) => {
        const [article] = await database.db.insert(articles).values({ userId, title: 'Job', bodyMarkdown: 'x', bodyHtml: 'x', jobListing: true }).returning();
        const id = article!.id;
        for (const c of charges) await recordListingCharge(database.db, { userId, articleId: id, paidAt: c.paidAt ?? new Date(T0), status: c.paidAt ? c.status : 'failed' });
        const [row] = await database.db
          .insert(chargesTable)
          .values({ userId, articleId: id, product: 'job_listing', amount: 2500, currency: 'usd', status: 'pending', idempotencyKey: `settle-${++seq}`, intentNonce: `nonce-${seq}` })
          .returning();
        const paidAt = new Date(T0 + offset);
        const intent = {
          id: `pi_settle_${seq}`,
          object: 'payment_intent',
          status: 'succeeded',
          amount: 2500,
          currency: 'usd',
          latest_charge: `ch_settle_${seq}`,
          metadata: { charge_id: String(row!.id), product: 'job_listing', charge_nonce: `nonce-${seq}` },
        } as unknown as Stripe.PaymentIntent;
        const deps = { db: database.db, catalog, clock: new ManualClock(paidAt) };
        const expected = computePaidWindow([...charges.map((c) => (c.paidAt ? c : { status: 'failed' as const, paidAt: new Date(T0) })), { status: 'succeeded', paidAt }]);

        const settled = await settleFromIntent(deps, row!.id, intent);
        expect(settled.charge.status).toBe('succeeded');
        expect(settled.extras).toEqual({ paid_until: expected.paidUntil });
        const [stored] = await database.db.select({ paidUntil: articles.paidUntil, bumpedAt: articles.bumpedAt, published: articles.published }).from(articles).where(eq(articles.id, id));
        expect(stored).toEqual({ ...expected, published: true });
        // Again (a webhook, reconcile): nothing more is applied.
        expect((await settleFromIntent(deps, row!.id, intent)).extras).toBeUndefined();
        expect(await database.db.select().from(fulfilments).where(eq(fulfilments.chargeId, row!.id))).toHaveLength(1);
        const [after] = await database.db.select({ paidUntil: articles.paidUntil }).from(articles).where(eq(articles.id, id));
        expect(after!.paidUntil).toEqual(expected.paidUntil);
      }),
      { numRuns: 40 },
    );
  });
});
