import type { auditLog } from '../db/schema.js';
import { chargeStatuses } from '../db/schema.js';
import { AdminNav, DataTable, type PageContext, StripeObject } from '../web/render.js';
import { decimal } from './export.js';
import { LEDGER_PAGE_SIZE, type LedgerFilters, type LedgerRow, type Totals } from './ledger.js';
import { formatUtc, formatMoney } from '../format.js';

function query(f: Partial<LedgerFilters>, override: Partial<LedgerFilters>): string {
  const merged = { ...f, ...override };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(merged)) if (v !== undefined && v !== '') params.set(k, String(v));
  return params.toString();
}

/** The console's period filter: from and to, each a whole day (to inclusive). */
export function PeriodFields({ from, to }: { from?: string; to?: string }) {
  return (
    <>
      <label>
        From <input type="date" name="from" value={from ?? ''} />
      </label>
      <label>
        To <input type="date" name="to" value={to ?? ''} />
      </label>
    </>
  );
}

export function TotalsTable({ totals }: { totals: Totals[] }) {
  return (
    <DataTable
      label="Totals"
      class="totals"
      rows={totals}
      empty="No charges match."
      rowAttrs={(t) => ({ 'data-currency': t.currency })}
      columns={[
        { heading: 'Currency', cell: (t) => t.currency.toUpperCase() },
        { heading: 'Charges', cell: (t) => t.count },
        { heading: 'Gross', cell: (t) => decimal(t.gross), attrs: () => ({ 'data-total': 'gross' }) },
        { heading: 'Refunded', cell: (t) => decimal(t.refunded), attrs: () => ({ 'data-total': 'refunded' }) },
        { heading: 'Disputed', cell: (t) => decimal(t.disputed), attrs: () => ({ 'data-total': 'disputed' }) },
        { heading: 'Stripe fees', cell: (t) => decimal(t.fees), attrs: () => ({ 'data-total': 'fees' }) },
        { heading: 'Net', cell: (t) => <strong>{decimal(t.net)}</strong>, attrs: () => ({ 'data-total': 'net' }) },
      ]}
    />
  );
}

