/**
 * The credits ledger: a balance per owner (a member or an organization) that only ever changes by
 * appending an entry, in the same statement that moves the balance. That statement moves the
 * balance only if it stays at or above zero, and the account's row lock makes concurrent spends
 * queue, so twenty spends against five credits give exactly five; the unique indexes make a
 * purchase's credits granted once and a charge paid with credits once, whoever races.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { audit, userActor } from '../audit/log.js';
import { type Db, type Executor, queryRows, sqlState } from '../db/client.js';
import { users } from '../db/schema.js';
import { ApiError } from '../http/errors.js';
import { type CreditReason, creditAccounts, creditEntries } from './schema.js';

/** Whose credits: a member's own or an organization's. */
export type CreditOwner = { userId: number } | { organizationId: number };

const ownerColumns = (owner: CreditOwner) => ('userId' in owner ? { userId: owner.userId } : { organizationId: owner.organizationId });
const ownerWhere = (owner: CreditOwner) =>
  'userId' in owner ? eq(creditAccounts.userId, owner.userId) : eq(creditAccounts.organizationId, owner.organizationId);

/** The owner's account id, made (with a zero balance) on first use; safe when two first uses race. */
export async function creditAccount(ex: Executor, owner: CreditOwner): Promise<number> {
  await ex.insert(creditAccounts).values(ownerColumns(owner)).onConflictDoNothing();
  const [account] = await ex.select({ id: creditAccounts.id }).from(creditAccounts).where(ownerWhere(owner));
  return account!.id;
}

/** The owner's balance: 0 for an owner with no account yet. */
export async function creditBalance(ex: Executor, owner: CreditOwner): Promise<number> {
  const [account] = await ex.select({ balance: creditAccounts.balance }).from(creditAccounts).where(ownerWhere(owner));
  return account?.balance ?? 0;
}

export interface CreditChange {
  /** Credits added (positive) or taken (negative). */
  change: number;
  reason: CreditReason;
  chargeId?: number;
  /** The refund row a `refund` entry belongs to (once per row and sign: unique indexes). */
  refundId?: number;
  note?: string;
  /** Who made the change. */
  byUserId?: number;
  at: Date;
}

/** What became of a change: made; refused as it would take the balance below zero; or made already (the same purchase or spend). */
export type CreditOutcome = { outcome: 'applied'; balance: number } | { outcome: 'insufficient' | 'duplicate'; balance: number };

const UNIQUE_VIOLATION = '23505';
/** The most credits one balance holds (its column is a 32-bit integer). */
export const MAX_BALANCE = 2_000_000_000;

/**
 * Appends one entry and moves the balance by it, in one statement, unless the balance would go below
 * zero. Inside a transaction it runs in a savepoint, so a duplicate (refused by a unique index) leaves
 * the caller's transaction usable.
 */
export async function appendCredits(ex: Executor, owner: CreditOwner, entry: CreditChange): Promise<CreditOutcome> {
  return appendToAccount(ex, await creditAccount(ex, owner), entry);
}

const accountBalance = async (ex: Executor, account: number) =>
  (await ex.select({ balance: creditAccounts.balance }).from(creditAccounts).where(eq(creditAccounts.id, account)))[0]!.balance;

/** appendCredits, to an account known by its id. */
async function appendToAccount(ex: Executor, account: number, entry: CreditChange): Promise<CreditOutcome> {
  if (!Number.isSafeInteger(entry.change) || entry.change === 0) throw new Error(`credits: a change must be a non-zero integer, not ${entry.change}`);
  try {
    const [moved] = await ex.transaction((step) =>
      queryRows<{ balance: number }>(
        step,
        sql`with moved as (
              update ${creditAccounts} set balance = balance + ${entry.change}
              where id = ${account} and balance + ${entry.change} >= 0
              returning id, balance
            ), entry as (
              insert into ${creditEntries} (account_id, change, reason, charge_id, refund_id, note, by_user_id, at)
              select id, ${entry.change}, ${entry.reason}, ${entry.chargeId ?? null}, ${entry.refundId ?? null}, ${entry.note ?? null}, ${entry.byUserId ?? null}, ${entry.at.toISOString()}::timestamptz from moved
            )
            select balance from moved`,
      ),
    );
    if (moved) return { outcome: 'applied', balance: Number(moved.balance) };
    return { outcome: 'insufficient', balance: await accountBalance(ex, account) };
  } catch (error) {
    if (sqlState(error) !== UNIQUE_VIOLATION) throw error;
    return { outcome: 'duplicate', balance: await accountBalance(ex, account) };
  }
}

