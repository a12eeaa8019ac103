import { and, eq, isNull, isNotNull, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Clock } from '../clock.js';
import { type Db, type Executor, sqlState } from '../db/client.js';
import { prepared } from '../db/prepared.js';
import { type Charge, type ChargeStatus, charges, fulfilments } from '../db/schema.js';
import type { Catalog, ChargeExtras } from './catalog.js';
import { intentMismatch, type MismatchReason, recordMismatch } from './mismatches.js';
import { intentPredecessors, statusFromIntent } from './state.js';
import { chargeMoveCtes, moveCharge } from './transition.js';

export interface SettleDeps {
  db: Db;
  catalog: Catalog;
  clock: Clock;
}

function cardOf(pi: Stripe.PaymentIntent): { brand: string | null; last4: string | null } {
  const charge = typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
  const fromCharge = charge?.payment_method_details?.card;
  if (fromCharge) return { brand: fromCharge.brand, last4: fromCharge.last4 };
  const pm = typeof pi.payment_method === 'object' && pi.payment_method ? pi.payment_method : pi.last_payment_error?.payment_method;
  return { brand: pm?.card?.brand ?? null, last4: pm?.card?.last4 ?? null };
}

export const idOf = (v: string | { id: string } | null | undefined) => (v == null ? null : typeof v === 'string' ? v : v.id);

/** Stripe's fee, when the balance transaction came expanded with the charge. */
function feeOf(pi: Stripe.PaymentIntent): { stripeFee: number; stripeBalanceTransaction: string } | null {
  const charge = typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
  const txn = charge && typeof charge.balance_transaction === 'object' ? charge.balance_transaction : null;
  return txn ? { stripeFee: txn.fee, stripeBalanceTransaction: txn.id } : null;
}

/** The charge after settling, with its extras when this settlement fulfilled it. */
export interface Settled {
  charge: Charge;
  extras?: ChargeExtras;
  /** Set when the intent was not ours for this row, or not for its price: nothing changed. */
  mismatch?: MismatchReason;
  /** This call moved the row (the database's guard lets one caller move it, however many race). */
  moved?: true;
}

const p = sql.placeholder;
const text = (name: string) => sql`${p(name)}::text`;
const at = (name: string) => sql`${p(name)}::timestamptz`;

/** What varies in a settle statement's text (its values are parameters): one prepared statement each. */
interface SettleShape {
  target: ChargeStatus;
  card: boolean;
  failure: boolean;
  fee: boolean;
  /** With the catalog's fulfilment steps, for the statement that settles on its own (no transaction). */
  steps: boolean;
}

/** The SQLSTATE of settle_needs_transaction() (drizzle/0011): the one-statement settle undid itself. */
const NEEDS_TRANSACTION = 'DB001';

/**
 * One statement moves the charge with its audit entry (transition.ts's move, forward only) and,
 * on success, claims the fulfilment (the fulfilments primary key
 * decides): all or nothing, in one round trip. The guard also holds the intent to the row: its id
 * is the one stored (or, none stored yet, it carries the row's nonce) and its amount and currency
 * are the row's, so no other PaymentIntent can move the row, whatever its metadata says.
 *
 * With `steps`, each product's FulfilStep runs in the same statement for a fresh claim of its
 * product, and a claim that no step fulfilled (no step for the product, or its usual case did not
 * apply) calls settle_needs_transaction(), which undoes the whole statement.
 */
