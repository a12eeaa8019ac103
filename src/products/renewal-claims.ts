import { and, eq, type SQL, sql } from 'drizzle-orm';
import { type Renewal, type renewalReminders, renewals } from '../db/renewal-schema.js';
import { type Db, queryRows } from '../db/client.js';
import type { Mailer } from '../mail/mailer.js';
import type { Catalog, Product } from '../payments/catalog.js';
import type { Checkout } from '../payments/checkout.js';
import type { StripeGateway } from '../payments/stripe.js';
import type { Renewable } from './renewal.js';
import type { DueWindow } from './renewal-rule.js';

/** A product that declares a period, with its declaration. */
export interface RenewableProduct {
  product: Product;
  renewal: Renewable;
}

export interface RenewalDeps {
  db: Db;
  catalog: Catalog;
  checkout: Checkout;
  stripe: StripeGateway;
  products: readonly RenewableProduct[];
  /** Reminders and renewal notices go out through it; without one, none are claimed. */
  mailer?: Mailer;
  /** A renewal that failed unexpectedly (it stays pending and is tried again after its lease). */
  onError?: (error: unknown, renewal: Renewal) => void;
}

export const BATCH = 50;
export const timestamptz = (d: Date) => sql`${d.toISOString()}::timestamptz`;

/**
 * For a SELECT over a product's subjects aliased `s`: live ones whose period ends inside `window` and
 * whose (product, subject, period end) key `claims` does not hold yet.
 */
export const renewable = (product: string, window: DueWindow, claims: typeof renewalReminders | typeof renewals) =>
  sql`s.live and s.period_end > ${timestamptz(window.after)} and s.period_end <= ${timestamptz(window.through)}
    and not exists (select 1 from ${claims} r where r.product = ${product} and r.subject_id = s.subject_id and r.period_end = s.period_end)`;

/**
 * For a SELECT over a product's subjects aliased `s`: the buyer stopped the renewal of the current
 * period (a `stopped` row under its key, renewal-switch.ts). The claim of a renewal finds that key
 * taken, so a stopped period is never charged; this says so to the reminders and the pages.
 */
export const stoppedByBuyer = (product: string) =>
  sql`exists (select 1 from ${renewals} r where r.product = ${product} and r.subject_id = s.subject_id and r.period_end = s.period_end and r.outcome = 'stopped')`;

/** Auto-renew as it stands for a subject aliased `s`: chosen (the product's flag) and not stopped for this period. */
export const autoRenewOn = (product: string) => sql`(s.auto_renew and not ${stoppedByBuyer(product)})`;

/** A subject as a product's `subjects` SELECT gives it, auto-renew as it stands (autoRenewOn). */
export interface Subject {
  subject_id: number;
  user_id: number;
  purchase_subject: number | null;
  fields: Record<string, unknown> | null;
  auto_renew: boolean;
  title: string;
  email: string;
}

/** The given subjects of one product, with their buyer's e-mail address (one read for a batch). */
export function subjectsOf(db: Db, { product, renewal }: RenewableProduct, ids: number[]): Promise<Subject[]> {
  return queryRows<Subject>(
    db,
    sql`select s.subject_id, s.user_id, s.purchase_subject, s.fields, ${autoRenewOn(product.id)} as auto_renew, s.title, u.email
      from (${renewal.subjects}) s join users u on u.id = s.user_id
      where s.subject_id in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})`,
  );
}

/**
 * Up to BATCH renewals matching `where`, locked (SKIP LOCKED, so instances share the work), as a CTE:
 * one with FOR UPDATE is never inlined, so it runs once. As `(key) in (subquery)` PostgreSQL may
 * plan a nested loop that runs the locking subquery again for each row (docs/decisions.md).
 */
export function claimable(db: Db, name: string, where: SQL | undefined) {
  return db.$with(name).as(
    db
      .select({ product: renewals.product, subjectId: renewals.subjectId, periodEnd: renewals.periodEnd })
      .from(renewals)
      .where(where)
      .limit(BATCH)
      .for('update', { skipLocked: true }),
  );
}

export const sameRenewal = (claimed: ReturnType<typeof claimable>) =>
  and(eq(renewals.product, claimed.product), eq(renewals.subjectId, claimed.subjectId), eq(renewals.periodEnd, claimed.periodEnd));

/** `(product, subject_id, period_end) in (…)` for claimed rows of `table`, to put them back. */
export const keysIn = (table: typeof renewalReminders | typeof renewals, rows: Array<{ product: string; subjectId: number; periodEnd: Date }>) =>
  sql`(${table.product}, ${table.subjectId}, ${table.periodEnd}) in (${sql.join(
    rows.map((r) => sql`(${r.product}, ${r.subjectId}, ${timestamptz(r.periodEnd)})`),
    sql`, `,
  )})`;
