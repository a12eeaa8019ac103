/**
 * Renewal, every product's: reminders before a period ends and opt-in off-session renewal, exactly
 * once per (product, subject, period end), for each product that declares `renewal` on its plugin.
 * A shared module of src/products/ like period.ts, not a room of its own: it reads the products'
 * declarations and is registered by the registry (index.ts) as one Schedule and one AdminView, so
 * neither the app nor the pages learn of it.
 */
import { and, desc, eq, getTableColumns, inArray, isNotNull, lte, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type Renewal, type RenewalOutcome, renewals } from '../db/renewal-schema.js';
import { charges, type User, users } from '../db/schema.js';
import { ApiError } from '../http/errors.js';
import { savedCardOfPayment } from '../payments/cards.js';
import type { Product, ProductField } from '../payments/catalog.js';
import type { Checkout } from '../payments/checkout.js';
import { memberPayer, type Payer } from '../payments/payer.js';
import { organizations } from '../db/organization-schema.js';
import { payingOrganization } from '../organizations/service.js';
import { PAYING_STATUSES } from './period.js';
import { BATCH, claimable, type RenewalDeps, renewable, sameRenewal, subjectsOf, timestamptz } from './renewal-claims.js';
import { sendDueReminders, sendRenewalNotices } from './renewal-mail.js';
import { renewalWindow } from './renewal-rule.js';

/** What a product declares to be reminded and renewed (ProductPlugin.renewal). */
export interface Renewable {
  /** Starts its e-mails' names and its renewal charges' keys: 'listing' gives listing-reminder-7-…, renew-listing-7-…. */
  key: string;
  /** What its e-mails call a subject, where it shows, and its period: 'job listing', '/jobs', 'week'. */
  words: { noun: string; place: string; period: string };
  /**
   * Every subject with a period, as a SELECT of: subject_id (int), user_id (int, the buyer), purchase_subject
   * (int or null, the subject id a renewal's charge is for, as the product's `subject` names it), fields (jsonb or null, the renewal's own fields), period_end
   * (timestamptz), auto_renew (boolean), live (boolean: reminded and renewed at all) and title (text).
   */
  subjects: SQL;
  /** A subject's charges, as a condition on `charges` (of this product): the latest paying one's card renews it. */
  paidBy(subjectId: number): SQL;
  /** Where the buyer turns auto-renew off, when not on the billing page (the reminder says so). */
  offSwitch?: string;
  /**
   * A product whose auto-renew is its own persistent switch (the job listing's articles.auto_renew)
   * flips it here; any other's buyer stops or restores one period at a time (renewal-switch.ts).
   * Throws a 404 for a subject that is not the user's.
   */
  setAutoRenew?(db: Db, user: User, subjectId: number, enabled: boolean, now: Date): Promise<unknown>;
}

export type { RenewalDeps } from './renewal-claims.js';

/**
 * The checkout box of products whose buyer opts in at checkout (their `auto_renew` field, a boolean):
 * ticked, the card paid with is saved at Stripe, since a renewal charges it with nobody at the keyboard.
 */
export const autoRenewField = (period: string): ProductField => ({
  name: 'auto_renew',
  label: `Renew automatically each ${period} with the card I pay with`,
  inputMode: 'checkbox',
  required: false,
  savesCard: true,
  hint: `Charged in the last hour of each ${period} until you stop it on your billing page. Ticked, the card you pay with is saved for it (a saved card you choose already is).`,
});

/** For products whose buyer opts in at checkout: the `auto_renew` field of the charge joined as `charges`. */
export const autoRenewChosen = sql`coalesce((${charges.productData}->>'auto_renew')::boolean, false)`;

export interface RenewalReport {
  reminders: number;
  renewals: Partial<Record<RenewalOutcome, number>>;
  notices: number;
}

/** How long a process holds a renewal it is working on; one that crashed is taken over after it. */
const RENEWAL_LEASE_MS = 5 * 60_000;

/**
 * One run at `now`: e-mails the reminders due, charges the auto-renewals due, and e-mails the buyers
 * whose renewal did not go through. Safe on several instances at once and as often as wanted: every
 * step is claimed in the database under (product, subject, period end), so each happens once.
 */
export async function runRenewals(deps: RenewalDeps, now: Date): Promise<RenewalReport> {
  const reminders = await sendDueReminders(deps, now);
  const outcomes = await runDueRenewals(deps, now);
  const notices = await sendRenewalNotices(deps, now);
  return { reminders, renewals: outcomes, notices };
}

