import { and, desc, eq, getTableColumns, gt, inArray, isNotNull, isNull, lte, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { articles, charges, type User, users } from '../../db/schema.js';
import { type ListingRenewal, listingReminders, listingRenewals, type RenewalOutcome } from './schema.js';
import { audit, userActor } from '../../audit/log.js';
import { ApiError, notFound } from '../../http/errors.js';
import type { Mailer, Outgoing } from '../../mail/mailer.js';
import { savedCardOfPayment } from '../../payments/cards.js';
import type { Catalog } from '../../payments/catalog.js';
import type { Checkout } from '../../payments/checkout.js';
import { payAgainUrl } from '../../payments/pages.js';
import type { StripeGateway } from '../../payments/stripe.js';
import { formatMoney, formatUtc } from '../../format.js';
import { PAYING_STATUSES } from './paid-window.js';
import { JOB_LISTING_PRODUCT } from './recompute.js';
import { reminderWindow, renewalWindow } from './upkeep-rule.js';

export interface UpkeepDeps {
  db: Db;
  catalog: Catalog;
  checkout: Checkout;
  stripe: StripeGateway;
  /** Reminders and renewal notices go out through it; without one, none are claimed. */
  mailer?: Mailer;
  /** A renewal that failed unexpectedly (it stays pending and is tried again after its lease). */
  onError?: (error: unknown, renewal: ListingRenewal) => void;
}

export interface UpkeepReport {
  reminders: number;
  renewals: Partial<Record<RenewalOutcome, number>>;
  notices: number;
}

/** How long a process holds a renewal it is working on; one that crashed is taken over after it. */
const RENEWAL_LEASE_MS = 5 * 60_000;
const BATCH = 50;
const FAILED_OUTCOMES: RenewalOutcome[] = ['authentication_required', 'declined', 'no_card', 'not_allowed'];

const timestamptz = (d: Date) => sql`${d.toISOString()}::timestamptz`;
/** A live job listing: the only kind reminded or renewed. */
const live = and(eq(articles.published, true), eq(articles.jobListing, true));

/**
 * The periodic upkeep of paid job listings at `now`: e-mails the reminders due, charges the
 * auto-renewals due, and e-mails the posters whose renewal did not go through. Safe to run on
 * several instances at once and as often as wanted: every step is claimed in the database under a
 * key of the listing and the paid week (listing_reminders, listing_renewals), so each happens once.
 */
export async function listingUpkeep(deps: UpkeepDeps, now: Date): Promise<UpkeepReport> {
  const reminders = await sendDueReminders(deps, now);
  const renewals = await runDueRenewals(deps, now);
  const notices = await sendRenewalNotices(deps, now);
  return { reminders, renewals, notices };
}

const listingPrice = (catalog: Catalog) => {
  const product = catalog.get(JOB_LISTING_PRODUCT);
  return formatMoney(product.amount, product.currency);
};

/** Live listings whose paid week ends inside `window` and whose (listing, paid_until) key `claims` does not hold yet. */
const dueAndUnclaimed = (claims: typeof listingReminders | typeof listingRenewals, window: { after: Date; through: Date }) =>
  and(
    live,
    gt(articles.paidUntil, timestamptz(window.after)),
    lte(articles.paidUntil, timestamptz(window.through)),
    sql`not exists (select 1 from ${claims} r where r.article_id = ${articles.id} and r.paid_until = ${articles.paidUntil})`,
  );

/** The listing's link to pay for another week, as an e-mail carries it. */
const extendLink = (mailer: Mailer, articleId: number) =>
  `${mailer.settings.baseUrl ?? ''}${payAgainUrl({ product: JOB_LISTING_PRODUCT, articleId })}`;

async function sendDueReminders({ db, mailer, catalog }: UpkeepDeps, now: Date): Promise<number> {
  if (!mailer) return 0;
  const window = reminderWindow(now);
  let sent = 0;
  for (;;) {
    // Claimed by inserting the (listing, paid_until) key: a second process, or a second run, finds it taken.
    const claimed = await db
      .insert(listingReminders)
      .select(
        db
          .select({ articleId: articles.id, paidUntil: sql<Date>`${articles.paidUntil}`.as('paid_until'), sentAt: sql<Date>`${timestamptz(now)}`.as('sent_at') })
          .from(articles)
          .where(dueAndUnclaimed(listingReminders, window))
          .limit(BATCH),
      )
      .onConflictDoNothing()
      .returning();
    if (claimed.length === 0) return sent;
    await mailer.deliverClaimed(
      claimed,
      composeForListings(db, catalog, claimed, (listing, reminder, price) => reminderMessage(mailer, listing, reminder.paidUntil, price)),
      (unsent) =>
        db.delete(listingReminders).where(
          sql`(${listingReminders.articleId}, ${listingReminders.paidUntil}) in (${sql.join(
            unsent.map((r) => sql`(${r.articleId}, ${timestamptz(r.paidUntil)})`),
            sql`, `,
          )})`,
        ),
    );
    sent += claimed.length;
  }
}

interface ListingWithPoster {
  id: number;
  title: string;
  autoRenew: boolean;
  email: string;
}

async function listingsWithPosters(db: Db, ids: number[]): Promise<Map<number, ListingWithPoster>> {
  const rows = await db
    .select({ id: articles.id, title: articles.title, autoRenew: articles.autoRenew, email: users.email })
    .from(articles)
    .innerJoin(users, eq(users.id, articles.userId))
    .where(inArray(articles.id, ids));
  return new Map(rows.map((r) => [r.id, r]));
}

/** For a claimed batch: the listings and their posters, and the price, read once; then each row's message. */
function composeForListings<T extends { articleId: number }>(db: Db, catalog: Catalog, claimed: T[], message: (listing: ListingWithPoster, row: T, price: string) => Outgoing) {
  return async () => {
    const listings = await listingsWithPosters(db, claimed.map((r) => r.articleId));
    const price = listingPrice(catalog);
    return (row: T) => message(listings.get(row.articleId)!, row, price);
  };
}

function reminderMessage(mailer: Mailer, listing: ListingWithPoster, paidUntil: Date, price: string): Outgoing {
  const link = extendLink(mailer, listing.id);
  const lines = listing.autoRenew
    ? [
        `Your job listing "${listing.title}" is paid until ${formatUtc(paidUntil)}.`,
        `Auto-renew is on: in its last hour we charge ${price} to the card you last paid for it with, for another week.`,
        `To turn auto-renew off, use your dashboard: ${mailer.settings.baseUrl ?? ''}/dashboard`,
        `To extend it by a week now instead: ${link}`,
      ]
    : [
        `Your job listing "${listing.title}" leaves /jobs at ${formatUtc(paidUntil)}.`,
        `Extend it by a week (${price}) in one click: ${link}`,
        'Paying early loses no time: the new week starts when this one ends.',
      ];
  return {
    message: {
      from: mailer.settings.from ?? 'DevBoard <receipts@devboard.local>',
      to: listing.email,
      subject: listing.autoRenew ? `"${listing.title}" renews soon` : `"${listing.title}" leaves /jobs tomorrow`,
      text: lines.join('\n'),
    },
    name: `listing-reminder-${listing.id}-${paidUntil.getTime()}`,
  };
}

/** Charges the renewals due (and takes over those a crashed process left), each once. */
async function runDueRenewals(deps: UpkeepDeps, now: Date): Promise<Partial<Record<RenewalOutcome, number>>> {
  const counts: Partial<Record<RenewalOutcome, number>> = {};
  for (;;) {
    const claimed = [...(await claimNewRenewals(deps.db, now)), ...(await takeOverStaleRenewals(deps.db, now))];
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

/** Inserts the (listing, paid_until) key of each due renewal, checking auto-renew in the same statement. */
function claimNewRenewals(db: Db, now: Date): Promise<ListingRenewal[]> {
  const window = renewalWindow(now);
  return db
    .insert(listingRenewals)
    .select(
      db
        .select({
          articleId: articles.id,
          paidUntil: sql<Date>`${articles.paidUntil}`.as('paid_until'),
          userId: articles.userId,
          chargeId: sql<null>`null::int`.as('charge_id'),
          outcome: sql<RenewalOutcome>`'pending'`.as('outcome'),
          failureMessage: sql<null>`null::text`.as('failure_message'),
          leaseUntil: sql<Date>`${timestamptz(new Date(now.getTime() + RENEWAL_LEASE_MS))}`.as('lease_until'),
          notifiedAt: sql<null>`null::timestamptz`.as('notified_at'),
          createdAt: sql<Date>`${timestamptz(now)}`.as('created_at'),
          finishedAt: sql<null>`null::timestamptz`.as('finished_at'),
        })
        .from(articles)
        .where(and(eq(articles.autoRenew, true), dueAndUnclaimed(listingRenewals, window)))
        .limit(BATCH),
    )
    .onConflictDoNothing()
    .returning();
}

/**
 * Up to BATCH renewals matching `where`, locked (SKIP LOCKED, so instances share the work), as a CTE:
 * one with FOR UPDATE is never inlined, so it runs once. As `(key) in (subquery)` PostgreSQL may
 * plan a nested loop that runs the locking subquery again for each row (docs/decisions.md).
 */
function claimable(db: Db, name: string, where: SQL | undefined) {
  return db.$with(name).as(
    db
      .select({ articleId: listingRenewals.articleId, paidUntil: listingRenewals.paidUntil })
      .from(listingRenewals)
      .where(where)
      .limit(BATCH)
      .for('update', { skipLocked: true }),
  );
}

const sameRenewal = (claimed: ReturnType<typeof claimable>) =>
  and(eq(listingRenewals.articleId, claimed.articleId), eq(listingRenewals.paidUntil, claimed.paidUntil));

/** Renewals left pending past their lease (a crash, or Stripe out of reach): driven again under the same key. */
function takeOverStaleRenewals(db: Db, now: Date): Promise<ListingRenewal[]> {
  const stale = claimable(
    db,
    'stale',
    and(eq(listingRenewals.outcome, 'pending'), lte(listingRenewals.leaseUntil, timestamptz(now))),
  );
  return db
    .with(stale)
    .update(listingRenewals)
    .set({ leaseUntil: new Date(now.getTime() + RENEWAL_LEASE_MS) })
    .from(stale)
    .where(and(sameRenewal(stale), eq(listingRenewals.outcome, 'pending'), lte(listingRenewals.leaseUntil, timestamptz(now))))
    .returning(getTableColumns(listingRenewals));
}

/**
 * One renewal: the card of the listing's last paid charge, if still saved, charged off-session
 * through the payments core under the key (listing, paid_until). Success extends the listing (the
 * core's settle fulfils it once); anything else lets it lapse, and the poster is e-mailed.
 */
async function renew(deps: UpkeepDeps, renewal: ListingRenewal, now: Date): Promise<RenewalOutcome> {
  const { db, checkout } = deps;
  const [user] = await db.select().from(users).where(eq(users.id, renewal.userId));
  const card = await cardToRenewWith(deps, user!, renewal.articleId);
  if (!card) return finish(db, renewal, now, 'no_card', 'The card you last paid for this listing with is no longer saved.');
  let charge: Awaited<ReturnType<Checkout['chargeOffSession']>>;
  try {
    charge = await checkout.chargeOffSession({
      product: JOB_LISTING_PRODUCT,
      articleId: renewal.articleId,
      user: user!,
      paymentMethod: card,
      key: `renew-listing-${renewal.articleId}-${renewal.paidUntil.toISOString()}`,
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
      // No verdict yet (Stripe out of reach): the lease runs out and the next upkeep drives it again.
      await db.update(listingRenewals).set({ chargeId: charge.id }).where(renewalKey(renewal));
      return 'pending';
  }
}

/** The card of the listing's latest paying charge, if the poster's Stripe customer still holds it. */
async function cardToRenewWith({ db, stripe }: UpkeepDeps, user: User, articleId: number): Promise<string | null> {
  if (!user.stripeCustomerKey) return null;
  const [last] = await db
    .select({ paymentIntent: charges.paymentIntentId })
    .from(charges)
    .where(
      and(
        eq(charges.articleId, articleId),
        eq(charges.product, JOB_LISTING_PRODUCT),
        eq(charges.userId, user.id),
        inArray(charges.status, [...PAYING_STATUSES]),
        isNotNull(charges.paymentIntentId),
      ),
    )
    .orderBy(desc(charges.paidAt))
    .limit(1);
  return last?.paymentIntent ? savedCardOfPayment(stripe, last.paymentIntent, user.stripeCustomerKey) : null;
}

const renewalKey = (r: Pick<ListingRenewal, 'articleId' | 'paidUntil'>) =>
  and(eq(listingRenewals.articleId, r.articleId), eq(listingRenewals.paidUntil, r.paidUntil));

async function finish(db: Db, renewal: ListingRenewal, now: Date, outcome: RenewalOutcome, failureMessage: string | null, chargeId?: number): Promise<RenewalOutcome> {
  await db
    .update(listingRenewals)
    .set({ outcome, failureMessage, chargeId: chargeId ?? null, finishedAt: now })
    .where(and(renewalKey(renewal), eq(listingRenewals.outcome, 'pending')));
  return outcome;
}

/** E-mails each poster whose renewal did not go through, once, with the link to pay on-session. */
async function sendRenewalNotices({ db, mailer, catalog }: UpkeepDeps, now: Date): Promise<number> {
  if (!mailer) return 0;
  let sent = 0;
  for (;;) {
    const due = claimable(db, 'due', and(inArray(listingRenewals.outcome, FAILED_OUTCOMES), isNull(listingRenewals.notifiedAt)));
    const claimed = await db
      .with(due)
      .update(listingRenewals)
      .set({ notifiedAt: now })
      .from(due)
      .where(and(sameRenewal(due), isNull(listingRenewals.notifiedAt)))
      .returning(getTableColumns(listingRenewals));
    if (claimed.length === 0) return sent;
    await mailer.deliverClaimed(
      claimed,
      composeForListings(db, catalog, claimed, (listing, renewal, price) => renewalFailedMessage(mailer, listing, renewal, price)),
      (unsent) =>
        db
          .update(listingRenewals)
          .set({ notifiedAt: null })
          .where(sql`(${listingRenewals.articleId}, ${listingRenewals.paidUntil}) in (${sql.join(
            unsent.map((r) => sql`(${r.articleId}, ${timestamptz(r.paidUntil)})`),
            sql`, `,
          )})`),
    );
    sent += claimed.length;
  }
}

const failureReason: Record<string, string> = {
  authentication_required: 'Your bank asks you to confirm this payment, which cannot be done while you are away.',
  declined: 'Your card was declined.',
  no_card: 'The card you last paid for it with is no longer saved.',
  not_allowed: 'Your account can no longer pay for job listings.',
};

function renewalFailedMessage(mailer: Mailer, listing: ListingWithPoster, renewal: ListingRenewal, price: string): Outgoing {
  return {
    message: {
      from: mailer.settings.from ?? 'DevBoard <receipts@devboard.local>',
      to: listing.email,
      subject: `"${listing.title}" was not renewed`,
      text: [
        `We could not renew your job listing "${listing.title}" for another week: no money was taken.`,
        `${failureReason[renewal.outcome]}${renewal.failureMessage && renewal.outcome !== 'no_card' ? ` (${renewal.failureMessage})` : ''}`,
        `It leaves /jobs at ${formatUtc(renewal.paidUntil)}, or has already left.`,
        renewal.outcome === 'authentication_required'
          ? `Pay for another week (${price}) yourself, confirming with your bank: ${extendLink(mailer, listing.id)}`
          : `Pay for another week (${price}) with this or another card: ${extendLink(mailer, listing.id)}`,
      ].join('\n'),
    },
    name: `listing-renewal-failed-${listing.id}-${renewal.paidUntil.getTime()}`,
  };
}

/** A listing's auto-renew switch, for its author (an admin does not decide to charge someone's card). */
export async function setAutoRenew(db: Db, user: User, articleId: number, enabled: boolean, now: Date): Promise<{ id: number; title: string; autoRenew: boolean }> {
  const [article] = await db.select({ userId: articles.userId, jobListing: articles.jobListing, title: articles.title }).from(articles).where(eq(articles.id, articleId));
  if (!article || article.userId !== user.id) throw notFound('No such job listing of yours.');
  if (!article.jobListing) {
    throw new ApiError(422, 'not_a_job_listing', 'Only job listings renew. Mark this article as a job listing first.', { enabled: 'Not a job listing.' });
  }
  await db.transaction(async (tx) => {
    await tx.update(articles).set({ autoRenew: enabled }).where(eq(articles.id, articleId));
    await audit(tx, { actor: userActor(user.id), action: enabled ? 'listing.auto_renew_on' : 'listing.auto_renew_off', subjectType: 'article', subjectId: articleId }, now);
  });
  return { id: articleId, title: article.title, autoRenew: enabled };
}
