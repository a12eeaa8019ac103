import type { auditLog } from '../db/schema.js';
import { chargeStatuses } from '../db/schema.js';
import { AdminNav, type PageContext, ScrollX, StripeObject } from '../web/render.js';
import { decimal } from './export.js';
import { LEDGER_PAGE_SIZE, type LedgerFilters, type LedgerRow, type Totals } from './ledger.js';
import { formatUtc, formatMoney } from '../format.js';

function query(f: Partial<LedgerFilters>, override: Partial<LedgerFilters>): string {
  const merged = { ...f, ...override };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(merged)) if (v !== undefined && v !== '') params.set(k, String(v));
  return params.toString();
}

export function TotalsTable({ totals }: { totals: Totals[] }) {
  return (
    <ScrollX label="Totals">
      <table class="totals">
        <thead>
          <tr>
            <th>Currency</th>
            <th>Charges</th>
            <th>Gross</th>
            <th>Refunded</th>
            <th>Disputed</th>
            <th>Stripe fees</th>
            <th>Net</th>
          </tr>
        </thead>
        <tbody>
          {totals.length === 0 && (
            <tr>
              <td colSpan={7} class="muted">
                No charges match.
              </td>
            </tr>
          )}
          {totals.map((t) => (
            <tr data-currency={t.currency}>
              <td>{t.currency.toUpperCase()}</td>
              <td>{t.count}</td>
              <td data-total="gross">{decimal(t.gross)}</td>
              <td data-total="refunded">{decimal(t.refunded)}</td>
              <td data-total="disputed">{decimal(t.disputed)}</td>
              <td data-total="fees">{decimal(t.fees)}</td>
              <td data-total="net">
                <strong>{decimal(t.net)}</strong>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollX>
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
        <label>
          From <input type="date" name="from" value={filters.from ?? ''} />
        </label>
        <label>
          To <input type="date" name="to" value={filters.to ?? ''} />
        </label>
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
        <a href={`/admin/finance/refunds.csv?${query({ from: filters.from, to: filters.to }, {})}`}>refunds.csv</a>
      </p>
      <section class="charts">
        {charts.map((svg) => (
          // Server-rendered by Vega from our own aggregates.
          <figure class="chart" dangerouslySetInnerHTML={{ __html: svg }} />
        ))}
      </section>
      <h2>Charges ({total})</h2>
      <ScrollX label="Ledger">
        <table class="ledger">
          <thead>
            <tr>
              <th>{sortLink('id', '#')}</th>
              <th>{sortLink('created_at', 'Date')}</th>
              <th>Buyer</th>
              <th>Product</th>
              <th>{sortLink('amount', 'Amount')}</th>
              <th>Refunded</th>
              <th>Fee</th>
              <th>{sortLink('status', 'Status')}</th>
              <th>Stripe</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr data-charge={String(r.id)}>
                <td>
                  <a href={`/admin/finance/charges/${r.id}`}>#{r.id}</a>
                </td>
                <td>
                  <time dateTime={new Date(r.created_at).toISOString()}>{formatUtc(new Date(r.created_at))}</time>
                </td>
                <td>
                  <a href={`/admin/finance?user_id=${r.user_id}`}>{r.buyer}</a>
                </td>
                <td>
                  {r.product}
                  {r.article_id && (
                    <>
                      {' · '}
                      <a href={`/articles/${r.article_id}`}>{r.article_title}</a>
                    </>
                  )}
                </td>
                <td>{formatMoney(r.amount, r.currency)}</td>
                <td>{r.amount_refunded ? formatMoney(r.amount_refunded, r.currency) : ''}</td>
                <td>{r.stripe_fee !== null ? formatMoney(r.stripe_fee, r.currency) : ''}</td>
                <td>{r.status}</td>
                <td>
                  <StripeObject id={r.payment_intent_id} url={stripeUrl} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollX>
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
    <ScrollX label="Audit log">
      <table class="audit cards-when-narrow">
        <thead>
          <tr>
            <th>When</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Subject</th>
            <th>Before</th>
            <th>After</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr>
              <td data-label="When">{formatUtc(e.at)}</td>
              <td data-label="Actor">{e.actor}</td>
              <td data-label="Action">{e.action}</td>
              <td data-label="Subject">
                {e.subjectType === 'charge' ? <a href={`/admin/finance/charges/${e.subjectId}`}>charge #{e.subjectId}</a> : `${e.subjectType} ${e.subjectId}`}
              </td>
              <td data-label="Before">
                <code>{e.before ? JSON.stringify(e.before) : ''}</code>
              </td>
              <td data-label="After">
                <code>{e.after ? JSON.stringify(e.after) : ''}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollX>
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
