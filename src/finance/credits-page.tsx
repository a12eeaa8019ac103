import { AdminNav, DataTable } from '../web/render.js';
import { formatMoney } from '../format.js';
import type { CreditsQuery, CreditsReport } from './credits.js';
import { PeriodFields } from './pages.js';

type Row = CreditsReport['accounts'][number];

/** The money columns every credits table shares, each cell marked with what it holds (data-credits). */
function flowColumns<T extends Omit<Row, 'account' | 'name' | 'credits'>>(currency: string) {
  const money = (heading: string, key: keyof T & string) => ({ heading, cell: (r: T) => formatMoney(r[key] as number, currency), attrs: () => ({ 'data-credits': key }) });
  return [
    money('Sold', 'sold'),
    money('Refunded', 'refunded'),
    money('Net sold', 'net_sold'),
    money('Spent (revenue)', 'spent'),
    money('Forfeited', 'forfeited'),
    money('Refund difference', 'refund_difference'),
    money('Liability', 'liability'),
  ];
}

/** Credits as finance reads them, for the console's period: per organization (members together), and per period. */
export function CreditsPage({ query, report }: { query: CreditsQuery; report: CreditsReport }) {
  const range = new URLSearchParams({ ...(query.from ? { from: query.from } : {}), ...(query.to ? { to: query.to } : {}) }).toString();
  return (
    <>
      <h1>Credits</h1>
      <AdminNav />
      <form method="get" action="/admin/finance/credits" class="filters">
        <PeriodFields from={query.from} to={query.to} />
        <label>
          Per{' '}
          <select name="group">
            {(['day', 'week', 'month'] as const).map((g) => (
              <option value={g} selected={query.group === g}>
                {g}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <p class="muted">
        Sold is the money paid for credits; spent is the revenue recognised as credits are used, at the price they were bought for (first in, first out; granted
        credits are worth nothing); the liability is the money of purchased credits not yet spent. Weeks paid with credits add no money to the ledger’s totals.
      </p>
      <h2>Per account</h2>
      <DataTable
        label="Credits per account"
        class="credits-accounts"
        cards
        rows={report.accounts}
        empty="No credits in this period."
        rowAttrs={(r) => ({ 'data-account': r.account })}
        columns={[{ heading: 'Account', cell: (r: Row) => r.name }, ...flowColumns<Row>(report.currency), { heading: 'Credits held', cell: (r: Row) => r.credits }]}
      />
      <p>
        Totals: sold <strong data-credits-total="net_sold">{formatMoney(report.totals.net_sold, report.currency)}</strong> net, spent{' '}
        <strong data-credits-total="spent">{formatMoney(report.totals.spent, report.currency)}</strong>, liability{' '}
        <strong data-credits-total="liability">{formatMoney(report.totals.liability, report.currency)}</strong> ({report.totals.credits} credits held).
      </p>
      <h2>Per {report.group}</h2>
      <DataTable
        label={`Credits per ${report.group}`}
        class="credits-periods"
        cards
        rows={report.periods}
        empty="No credits in this period."
        rowAttrs={(r) => ({ 'data-period': r.period })}
        columns={[{ heading: 'Period', cell: (r: CreditsReport['periods'][number]) => r.period }, ...flowColumns<CreditsReport['periods'][number]>(report.currency)]}
      />
      <p>
        Export: <a href={`/admin/finance/credit-ledger.csv${range ? `?${range}` : ''}`}>credit-ledger.csv</a> (every entry, with the balance after it) ·{' '}
        <a href={`/admin/finance${range ? `?${range}` : ''}`}>the ledger of charges</a>
      </p>
    </>
  );
}
