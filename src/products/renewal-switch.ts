/**
 * The buyer's auto-renew switch, every renewable product's: which of their purchases renew by
 * themselves, and stopping (or restoring) one. A product whose switch is its own (the job listing's
 * articles.auto_renew) flips it through its `setAutoRenew`; for any other, auto-renew is chosen at
 * checkout and the buyer's stop is a `renewals` row with outcome `stopped` under the period's key
 * (product, subject_id, period_end): the claim that renews each period once finds that key taken and
 * so never charges a stopped period, and a new period (bought again) renews as its purchase chose.
 */
import { and, eq, type SQL, sql } from 'drizzle-orm';
import { audit, userActor } from '../audit/log.js';
import { type Db, queryRows } from '../db/client.js';
import { renewals } from '../db/renewal-schema.js';
import type { User } from '../db/schema.js';
import { ApiError, notFound } from '../http/errors.js';
import { autoRenewOn, type RenewableProduct, timestamptz } from './renewal-claims.js';

/** Where a buyer sees what renews and stops it (the billing page draws the renewing purchases). */
export const RENEWALS_PAGE = '/settings/billing';

/** One of a buyer's purchases that renews by itself, or did until they stopped it this period. */
export interface RenewingPurchase {
  product: string;
  productName: string;
  subjectId: number;
  title: string | null;
  /** When its period ends (null: none bought yet): the renewal is charged in its last hour, the next period starts then. */
  periodEnd: Date | null;
  /** Whether it renews at periodEnd; false once the buyer stopped it. */
  autoRenew: boolean;
}

interface Row {
  subject_id: number;
  user_id: number;
  title: string;
  period_end: Date | string;
  /** The product's own flag: chosen at checkout (or the job listing's switch). */
  chosen: boolean;
  /** As it stands: chosen and not stopped for this period. */
  auto_renew: boolean;
}

const subjectRows = (db: Db, { product, renewal }: RenewableProduct, where: SQL) =>
  queryRows<Row>(
    db,
    sql`select s.subject_id, s.user_id, s.title, s.period_end, s.auto_renew as chosen, ${autoRenewOn(product.id)} as auto_renew
      from (${renewal.subjects}) s where ${where} order by s.period_end`,
  );

const purchase = ({ product }: RenewableProduct, row: Row): RenewingPurchase => ({
  product: product.id,
  productName: product.name,
  subjectId: row.subject_id,
  title: row.title,
  periodEnd: new Date(row.period_end),
  autoRenew: row.auto_renew,
});

/**
 * The user's live purchases, of every product, with auto-renew chosen and a period not yet ended,
 * soonest first. A period whose renewal was already claimed (charged, being charged, or refused) is
 * left out: it renews no more and cannot be stopped; a renewed billboard's successor is listed instead.
 */
export async function renewingPurchases(db: Db, products: readonly RenewableProduct[], user: User, now: Date): Promise<RenewingPurchase[]> {
  const found: RenewingPurchase[] = [];
  for (const declared of products) {
    const claimed = sql`exists (select 1 from ${renewals} r where r.product = ${declared.product.id} and r.subject_id = s.subject_id and r.period_end = s.period_end and r.outcome <> 'stopped')`;
    const rows = await subjectRows(db, declared, sql`s.user_id = ${user.id} and s.live and s.auto_renew and s.period_end > ${timestamptz(now)} and not ${claimed}`);
    found.push(...rows.map((row) => purchase(declared, row)));
  }
  return found.sort((a, b) => a.periodEnd!.getTime() - b.periodEnd!.getTime());
}

/** One purchase of the user's as it stands now, or undefined (not theirs, unknown, or without a period). */
export async function renewalOf(db: Db, products: readonly RenewableProduct[], user: User, productId: string, subjectId: number): Promise<RenewingPurchase | undefined> {
  const declared = products.find((p) => p.product.id === productId);
  const [row] = declared ? await subjectRows(db, declared, sql`s.subject_id = ${subjectId} and s.user_id = ${user.id}`) : [];
  return row && declared ? purchase(declared, row) : undefined;
}

/**
 * Turns auto-renew of one of the user's purchases on or off, audited; a 404 for anyone else's (or
 * an unknown product's). Off stops the current period's renewal; on restores it while the period
 * has not ended. A 422 when there is nothing to switch (bought without auto-renewal, or ended), a
 * 409 when this period's renewal is already under way.
 */
export async function setRenewal(
  db: Db,
  products: readonly RenewableProduct[],
  user: User,
  productId: string,
  subjectId: number,
  enabled: boolean,
  now: Date,
): Promise<RenewingPurchase> {
  const declared = products.find((p) => p.product.id === productId);
  if (!declared) throw notFound('No such purchase of yours.');
  const read = async () => (await subjectRows(db, declared, sql`s.subject_id = ${subjectId}`))[0];
  if (declared.renewal.setAutoRenew) {
    // Its own switch (which audits, and answers 404 for another member's subject).
    await declared.renewal.setAutoRenew(db, user, subjectId, enabled, now);
    const row = await read();
    return row ? purchase(declared, row) : { product: productId, productName: declared.product.name, subjectId, title: null, periodEnd: null, autoRenew: enabled };
  }
  const row = await read();
  if (!row || row.user_id !== user.id) throw notFound('No such purchase of yours.');
  if (!row.chosen) {
    throw new ApiError(422, 'not_auto_renewing', 'This purchase was bought without auto-renewal: tick "Renew automatically" when you buy it again.', {
      enabled: 'Bought without auto-renewal.',
    });
  }
  const periodEnd = new Date(row.period_end);
  if (periodEnd <= now) throw new ApiError(422, 'period_ended', 'This purchase has ended: buy it again to renew it.', { enabled: 'Already ended.' });
  const key = and(eq(renewals.product, productId), eq(renewals.subjectId, subjectId), eq(renewals.periodEnd, periodEnd));
  await db.transaction(async (tx) => {
    const changed = enabled
      ? await tx.delete(renewals).where(and(key, eq(renewals.outcome, 'stopped'))).returning({ outcome: renewals.outcome })
      : await tx
          .insert(renewals)
          .values({ product: productId, subjectId, periodEnd, userId: row.user_id, outcome: 'stopped', leaseUntil: now, createdAt: now, finishedAt: now })
          .onConflictDoNothing()
          .returning({ outcome: renewals.outcome });
    if (changed.length === 0) {
      // Already as asked (stopped twice, or restored twice), or the renewal's claim came first.
      const [existing] = await tx.select({ outcome: renewals.outcome }).from(renewals).where(key);
      if (!enabled && existing && existing.outcome !== 'stopped') {
        throw new ApiError(409, 'renewal_under_way', "This period's renewal is already under way: its payment shows on your billing page.");
      }
      return;
    }
    await audit(
      tx,
      { actor: userActor(user.id), action: enabled ? 'renewal.auto_renew_on' : 'renewal.auto_renew_off', subjectType: productId, subjectId, after: { period_end: periodEnd.toISOString() } },
      now,
    );
  });
  return purchase(declared, (await read())!);
}