/** Charges the renewals due (and takes over those a crashed process left), each once. */
async function runDueRenewals(deps: RenewalDeps, now: Date): Promise<Partial<Record<RenewalOutcome, number>>> {
  const counts: Partial<Record<RenewalOutcome, number>> = {};
  for (;;) {
    const claimed = [...(await claimNewRenewals(deps, now)), ...(await takeOverStaleRenewals(deps.db, now))];
    if (claimed.length === 0) return counts;
    for (const renewal of claimed) {
      // One renewal's trouble (Stripe out of reach) does not hold up the others: it stays pending,
      // and is taken over once its lease runs out.
      const outcome = await renew(deps, renewal, now).catch((error: unknown) => {
        deps.onError?.(error, renewal);
        return 'pending' as const;
      });
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
  }
}

/** Inserts the key of each due renewal of each product, checking auto-renew in the same statement. */
async function claimNewRenewals({ db, products }: RenewalDeps, now: Date): Promise<Renewal[]> {
  const window = renewalWindow(now);
  const claimed: Renewal[] = [];
  for (const { product, renewal } of products) {
    claimed.push(
      ...(await db
        .insert(renewals)
        .select(
          sql`select ${product.id}, s.subject_id, s.period_end, s.user_id, null::int, 'pending', null::text,
            ${timestamptz(new Date(now.getTime() + RENEWAL_LEASE_MS))}, null::timestamptz, ${timestamptz(now)}, null::timestamptz
          from (${renewal.subjects}) s
          where s.auto_renew and ${renewable(product.id, window, renewals)}
          limit ${BATCH}`,
        )
        .onConflictDoNothing()
        .returning()),
    );
  }
  return claimed;
}

/** Renewals left pending past their lease (a crash, or Stripe out of reach): driven again under the same key. */
function takeOverStaleRenewals(db: Db, now: Date): Promise<Renewal[]> {
  const overdue = and(eq(renewals.outcome, 'pending'), lte(renewals.leaseUntil, timestamptz(now)));
  const stale = claimable(db, 'stale', overdue);
  return db
    .with(stale)
    .update(renewals)
    .set({ leaseUntil: new Date(now.getTime() + RENEWAL_LEASE_MS) })
    .from(stale)
    .where(and(sameRenewal(stale), overdue))
    .returning(getTableColumns(renewals));
}

/**
 * One renewal: the card of the subject's last paying charge, if still saved, charged off-session
 * through the payments core under the key (product, subject, period end); the product's authorize
 * still decides. Success extends what was bought (the core's settle fulfils it once); anything else
 * lets it lapse, and the buyer is e-mailed.
 */
async function renew(deps: RenewalDeps, renewal: Renewal, now: Date): Promise<RenewalOutcome> {
  const { db, checkout } = deps;
  const renewing = deps.products.find((p) => p.product.id === renewal.product)!;
  const { product, renewal: declared } = renewing;
  const [subject] = await subjectsOf(db, renewing, [renewal.subjectId]);
  if (!subject) return finish(db, renewal, now, 'not_allowed', 'It can no longer be renewed.');
  const [user] = await db.select().from(users).where(eq(users.id, renewal.userId));
  let last: Awaited<ReturnType<typeof lastPayment>>;
  try {
    last = await lastPayment(deps, user!, product, declared.paidBy(renewal.subjectId));
  } catch (error) {
    // The organization that paid last no longer lets this member pay for it.
    if (error instanceof ApiError) return finish(db, renewal, now, 'not_allowed', error.message);
    throw error;
  }
  if (!last) return finish(db, renewal, now, 'no_card', `The card you last paid for this ${declared.words.noun} with is no longer saved.`);
  let charge: Awaited<ReturnType<Checkout['chargeOffSession']>>;
  try {
    charge = await checkout.chargeOffSession({
      product: product.id,
      subjectId: subject.purchase_subject ?? undefined,
      fields: subject.fields ?? undefined,
      user: user!,
      payer: last.payer,
      paymentMethod: last.card,
      key: `renew-${declared.key}-${renewal.subjectId}-${renewal.periodEnd.toISOString()}`,
    });
  } catch (error) {
    if (error instanceof ApiError) return finish(db, renewal, now, 'not_allowed', error.message);
    throw error;
  }
  switch (charge.status) {
    case 'succeeded':
    case 'partially_refunded':
    case 'refunded':
    case 'disputed':
      return finish(db, renewal, now, 'renewed', null, charge.id);
    case 'failed':
    case 'canceled':
      if (charge.failureCode === 'authentication_required') return finish(db, renewal, now, 'authentication_required', charge.failureMessage, charge.id);
      if (charge.failureCode === 'payment_method_invalid') return finish(db, renewal, now, 'no_card', charge.failureMessage, charge.id);
      return finish(db, renewal, now, 'declined', charge.failureMessage, charge.id);
    default:
      // No verdict yet (Stripe out of reach): the lease runs out and the next run drives it again.
      await db.update(renewals).set({ chargeId: charge.id }).where(renewalKey(renewal));
      return 'pending';
  }
}

/**
 * Who paid the subject's latest paying charge (the member, or the organization that paid for them,
 * while they may still pay for it: else a 403/404) and its card, if that payer's Stripe customer
 * still holds it.
 */
async function lastPayment({ db, stripe }: RenewalDeps, user: User, product: Product, paidBy: SQL): Promise<{ payer: Payer; card: string } | null> {
  const [last] = await db
    .select({ paymentIntent: charges.paymentIntentId, organization: organizations })
    .from(charges)
    .leftJoin(organizations, eq(organizations.id, charges.payerOrganizationId))
    .where(and(paidBy, eq(charges.product, product.id), eq(charges.userId, user.id), inArray(charges.status, [...PAYING_STATUSES]), isNotNull(charges.paymentIntentId)))
    .orderBy(desc(charges.paidAt))
    .limit(1);
  if (!last?.paymentIntent) return null;
  const payer = last.organization ? await payingOrganization(db, user, last.organization.slug) : memberPayer(user);
  const customer = payer.knownCustomer();
  const card = customer ? await savedCardOfPayment(stripe, last.paymentIntent, customer) : null;
  return card ? { payer, card } : null;
}

const renewalKey = (r: Pick<Renewal, 'product' | 'subjectId' | 'periodEnd'>) =>
  and(eq(renewals.product, r.product), eq(renewals.subjectId, r.subjectId), eq(renewals.periodEnd, r.periodEnd));

async function finish(db: Db, renewal: Renewal, now: Date, outcome: RenewalOutcome, failureMessage: string | null, chargeId?: number): Promise<RenewalOutcome> {
  await db
    .update(renewals)
    .set({ outcome, failureMessage, chargeId: chargeId ?? null, finishedAt: now })
    .where(and(renewalKey(renewal), eq(renewals.outcome, 'pending')));
  return outcome;
}
