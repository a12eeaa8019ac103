import { and, count, desc, eq, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Db, queryRows } from '../db/client.js';
import { paidWithCredits } from '../credits/schema.js';
import { auditLog, charges, chargeStatuses, disputes, refunds, users } from '../db/schema.js';
import { timestamp } from '../http/api.js';
import { notFound } from '../http/errors.js';
import { dateParam } from '../http/dates.js';
import type { Catalog } from '../payments/catalog.js';
import { SETTLED_STATUSES } from '../payments/state.js';
import { describeSubject, subjectOf } from '../payments/subject.js';

export const LEDGER_PAGE_SIZE = 50;

export const ledgerFilters = z.object({
  from: dateParam.optional(),
  to: dateParam.optional(),
  status: z.enum(chargeStatuses).optional(),
  product: z.string().max(60).optional(),
  user_id: z.coerce.number().int().positive().max(2147483647).optional(),
  article_id: z.coerce.number().int().positive().max(2147483647).optional(),
  sort: z.enum(['created_at', 'amount', 'status', 'id']).default('created_at'),
  dir: z.enum(['asc', 'desc']).default('desc'),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});
export type LedgerFilters = z.infer<typeof ledgerFilters>;

/** The end of `to`'s day (a date), or `to` itself (an instant): `to` is inclusive of its day. */
export const endOfDay = (s: string) => (/^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(Date.parse(s) + 86_400_000) : new Date(s));

/** The WHERE clause for a filtered set of charges (alias c). */
export function whereCharges(f: Partial<LedgerFilters>): SQL {
  const parts: SQL[] = [sql`true`];
  if (f.from) parts.push(sql`c.created_at >= ${new Date(f.from).toISOString()}::timestamptz`);
  if (f.to) parts.push(sql`c.created_at < ${endOfDay(f.to).toISOString()}::timestamptz`);
  if (f.status) parts.push(sql`c.status = ${f.status}`);
  if (f.product) parts.push(sql`c.product = ${f.product}`);
  if (f.user_id) parts.push(sql`c.user_id = ${f.user_id}`);
  if (f.article_id) parts.push(sql`c.article_id = ${f.article_id}`);
  return sql.join(parts, sql` and `);
}

/** int8 and numeric arrive as strings (pg) or bigints (PGlite); money stays an exact integer. */
export const toInt = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

const cents = z.number().int().meta({ description: 'In minor units (cents).' });

/**
 * A charge of alias c paid with credits: its spend entry names it. No money moved for it (the credit
 * purchase's charge took the money), so the money totals, charts and exports leave it out.
 */
const creditsPaid = paidWithCredits(sql`c.id`);
const moneyMoved = sql`not ${creditsPaid}`;

export const totalsSchema = z.object({
  currency: z.string(),
  count: z.number().int(),
  gross: cents,
  refunded: cents,
  disputed: cents,
  fees: cents,
  net: cents.meta({ description: 'gross − refunded − disputed − fees, in minor units.' }),
});
export type Totals = z.output<typeof totalsSchema>;

/**
 * Gross is what buyers paid (charges where money was taken), refunded what went back, disputed what
 * is held or lost in open and lost disputes, fees Stripe's; net = gross − refunded − disputed − fees.
 * Money is what Stripe moved: a charge paid with credits counts (in `count`) but adds no money (its
 * week's revenue is recognised from the credits, in the credits section). Sums are computed in SQL,
 * in integer minor units, per currency.
 */
const totalsColumns = sql`
  count(*) as count,
  coalesce(sum(c.amount) filter (where c.status in (${sql.join(SETTLED_STATUSES.map((s) => sql`${s}`), sql`, `)}) and ${moneyMoved}), 0)::bigint as gross,
  coalesce(sum(c.amount_refunded) filter (where ${moneyMoved}), 0)::bigint as refunded,
  coalesce(sum(c.amount - c.amount_refunded) filter (where c.status = 'disputed' and ${moneyMoved}), 0)::bigint as disputed,
  coalesce(sum(c.stripe_fee), 0)::bigint as fees`;