/**
 * Takes up to `upTo` credits, as many as the balance holds (none below zero), as one entry whose note
 * may say what could not be taken: the account row is locked meanwhile, so nothing spent in between
 * makes it fall short. Returns how many were taken (0: no entry, the balance was empty).
 */
export async function takeUpTo(
  ex: Executor,
  owner: CreditOwner,
  upTo: number,
  entry: Omit<CreditChange, 'change' | 'note'> & { note(taken: number): string },
): Promise<{ taken: number; balance: number }> {
  return ex.transaction(async (step) => {
    const account = await creditAccount(step, owner);
    const [locked] = await step.select({ balance: creditAccounts.balance }).from(creditAccounts).where(eq(creditAccounts.id, account)).for('update');
    const taken = Math.min(upTo, locked!.balance);
    if (taken <= 0) return { taken: 0, balance: locked!.balance };
    const outcome = await appendToAccount(step, account, { ...entry, change: -taken, note: entry.note(taken) });
    return outcome.outcome === 'applied' ? { taken, balance: outcome.balance } : { taken: 0, balance: outcome.balance };
  });
}

/**
 * Gives back the credits a charge was paid with (its spend entry), to the account they came from, as a
 * `refund` entry of the refund row (once per row: a unique index). Undefined when no credits paid it.
 */
export async function refundSpend(ex: Executor, refund: { chargeId: number; refundId: number; byUserId?: number; at: Date }): Promise<CreditOutcome | undefined> {
  const [spend] = await ex
    .select({ accountId: creditEntries.accountId, change: creditEntries.change })
    .from(creditEntries)
    .where(and(eq(creditEntries.chargeId, refund.chargeId), eq(creditEntries.reason, 'spend')));
  if (!spend) return undefined;
  return appendToAccount(ex, spend.accountId, {
    change: -spend.change,
    reason: 'refund',
    chargeId: refund.chargeId,
    refundId: refund.refundId,
    byUserId: refund.byUserId,
    note: `Refund #${refund.refundId}: the credits this paid are given back.`,
    at: refund.at,
  });
}

/** Grants a purchase's credits, once per charge, when its payment settles. */
export const grantPurchase = (ex: Executor, owner: CreditOwner, purchase: { chargeId: number; credits: number; byUserId: number; at: Date }) =>
  appendCredits(ex, owner, { change: purchase.credits, reason: 'purchase', chargeId: purchase.chargeId, byUserId: purchase.byUserId, at: purchase.at });

/** Spends credits on what a charge buys, once per charge; refused when the balance is short. */
export const spendCredits = (ex: Executor, owner: CreditOwner, spend: { chargeId: number; credits: number; byUserId: number; at: Date }) =>
  appendCredits(ex, owner, { change: -spend.credits, reason: 'spend', chargeId: spend.chargeId, byUserId: spend.byUserId, at: spend.at });

/**
 * A site admin's grant (positive) or revocation (negative) of credits, with the note that says why,
 * written with its audit entry in one transaction; a revocation beyond the balance changes nothing.
 */
export async function adjustCredits(db: Db, admin: { id: number }, owner: CreditOwner, change: number, note: string, at: Date): Promise<CreditOutcome> {
  // The balance is a 32-bit integer: a grant past it is refused, not a 500.
  if (change > 0 && (await creditBalance(db, owner)) + change > MAX_BALANCE) throw new ApiError(422, 'balance_too_large', `A balance holds at most ${MAX_BALANCE} credits.`, { change: `At most ${MAX_BALANCE} credits in all.` });
  return db.transaction(async (tx) => {
    const reason = change > 0 ? 'grant' : 'revoke';
    const outcome = await appendCredits(tx, owner, { change, reason, note, byUserId: admin.id, at });
    if (outcome.outcome === 'applied') {
      const account = await creditAccount(tx, owner);
      await audit(tx, { actor: userActor(admin.id), action: `credits.${reason}`, subjectType: 'credit_account', subjectId: account, after: { change, note, balance: outcome.balance } }, at);
    }
    return outcome;
  });
}

/** The owner's entries, oldest first, with who made each, as the API shows them. */
export async function creditEntriesOf(ex: Executor, owner: CreditOwner) {
  const rows = await ex
    .select({ entry: creditEntries, by: users.username })
    .from(creditEntries)
    .innerJoin(creditAccounts, eq(creditAccounts.id, creditEntries.accountId))
    .leftJoin(users, eq(users.id, creditEntries.byUserId))
    .where(ownerWhere(owner))
    .orderBy(asc(creditEntries.id));
  return rows.map(({ entry, by }) => ({
    at: entry.at,
    change: entry.change,
    reason: entry.reason,
    ...(entry.chargeId !== null ? { charge_id: entry.chargeId } : {}),
    ...(entry.note !== null ? { note: entry.note } : {}),
    by,
  }));
}
