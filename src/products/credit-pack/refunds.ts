/**
 * What refunds and disputes of a credit purchase do to its credits. A refund takes back the credits
 * its money paid for, at the purchase's price per credit: the purchase's refunds, in the order they were
 * written (failed ones left out), have taken back floor(refunded so far × quantity ÷ amount) credits, so
 * each refund row takes the difference its amount makes, partial refunds add up exactly and never to
 * more than the quantity. Each row takes once and, failed, gives back once (unique indexes on the entry's
 * refund row). A dispute freezes the credits still bought by the money it holds: a `dispute` entry
 * takes them off the balance (so they cannot be spent); won, a `dispute` entry gives them back; lost,
 * they stay off. The balance is always the sum of the entries.
 */
import { and, eq, lte, notInArray, sql } from 'drizzle-orm';
import { audit } from '../../audit/log.js';
import { appendCredits, type CreditOwner, creditAccount, takeUpTo } from '../../credits/ledger.js';
import { creditEntries } from '../../credits/schema.js';
import type { Executor } from '../../db/client.js';
import { type Charge, type Refund, refunds } from '../../db/schema.js';
import { formatMoney } from '../../format.js';
import type { RefundRefusal } from '../../payments/catalog.js';
import { FAILED_REFUND_STATUSES } from '../../payments/state.js';

const plural = (n: number) => `${n} credit${n === 1 ? '' : 's'}`;

/** The money of the purchase's refunds that have not failed, up to `throughId` (a refund row) when given. */
async function refundedMoney(ex: Executor, charge: Charge, throughId?: number): Promise<number> {
  const [row] = await ex
    .select({ sum: sql<string>`coalesce(sum(${refunds.amount}), 0)` })
    .from(refunds)
    .where(and(eq(refunds.chargeId, charge.id), notInArray(refunds.status, [...FAILED_REFUND_STATUSES]), throughId === undefined ? undefined : lte(refunds.id, throughId)));
  return Number(row!.sum);
}

/** The credits that much refunded money takes back: floor(money × quantity ÷ amount paid), never more than the quantity. */
const creditsFor = (charge: Charge, quantity: number, money: number) => Math.min(quantity, Math.floor((money * quantity) / charge.amount));

/** The credits this refund row takes back: what the refunds through it take, less what those before it took. */
async function creditsOfRefund(ex: Executor, charge: Charge, quantity: number, refund: Refund): Promise<number> {
  const through = await refundedMoney(ex, charge, refund.id);
  return creditsFor(charge, quantity, through) - creditsFor(charge, quantity, through - refund.amount);
}

/**
 * A refund row of the purchase, in the transaction that writes it. Asked of us: the credits come off
 * with it, or, when the balance no longer holds them (spent), the refund is refused (409
 * credits_already_spent) and nothing of it is written. Made at Stripe: the money has gone, so as many
 * as are left come off, and the entry's note and the audit log say how many could not.
 */
export async function takeBackForRefund(tx: Executor, owner: CreditOwner, charge: Charge, quantity: number, refund: Refund, now: Date, asked: boolean): Promise<RefundRefusal | undefined> {
  const credits = await creditsOfRefund(tx, charge, quantity, refund);
  if (credits <= 0) return undefined;
  const entry = { reason: 'refund', chargeId: charge.id, refundId: refund.id, byUserId: refund.requestedBy ?? undefined, at: now } as const;
  const money = formatMoney(refund.amount, refund.currency);
  if (asked) {
    const taken = await appendCredits(tx, owner, { ...entry, change: -credits, note: `Refund #${refund.id} of ${money}: ${plural(credits)} taken back.` });
    if (taken.outcome !== 'insufficient') return undefined;
    return {
      code: 'credits_already_spent',
      message: `This refund would remove ${plural(credits)} of the ${quantity} bought, but the balance is ${taken.balance}: the rest has been spent. Refund less, or nothing.`,
      details: { balance: taken.balance, credits },
    };
  }
  const { taken } = await takeUpTo(tx, owner, credits, {
    ...entry,
    note: (n) => `Refund #${refund.id} of ${money}, made at Stripe: ${plural(n)} taken back${n < credits ? `; ${credits - n} more had been spent` : ''}.`,
  });
  if (taken < credits) {
    const after = { charge_id: charge.id, refund_id: refund.id, credits, taken, short: credits - taken };
    await audit(tx, { actor: 'stripe', action: 'credits.refund_short', subjectType: 'credit_account', subjectId: await creditAccount(tx, owner), after }, now);
  }
  return undefined;
}

/** A refund row that failed: the credits it took come back, once. */
export async function giveBackForFailedRefund(tx: Executor, owner: CreditOwner, charge: Charge, refund: Refund, now: Date): Promise<void> {
  const [taken] = await tx
    .select({ change: creditEntries.change })
    .from(creditEntries)
    .where(and(eq(creditEntries.refundId, refund.id), eq(creditEntries.reason, 'refund'), sql`${creditEntries.change} < 0`));
  if (!taken) return;
  const credits = -taken.change;
  await appendCredits(tx, owner, { change: credits, reason: 'refund', chargeId: charge.id, refundId: refund.id, note: `Refund #${refund.id} failed: its ${plural(credits)} given back.`, at: now });
}

/** A dispute opened: the credits the disputed money still pays for are frozen, as many as are left. */
export async function freezeForDispute(tx: Executor, owner: CreditOwner, charge: Charge, quantity: number, now: Date): Promise<void> {
  const disputed = quantity - creditsFor(charge, quantity, await refundedMoney(tx, charge));
  if (disputed <= 0) return;
  const { taken } = await takeUpTo(tx, owner, disputed, {
    reason: 'dispute',
    chargeId: charge.id,
    at: now,
    note: (n) => `Disputed: ${plural(n)} frozen until the dispute closes${n < disputed ? `; ${disputed - n} more had been spent` : ''}.`,
  });
  if (taken < disputed) {
    const after = { charge_id: charge.id, credits: disputed, frozen: taken, short: disputed - taken };
    await audit(tx, { actor: 'stripe', action: 'credits.dispute_short', subjectType: 'credit_account', subjectId: await creditAccount(tx, owner), after }, now);
  }
}

/** A dispute won: what its `dispute` entries froze is released. */
export async function releaseAfterDispute(tx: Executor, owner: CreditOwner, charge: Charge, now: Date): Promise<void> {
  const [row] = await tx
    .select({ sum: sql<string>`coalesce(sum(${creditEntries.change}), 0)` })
    .from(creditEntries)
    .where(and(eq(creditEntries.chargeId, charge.id), eq(creditEntries.reason, 'dispute')));
  const frozen = -Number(row!.sum);
  if (frozen > 0) await appendCredits(tx, owner, { change: frozen, reason: 'dispute', chargeId: charge.id, note: `The dispute was won: ${plural(frozen)} released.`, at: now });
}