function buildSettle(db: Executor, { target, card, failure, fee, steps }: SettleShape, catalog: Catalog) {
  const { moved, audited } = chargeMoveCtes(db, p('chargeId'), {
    to: target,
    from: intentPredecessors(target),
    set: {
      paymentIntentId: text('intent'),
      stripeLatestCharge: text('latestCharge'),
      stripeClientSecret: target === 'requires_action' ? text('clientSecret') : null,
      ...(card ? { cardBrand: text('cardBrand'), cardLast4: text('cardLast4') } : {}),
      ...(failure ? { failureCode: text('failureCode'), declineCode: text('declineCode'), failureMessage: text('failureMessage') } : {}),
      ...(target === 'succeeded' ? { paidAt: at('now'), failureCode: null, declineCode: null, failureMessage: null } : {}),
      ...(fee ? { stripeFee: sql`${p('fee')}::bigint`, stripeBalanceTransaction: text('balanceTransaction') } : {}),
    },
    where: and(
      sql`${charges.amount} = ${p('amount')}::bigint`,
      sql`${charges.currency} = ${text('currency')}`,
      sql`(${charges.paymentIntentId} = ${text('intent')} or (${charges.paymentIntentId} is null and (${charges.intentNonce} = ${text('nonce')} or ${p('fromCreate')}::boolean)))`,
    ),
    at: at('now'),
    actor: text('actor'),
    after: sql`jsonb_build_object('status', status, 'payment_intent', ${text('intent')}, 'amount', amount, 'currency', currency)`,
  });
  const claimed = db.$with('claimed', { chargeId: sql<number>`charge_id` }).as(sql`
    insert into ${fulfilments} (charge_id, product, fulfilled_at)
    select id, product, ${at('now')} from moved where status = 'succeeded'
    on conflict do nothing returning charge_id`);
  const stepped = steps && target === 'succeeded' ? catalog.list().filter((product) => product.fulfilStep) : [];
  const stepCtes = stepped.flatMap((product, i) => {
    const paid = db.$with(`paid_${i}`, { id: sql<number>`id` }).as(sql`
      select moved.* from moved join claimed on claimed.charge_id = moved.id where moved.product = ${product.id}`);
    const fulfilled = db.$with(`fulfilled_${i}`, { row: sql`row` }).as(product.fulfilStep!.sql(sql`${sql.identifier(`paid_${i}`)}`));
    return [paid, fulfilled];
  });
  const fulfilledRow = stepped.length
    ? sql`coalesce(${sql.join(stepped.map((_, i) => sql`(select row_to_json(f) from ${sql.identifier(`fulfilled_${i}`)} f limit 1)`), sql`, `)})`
    : sql`null`;
  return db
    .with(moved, audited, claimed, ...stepCtes)
    .select({
      charge: moved._.selectedFields,
      fulfil: sql<boolean>`exists (select 1 from ${claimed})`.mapWith(Boolean),
      fulfilled: sql<Record<string, unknown> | null>`${fulfilledRow}`,
      ...(steps ? { undone: sql`case when exists (select 1 from ${claimed}) and ${fulfilledRow} is null then settle_needs_transaction() end` } : {}),
    })
    .from(moved)
    .prepare(`settle_${target}${card ? '_card' : ''}${failure ? '_failure' : ''}${fee ? '_fee' : ''}${steps ? `_with_${stepped.map((product) => product.id).join('_')}` : ''}`);
}
// Per catalog: the steps are its products'.
const settleStatements = new WeakMap<Catalog, Map<string, ReturnType<typeof prepared<ReturnType<typeof buildSettle>>>>>();
function settleStatement(catalog: Catalog, shape: SettleShape) {
  let forCatalog = settleStatements.get(catalog);
  if (!forCatalog) {
    forCatalog = new Map();
    settleStatements.set(catalog, forCatalog);
  }
  const key = JSON.stringify(shape);
  let statement = forCatalog.get(key);
  if (!statement) {
    statement = prepared((db) => buildSettle(db, shape, catalog));
    forCatalog.set(key, statement);
  }
  return statement;
}

/**
 * Moves a charge to where its PaymentIntent (as just read from Stripe) says it is, forward only,
 * and fulfils the product once, in the same statement or transaction, when it succeeded. Checkout,
 * webhooks and reconcile all come through here, so whichever gets there first does the work, once.
 * An intent that is not this row's, or not for its price, changes nothing and is recorded as a mismatch.
 * `fromCreate`: the intent is Stripe's answer to our own create call for this row (keyed by it).
 *
 * The usual case is one statement on its own: the move, with the product's FulfilStep. Anything
 * else (no move, a product without a step, a step that did not apply) is settled in a transaction,
 * the statement again and then the product's `fulfil` or the row read under its lock.
 */
