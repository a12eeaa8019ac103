/**
 * Reconcile's check of the credits ledger: once the charges agree with Stripe (reconcile compares them
 * first), the credits must agree with the charges. A purchase Stripe took the money for granted its
 * quantity, once; one that took no money granted nothing; the credits its refunds removed are the
 * refunds' share of it (floor(refunded × quantity ÷ amount)); a charge paid with credits took no money
 * at Stripe and succeeded; every balance is the sum of its entries. Differences are reported for a
 * person, never repaired: the ledger is append-only.
 */
import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.js';
import { charges } from '../db/schema.js';
import type { LedgerCheck, LedgerFinding } from '../payments/catalog.js';
import { SETTLED_STATUSES } from '../payments/state.js';
import { paidWithCredits } from './schema.js';

const settled = sql.join(
  SETTLED_STATUSES.map((s) => sql`${s}`),
  sql`, `,
);
const n = (v: unknown) => Number(v ?? 0);

/** The charges paid with credits (their spend entry names them), with no PaymentIntent: no money moved at Stripe. */
const paidFromLedger = sql`(${charges.paymentIntentId} is null and ${paidWithCredits(charges.id)})`;

/** The check for the product `purchaseProduct`, whose charges' `quantity` (product data) is the credits bought. */
export function creditsLedgerCheck(purchaseProduct: string): LedgerCheck {
  return {
    paidFromLedger,
    async check(db: Db, since: Date) {
      const findings: LedgerFinding[] = [];
      const from = since.toISOString();
      const purchases = await queryRows<Record<string, unknown>>(
        db,
        sql`select c.id, c.status, c.amount, c.amount_refunded, (c.product_data->>'quantity')::int as quantity,
              coalesce(sum(e.change) filter (where e.reason = 'purchase'), 0) as granted,
              coalesce(-sum(e.change) filter (where e.reason in ('refund', 'dispute')), 0) as removed
            from charges c left join credit_entries e on e.charge_id = c.id
            where c.product = ${purchaseProduct} and c.created_at >= ${from}::timestamptz
            group by c.id order by c.id`,
      );
      for (const p of purchases) {
        const [id, quantity, granted, removed] = [n(p.id), n(p.quantity), n(p.granted), n(p.removed)];
        const paid = (SETTLED_STATUSES as readonly unknown[]).includes(p.status);
        if (paid && granted !== quantity) findings.push({ charge_id: id, detail: `purchase entries grant ${granted} credits for a paid purchase of ${quantity}` });
        if (!paid && granted !== 0) findings.push({ charge_id: id, detail: `purchase entries grant ${granted} credits for a ${p.status} purchase that took no money` });
        // An open or lost dispute holds or takes back credits by its own rule; otherwise the refunds' share.
        const expected = Math.floor((n(p.amount_refunded) * quantity) / n(p.amount));
        if (paid && p.status !== 'disputed' && removed !== expected) {
          findings.push({ charge_id: id, detail: `refunds of ${n(p.amount_refunded)} of ${n(p.amount)} remove ${expected} credits, the ledger removed ${removed}` });
        }
        if (removed > granted) findings.push({ charge_id: id, detail: `the ledger removed ${removed} credits of a purchase that granted ${granted}` });
      }
      const spends = await queryRows<Record<string, unknown>>(
        db,
        sql`select c.id, c.status, c.stripe_charge_key as intent from credit_entries e join charges c on c.id = e.charge_id
            where e.reason = 'spend' and c.created_at >= ${from}::timestamptz and (c.status not in (${settled}) or c.stripe_charge_key is not null)`,
      );
      for (const s of spends) {
        findings.push({ charge_id: n(s.id), detail: s.intent ? `paid with credits and by the PaymentIntent ${s.intent}` : `credits spent on a charge that is ${s.status}` });
      }
      const balances = await queryRows<Record<string, unknown>>(
        db,
        sql`select a.id, a.balance, coalesce(sum(e.change), 0) as entries from credit_accounts a left join credit_entries e on e.account_id = a.id
            group by a.id having a.balance <> coalesce(sum(e.change), 0) order by a.id`,
      );
      for (const b of balances) findings.push({ detail: `credit account #${n(b.id)} has a balance of ${n(b.balance)}, its entries sum to ${n(b.entries)}` });
      return { findings, scanned: purchases.length + spends.length + balances.length };
    },
  };
}
