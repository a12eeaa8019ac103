import { desc, eq, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.js';
import { z } from 'zod';
import { type Renewal, type RenewalOutcome, renewalOutcomes, renewals } from '../db/renewal-schema.js';
import { users } from '../db/schema.js';
import { formatUtc } from '../format.js';
import { timestamp } from '../http/api.js';
import { DataTable } from '../web/render.js';
import { autoRenewOn, type RenewableProduct, subjectsOf } from './renewal-claims.js';
import type { AdminView } from './slots.js';

interface RenewalRow {
  renewal: Renewal;
  username: string;
  productName: string;
  title: string | undefined;
  /** The subject id the renewal's charge is for, and where it is seen (none for a subject-less product). */
  purchaseSubject: number | null;
  href: string | undefined;
}

/** The latest renewals of every product, with what each renewed (one read per product present). */
async function recentRenewals(db: Db, products: readonly RenewableProduct[], limit = 100): Promise<RenewalRow[]> {
  const rows = await db
    .select({ renewal: renewals, username: users.username })
    .from(renewals)
    .innerJoin(users, eq(users.id, renewals.userId))
    .orderBy(desc(renewals.createdAt))
    .limit(limit);
  const subjects = new Map<string, { title: string; purchase_subject: number | null }>();
  for (const declared of products) {
    const ids = rows.filter((r) => r.renewal.product === declared.product.id).map((r) => r.renewal.subjectId);
    if (ids.length) for (const s of await subjectsOf(db, declared, ids)) subjects.set(`${declared.product.id}:${s.subject_id}`, s);
  }
  return rows.map(({ renewal, username }) => {
    const subject = subjects.get(`${renewal.product}:${renewal.subjectId}`);
    const product = products.find((p) => p.product.id === renewal.product)?.product;
    const productName = product?.name ?? renewal.product;
    const kind = product?.subject;
    const purchaseSubject = subject?.purchase_subject ?? null;
    return { renewal, username, productName, title: subject?.title, purchaseSubject, href: kind && purchaseSubject !== null ? kind.href(purchaseSubject) : undefined };
  });
}

/** How many subjects, of every product, have auto-renew on (and not stopped by their buyer). */
async function autoRenewCount(db: Db, products: readonly RenewableProduct[]): Promise<number> {
  let n = 0;
  for (const { product, renewal } of products) {
    const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from (${renewal.subjects}) s where ${autoRenewOn(product.id)}`);
    n += row?.n ?? 0;
  }
  return n;
}

const renewalOutcomeWords: Record<RenewalOutcome, string> = {
  pending: 'In progress',
  renewed: 'Renewed',
  authentication_required: 'Needs authentication: lapsed',
  declined: 'Declined: lapsed',
  no_card: 'No saved card: lapsed',
  not_allowed: 'Not allowed: lapsed',
  stopped: 'Stopped by the buyer: lapses',
};

/** Auto-renewals, newest first: one row per product, subject and period, with what happened. */
function RenewalsPage({ rows, autoRenewOn }: { rows: RenewalRow[]; autoRenewOn: number }) {
  return (
    <>
      <h1>Renewals</h1>
      <p class="muted">
        {autoRenewOn} purchase{autoRenewOn === 1 ? ' has' : 's have'} auto-renew on. Each is charged off-session once per period, in its last hour; the buyer is e-mailed when it does not go through.
      </p>
      {rows.length === 0 ? (
        <p class="muted">No renewals yet.</p>
      ) : (
        <DataTable
          label="Renewals"
          rows={rows}
          rowAttrs={({ renewal: r }) => ({ 'data-renewal': `${r.subjectId}`, 'data-product': r.product, 'data-outcome': r.outcome })}
          columns={[
            { heading: 'Period ending', cell: ({ renewal: r }) => formatUtc(r.periodEnd) },
            { heading: 'Product', cell: ({ productName }) => productName },
            { heading: 'What', cell: ({ renewal: r, title, href }) => (href ? <a href={href}>{title}</a> : (title ?? `#${r.subjectId}`)) },
            { heading: 'Buyer', cell: ({ username }) => username },
            {
              heading: 'Outcome',
              cell: ({ renewal: r }) => (
                <>
                  {renewalOutcomeWords[r.outcome]}
                  {r.failureMessage && <span class="muted"> ({r.failureMessage})</span>}
                </>
              ),
            },
            { heading: 'Charge', cell: ({ renewal: r }) => (r.chargeId ? <a href={`/admin/finance/charges/${r.chargeId}`}>#{r.chargeId}</a> : '—') },
            { heading: 'Buyer e-mailed', cell: ({ renewal: r }) => (r.notifiedAt ? formatUtc(r.notifiedAt) : '—') },
          ]}
        />
      )}
    </>
  );
}

/** The admin's view of every product's auto-renewals: /admin/renewals and /api/v1/admin/renewals. */
export const renewalsView = (products: readonly RenewableProduct[]): AdminView => ({
  name: 'renewals',
  title: 'Renewals',
  async page(db: Db) {
    const [rows, on] = await Promise.all([recentRenewals(db, products), autoRenewCount(db, products)]);
    return <RenewalsPage rows={rows} autoRenewOn={on} />;
  },
  answer: z.object({
    renewals: z.array(
      z.object({
        product: z.string(),
        product_name: z.string(),
        subject_id: z.number().int(),
        article_id: z.number().int().nullable(),
        title: z.string().optional(),
        buyer: z.string(),
        period_end: timestamp,
        poster: z.string().meta({ description: 'The same as `buyer`.', deprecated: true }),
        paid_until: timestamp.meta({ description: 'The same as `period_end`.', deprecated: true }),
        outcome: z.enum(renewalOutcomes),
        charge_id: z.number().int().nullable(),
        failure_message: z.string().nullable(),
        notified_at: timestamp.nullable(),
        created_at: timestamp,
        finished_at: timestamp.nullable(),
      }),
    ),
    auto_renew_on: z.number().int().meta({ description: 'Subjects with auto-renewal on, across products.' }),
  }),
  async json(db: Db) {
    return {
      renewals: (await recentRenewals(db, products)).map(({ renewal: r, username, productName, title, purchaseSubject }) => ({
        product: r.product,
        product_name: productName,
        subject_id: r.subjectId,
        // The purchase's subject id, as v1 has always called it (null for a subject-less product).
        article_id: purchaseSubject,
        title,
        buyer: username,
        period_end: r.periodEnd,
        // v1 clients read these names before renewals covered every product: kept, as v1 only adds.
        poster: username,
        paid_until: r.periodEnd,
        outcome: r.outcome,
        charge_id: r.chargeId,
        failure_message: r.failureMessage,
        notified_at: r.notifiedAt,
        created_at: r.createdAt,
        finished_at: r.finishedAt,
      })),
      auto_renew_on: await autoRenewCount(db, products),
    };
  },
});