export async function settleFromIntent(deps: SettleDeps, chargeId: number, pi: Stripe.PaymentIntent, actor = 'system', fromCreate = false): Promise<Settled> {
  const target = statusFromIntent(pi);
  const now = deps.clock.now();
  const card = cardOf(pi);
  const failure = target === 'failed' ? pi.last_payment_error : null;
  const fee = target === 'succeeded' ? feeOf(pi) : null;
  const shape = { target, card: Boolean(card.brand), failure: Boolean(failure), fee: Boolean(fee) };
  const values = {
    chargeId,
    intent: pi.id,
    latestCharge: idOf(pi.latest_charge),
    clientSecret: pi.client_secret,
    cardBrand: card.brand,
    cardLast4: card.last4,
    failureCode: failure?.code ?? 'payment_failed',
    declineCode: failure?.decline_code ?? null,
    failureMessage: failure?.message ?? null,
    fee: fee?.stripeFee,
    balanceTransaction: fee?.stripeBalanceTransaction,
    now,
    actor,
    amount: pi.amount,
    currency: pi.currency,
    nonce: pi.metadata?.charge_nonce ?? null,
    fromCreate,
  };
  // Our own metadata names the product: only a guess of which path is usual (the statement decides),
  // so that a product without a step goes straight to the transaction.
  const hinted = deps.catalog.find(pi.metadata?.product ?? '');
  if (target !== 'succeeded' || hinted?.fulfilStep) {
    try {
      const [row] = await settleStatement(deps.catalog, { ...shape, steps: true })(deps.db).execute(values);
      if (row) {
        const charge = row.charge as Charge;
        const step = row.fulfilled && deps.catalog.get(charge.product).fulfilStep;
        return { charge, extras: step ? step.applied(row.fulfilled!) : undefined, moved: true };
      }
    } catch (error) {
      if (sqlState(error) !== NEEDS_TRANSACTION) throw error;
    }
  }
  return deps.db.transaction(async (tx) => {
    const [row] = await settleStatement(deps.catalog, { ...shape, steps: false })(tx).execute(values);
    if (!row) {
      const [current] = await tx.select().from(charges).where(eq(charges.id, chargeId)).for('update');
      const mismatch = intentMismatch(current!, pi, fromCreate);
      if (mismatch) {
        await recordMismatch(tx, pi, mismatch, { chargeId, amount: current!.amount, currency: current!.currency }, now);
        return { charge: current!, mismatch };
      }
      // Already there or beyond: record what we learned about the Stripe objects, change nothing else.
      if (current!.stripeLatestCharge) return { charge: current! };
      const [updated] = await tx
        .update(charges)
        .set({ paymentIntentId: pi.id, stripeLatestCharge: idOf(pi.latest_charge) })
        .where(and(eq(charges.id, chargeId), isNull(charges.stripeLatestCharge)))
        .returning();
      return { charge: updated ?? current! };
    }
    const charge = row.charge as Charge;
    const extras = row.fulfil ? await deps.catalog.get(charge.product).fulfil(tx, charge, now) : undefined;
    return { charge, extras: extras ?? undefined, moved: true };
  });
}

/** Why a payment without a provider was refused: the row's failure code and a sentence, and what the answer adds beside them. */
export interface PrepaidRefusal {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Takes what a row costs from where a way keeps prepaid money, inside the settling transaction; returns why not, when it cannot. */
export type PrepaidPayment = (tx: Executor, charge: Charge, now: Date) => Promise<PrepaidRefusal | undefined>;

/**
 * Settles a pending row that no provider pays (a prepaid balance): in one transaction, with the row
 * locked, `pay` takes what it costs, the row moves to succeeded (transition.ts) and the product is
 * fulfilled once (the fulfilments key decides), so the payment, the move and the fulfilment happen
 * together or not at all. A row no longer pending is left as it is; `pay`'s refusal changes nothing.
 */
export async function settleWithoutIntent(deps: SettleDeps, chargeId: number, actor: string, pay: PrepaidPayment): Promise<Settled & { refused?: PrepaidRefusal }> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [charge] = await tx.select().from(charges).where(eq(charges.id, chargeId)).for('update');
    if (!charge) throw new Error(`no charge ${chargeId}`);
    if (charge.status !== 'pending') return { charge };
    const refused = await pay(tx, charge, now);
    if (refused) return { charge, refused };
    const after = { status: 'succeeded', amount: charge.amount, currency: charge.currency };
    const moved = await moveCharge(tx, chargeId, { to: 'succeeded', from: ['pending'], set: { paidAt: now }, at: now, actor, after });
    if (!moved) throw new Error(`charge ${chargeId} did not move from pending under its lock`);
    const [claimed] = await tx.insert(fulfilments).values({ chargeId, product: moved.product, fulfilledAt: now }).onConflictDoNothing().returning();
    const extras = claimed ? await deps.catalog.get(moved.product).fulfil(tx, moved, now) : undefined;
    return { charge: moved, extras: extras ?? undefined, moved: true };
  });
}

/** Reverses a fulfilled charge's product once (full refund, dispute opened). */
export async function reverseOnce(tx: Executor, catalog: Catalog, charge: Charge, now: Date): Promise<boolean> {
  const [reversed] = await tx
    .update(fulfilments)
    .set({ reversedAt: now })
    .where(and(eq(fulfilments.chargeId, charge.id), isNull(fulfilments.reversedAt)))
    .returning();
  if (!reversed) return false;
  await catalog.get(charge.product).reverse(tx, charge, now);
  return true;
}

/** Restores a reversed fulfilment once (dispute won). */
export async function restoreOnce(tx: Executor, catalog: Catalog, charge: Charge, now: Date): Promise<boolean> {
  const [restored] = await tx
    .update(fulfilments)
    .set({ reversedAt: null })
    .where(and(eq(fulfilments.chargeId, charge.id), isNotNull(fulfilments.reversedAt)))
    .returning();
  if (!restored) return false;
  await catalog.get(charge.product).restore(tx, charge, now);
  return true;
}