function totalsRow(r: Record<string, unknown>): Totals {
  const gross = toInt(r.gross);
  const refunded = toInt(r.refunded);
  const disputed = toInt(r.disputed);
  const fees = toInt(r.fees);
  return { currency: String(r.currency), count: toInt(r.count), gross, refunded, disputed, fees, net: gross - refunded - disputed - fees };
}

export async function ledgerTotals(db: Db, f: Partial<LedgerFilters>): Promise<Totals[]> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select c.currency, ${totalsColumns} from charges c where ${whereCharges(f)} group by c.currency order by c.currency`,
  );
  return rows.map(totalsRow);
}

export const ledgerRowSchema = z.object({
  id: z.number().int(),
  created_at: z.string().meta({ format: 'date-time' }),
  paid_at: z.string().meta({ format: 'date-time' }).nullable(),
  status: z.enum(chargeStatuses),
  product: z.string(),
  amount: cents,
  amount_refunded: cents,
  stripe_fee: cents.nullable(),
  currency: z.string(),
  user_id: z.number().int(),
  buyer: z.string(),
  buyer_email: z.string(),
  article_id: z.number().int().nullable(),
  article_title: z.string().nullable(),
  payment_intent_id: z.string().nullable(),
  stripe_latest_charge: z.string().nullable(),
  paid_with: z.enum(['card', 'credits']).meta({ description: '`credits`: paid with prepaid credits, no money moved (its amount is what the week is worth).' }),
});
export type LedgerRow = z.output<typeof ledgerRowSchema>;

const orderBy: Record<LedgerFilters['sort'], SQL> = {
  created_at: sql`c.created_at`,
  amount: sql`c.amount`,
  status: sql`c.status`,
  id: sql`c.id`,
};

const rowColumns = sql`c.id, c.created_at, c.paid_at, c.status, c.product, c.amount, c.amount_refunded, c.stripe_fee, c.currency,
  c.user_id, u.username as buyer, u.email as buyer_email, c.article_id, a.title as article_title,
  c.stripe_charge_key as payment_intent_id, c.stripe_latest_charge, ${creditsPaid} as credits`;

const normalise = ({ credits, ...r }: Record<string, unknown>): LedgerRow =>
  ({
    ...r,
    paid_with: credits ? 'credits' : 'card',
    id: toInt(r.id),
    amount: toInt(r.amount),
    amount_refunded: toInt(r.amount_refunded),
    stripe_fee: r.stripe_fee === null ? null : toInt(r.stripe_fee),
    user_id: toInt(r.user_id),
    article_id: r.article_id === null ? null : toInt(r.article_id),
    created_at: new Date(r.created_at as string).toISOString(),
    paid_at: r.paid_at ? new Date(r.paid_at as string).toISOString() : null,
  }) as LedgerRow;

export async function ledgerPage(db: Db, f: LedgerFilters): Promise<{ rows: LedgerRow[]; total: number }> {
  const dir = f.dir === 'asc' ? sql`asc` : sql`desc`;
  const where = whereCharges(f);
  const [rows, count] = await Promise.all([
    queryRows<Record<string, unknown>>(
      db,
      sql`select ${rowColumns} from charges c join users u on u.id = c.user_id left join articles a on a.id = c.article_id
          where ${where} order by ${orderBy[f.sort]} ${dir}, c.id ${dir} limit ${LEDGER_PAGE_SIZE} offset ${(f.page - 1) * LEDGER_PAGE_SIZE}`,
    ),
    queryRows<{ n: unknown }>(db, sql`select count(*) as n from charges c where ${where}`),
  ]);
  return { rows: rows.map(normalise), total: toInt(count[0]?.n) };
}

/** Every charge of a filtered set in id order, a batch at a time: constant memory for any size. */
export async function* ledgerRows(db: Db, f: Partial<LedgerFilters>, batch = 5000): AsyncGenerator<LedgerRow> {
  let after = 0;
  const where = whereCharges(f);
  for (;;) {
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`select ${rowColumns} from charges c join users u on u.id = c.user_id left join articles a on a.id = c.article_id
          where ${where} and c.id > ${after} order by c.id limit ${batch}`,
    );
    for (const r of rows) yield normalise(r);
    if (rows.length < batch) return;
    after = toInt(rows.at(-1)!.id);
  }
}

export const summaryQuery = z.object({
  from: dateParam.optional(),
  to: dateParam.optional(),
  group: z.enum(['day', 'week', 'month', 'product']).default('day'),
});
export type SummaryQuery = z.infer<typeof summaryQuery>;

export const summaryRowSchema = totalsSchema.extend({
  period: z.string().optional().meta({ description: 'The day, week or month (grouped by time).' }),
  product: z.string().optional().meta({ description: 'Grouped by product.' }),
});
export type SummaryRow = z.output<typeof summaryRowSchema>;

/** Totals per day, week or month (of the payment, in UTC) or per product. */
export async function summary(db: Db, q: SummaryQuery): Promise<SummaryRow[]> {
  const where = whereCharges({ from: q.from, to: q.to });
  if (q.group === 'product') {
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`select c.product, c.currency, ${totalsColumns} from charges c where ${where} group by c.product, c.currency order by c.product, c.currency`,
    );
    return rows.map((r) => ({ product: String(r.product), ...totalsRow(r) }));
  }
  const unit = sql.raw(`'${q.group}'`);
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select to_char(date_trunc(${unit}, coalesce(c.paid_at, c.created_at) at time zone 'UTC'), 'YYYY-MM-DD') as period, c.currency, ${totalsColumns}
        from charges c where ${where} group by 1, c.currency order by 1, c.currency`,
  );
  return rows.map((r) => ({ period: String(r.period), ...totalsRow(r) }));
}