export function LedgerPage({
  filters,
  rows,
  total,
  totals,
  charts,
  stripeUrl,
}: {
  ctx: PageContext;
  filters: LedgerFilters;
  rows: LedgerRow[];
  total: number;
  totals: Totals[];
  charts: string[];
  stripeUrl: (id: string) => string;
}) {
  const pages = Math.max(1, Math.ceil(total / LEDGER_PAGE_SIZE));
  const sortLink = (field: LedgerFilters['sort'], label: string) => (
    <a href={`/admin/finance?${query(filters, { sort: field, dir: filters.sort === field && filters.dir === 'desc' ? 'asc' : 'desc', page: 1 })}`}>
      {label}
      {filters.sort === field ? (filters.dir === 'desc' ? ' ↓' : ' ↑') : ''}
    </a>
  );
  return (
    <>
      <h1>Finance</h1>
      <AdminNav />
      <form method="get" action="/admin/finance" class="filters">
        <PeriodFields from={filters.from} to={filters.to} />
        <label>
          Status{' '}
          <select name="status">
            <option value="">any</option>
            {chargeStatuses.map((s) => (
              <option value={s} selected={filters.status === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Product <input type="text" name="product" value={filters.product ?? ''} size={12} />
        </label>
        <label>
          Buyer id <input type="text" name="user_id" value={filters.user_id ? String(filters.user_id) : ''} size={6} />
        </label>
        <label>
          Article id <input type="text" name="article_id" value={filters.article_id ? String(filters.article_id) : ''} size={6} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <h2>Totals</h2>
      <TotalsTable totals={totals} />
      <p>
        Export: <a href={`/admin/finance/charges.csv?${query(filters, { page: undefined, sort: undefined, dir: undefined })}`}>charges.csv</a> ·{' '}
        <a href={`/admin/finance/charges.jsonl?${query(filters, { page: undefined, sort: undefined, dir: undefined })}`}>charges.jsonl</a> ·{' '}
        <a href={`/admin/finance/refunds.csv?${query({ from: filters.from, to: filters.to }, {})}`}>refunds.csv</a> · Prepaid credits:{' '}
        <a href={`/admin/finance/credits?${query({ from: filters.from, to: filters.to }, {})}`}>sold, spent and owed</a>
      </p>
      <section class="charts">
        {charts.map((svg) => (
          // Server-rendered by Vega from our own aggregates.
          <figure class="chart" dangerouslySetInnerHTML={{ __html: svg }} />
        ))}
      </section>
      <h2>Charges ({total})</h2>
      <DataTable
        label="Ledger"
        class="ledger"
        rows={rows}
        rowAttrs={(r) => ({ 'data-charge': String(r.id) })}
        columns={[
          { heading: sortLink('id', '#'), cell: (r) => <a href={`/admin/finance/charges/${r.id}`}>#{r.id}</a> },
          { heading: sortLink('created_at', 'Date'), cell: (r) => <time dateTime={new Date(r.created_at).toISOString()}>{formatUtc(new Date(r.created_at))}</time> },
          { heading: 'Buyer', cell: (r) => <a href={`/admin/finance?user_id=${r.user_id}`}>{r.buyer}</a> },
          {
            heading: 'Product',
            cell: (r) => (
              <>
                {r.product}
                {r.article_id && (
                  <>
                    {' · '}
                    <a href={`/articles/${r.article_id}`}>{r.article_title}</a>
                  </>
                )}
              </>
            ),
          },
          { heading: sortLink('amount', 'Amount'), cell: (r) => formatMoney(r.amount, r.currency) },
          { heading: 'Refunded', cell: (r) => (r.amount_refunded ? formatMoney(r.amount_refunded, r.currency) : '') },
          { heading: 'Fee', cell: (r) => (r.stripe_fee !== null ? formatMoney(r.stripe_fee, r.currency) : '') },
          { heading: sortLink('status', 'Status'), cell: (r) => r.status },
          { heading: 'Stripe', cell: (r) => (r.paid_with === 'credits' ? 'Paid with credits: no money moved' : <StripeObject id={r.payment_intent_id} url={stripeUrl} />) },
        ]}
      />
      <nav class="pager">
        {filters.page > 1 && <a href={`/admin/finance?${query(filters, { page: filters.page - 1 })}`}>← Previous</a>}
        <span>
          Page {filters.page} of {pages}
        </span>
        {filters.page < pages && <a href={`/admin/finance?${query(filters, { page: filters.page + 1 })}`}>Next →</a>}
      </nav>
    </>
  );
}

export type AuditEntry = typeof auditLog.$inferSelect;

export function AuditTable({ entries }: { entries: AuditEntry[] }) {
  return (
    <DataTable
      label="Audit log"
      class="audit"
      cards
      rows={entries}
      columns={[
        { heading: 'When', cell: (e) => formatUtc(e.at) },
        { heading: 'Actor', cell: (e) => e.actor },
        { heading: 'Action', cell: (e) => e.action },
        { heading: 'Subject', cell: (e) => (e.subjectType === 'charge' ? <a href={`/admin/finance/charges/${e.subjectId}`}>charge #{e.subjectId}</a> : `${e.subjectType} ${e.subjectId}`) },
        { heading: 'Before', cell: (e) => <code>{e.before ? JSON.stringify(e.before) : ''}</code> },
        { heading: 'After', cell: (e) => <code>{e.after ? JSON.stringify(e.after) : ''}</code> },
      ]}
    />
  );
}

export function AuditPage({ entries, total, page, pageSize }: { entries: Array<typeof auditLog.$inferSelect>; total: number; page: number; pageSize: number }) {
  return (
    <>
      <h1>Audit log</h1>
      <AdminNav />
      <p class="muted">
        Every money- or permission-touching action, append-only. {total} entries; page {page}.
      </p>
      <AuditTable entries={entries} />
      <nav class="pager">
        {page > 1 && <a href={`/admin/audit?page=${page - 1}`}>← Newer</a>}
        {page * pageSize < total && <a href={`/admin/audit?page=${page + 1}`}>Older →</a>}
      </nav>
    </>
  );
}