/** For the charts: gross per period and product, refunds per period, new and returning buyers per period. */
export async function chartData(db: Db, q: SummaryQuery) {
  const group = q.group === 'product' ? 'day' : q.group;
  const unit = sql.raw(`'${group}'`);
  const where = whereCharges({ from: q.from, to: q.to });
  const period = sql`to_char(date_trunc(${unit}, c.paid_at at time zone 'UTC'), 'YYYY-MM-DD')`;
  const [revenue, buyers] = await Promise.all([
    queryRows<Record<string, unknown>>(
      db,
      sql`select ${period} as period, c.product, c.currency, sum(c.amount)::bigint as gross, sum(c.amount_refunded)::bigint as refunded
          from charges c where ${where} and c.paid_at is not null and ${moneyMoved} group by 1, 2, 3 order by 1, 2`,
    ),
    queryRows<Record<string, unknown>>(
      db,
      sql`with paid as (
            select c.user_id, c.paid_at, min(c.paid_at) over (partition by c.user_id) as first_paid
            from charges c where c.paid_at is not null and ${moneyMoved})
          select to_char(date_trunc(${unit}, p.paid_at at time zone 'UTC'), 'YYYY-MM-DD') as period,
            count(distinct p.user_id) filter (where date_trunc(${unit}, p.first_paid at time zone 'UTC') = date_trunc(${unit}, p.paid_at at time zone 'UTC')) as new_buyers,
            count(distinct p.user_id) filter (where date_trunc(${unit}, p.first_paid at time zone 'UTC') < date_trunc(${unit}, p.paid_at at time zone 'UTC')) as returning_buyers
          from paid p join charges c on c.user_id = p.user_id and c.paid_at = p.paid_at
          where ${where} group by 1 order by 1`,
    ),
  ]);
  return {
    group,
    revenue: revenue.map((r) => ({ period: String(r.period), product: String(r.product), currency: String(r.currency), gross: toInt(r.gross), refunded: toInt(r.refunded) })),
    buyers: buyers.map((r) => ({ period: String(r.period), new_buyers: toInt(r.new_buyers), returning_buyers: toInt(r.returning_buyers) })),
  };
}

export interface RefundRow {
  id: number;
  created_at: string;
  stripe_refund_id: string | null;
  charge_id: number;
  payment_intent_id: string | null;
  buyer_email: string;
  product: string;
  amount: number;
  currency: string;
  reason: string | null;
  status: string;
  requested_by: number | null;
}

/** Every refund created in a period, a batch at a time. */
export async function* refundRows(db: Db, f: { from?: string; to?: string }, batch = 1000): AsyncGenerator<RefundRow> {
  let after = 0;
  const parts: SQL[] = [sql`true`];
  if (f.from) parts.push(sql`r.created_at >= ${new Date(f.from).toISOString()}::timestamptz`);
  if (f.to) parts.push(sql`r.created_at < ${endOfDay(f.to).toISOString()}::timestamptz`);
  const where = sql.join(parts, sql` and `);
  for (;;) {
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`select r.id, r.created_at, r.stripe_refund_id, r.charge_id, c.stripe_charge_key as payment_intent_id, u.email as buyer_email, c.product,
            r.amount, r.currency, r.reason, r.status, r.requested_by
          from refunds r join charges c on c.id = r.charge_id join users u on u.id = c.user_id
          where ${where} and r.id > ${after} order by r.id limit ${batch}`,
    );
    for (const r of rows) {
      yield {
        ...(r as unknown as RefundRow),
        id: toInt(r.id),
        charge_id: toInt(r.charge_id),
        amount: toInt(r.amount),
        requested_by: r.requested_by === null ? null : toInt(r.requested_by),
        created_at: new Date(r.created_at as string).toISOString(),
      };
    }
    if (rows.length < batch) return;
    after = toInt(rows.at(-1)!.id);
  }
}

/** An audit log entry as stored: who did what to which subject, with the subject before and after. */
export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: timestamp,
  actor: z.string().meta({ description: '`user:<id>`, `stripe`, `reconcile` or `system`.' }),
  action: z.string(),
  subjectType: z.string(),
  subjectId: z.string(),
  before: z.unknown(),
  after: z.unknown(),
});


/** One charge with its buyer, refunds, disputes and audit trail: the console's charge page. */
export async function chargeDetail(db: Db, catalog: Catalog, id: number) {
  const [charge] = await db.select().from(charges).where(eq(charges.id, id));
  if (!charge) throw notFound('No such charge.');
  const [buyer] = await db.select({ id: users.id, username: users.username, email: users.email }).from(users).where(eq(users.id, charge.userId));
  const [refundRows, disputeRows, audit, subject] = await Promise.all([
    db.select().from(refunds).where(eq(refunds.chargeId, id)).orderBy(refunds.id),
    db.select().from(disputes).where(eq(disputes.chargeId, id)).orderBy(disputes.id),
    db.select().from(auditLog).where(and(eq(auditLog.subjectType, 'charge'), eq(auditLog.subjectId, String(id)))).orderBy(auditLog.id),
    describeSubject(db, catalog.find(charge.product)?.subject, subjectOf(charge)),
  ]);
  return { charge, buyer: buyer!, subject, refunds: refundRows, disputes: disputeRows, audit };
}

/** A page of the audit log, newest first, filtered by action and subject. */
export async function auditPage(db: Db, q: { page: number; action?: string; subject_type?: string; subject_id?: string }, pageSize = 100) {
  const where = and(
    q.action ? eq(auditLog.action, q.action) : undefined,
    q.subject_type ? eq(auditLog.subjectType, q.subject_type) : undefined,
    q.subject_id ? eq(auditLog.subjectId, q.subject_id) : undefined,
  );
  const [entries, [total]] = await Promise.all([
    db.select().from(auditLog).where(where).orderBy(desc(auditLog.id)).limit(pageSize).offset((q.page - 1) * pageSize),
    db.select({ n: count() }).from(auditLog).where(where),
  ]);
  return { entries, total: total?.n ?? 0 };
}
