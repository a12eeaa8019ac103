/**
 * Credits as finance reads them: money received for credits (sold, net of refunds), revenue
 * recognised as credits are spent (first in, first out, at the price they were bought for:
 * src/credits/fifo.ts) and the liability (the money of purchased credits not yet spent), per period
 * and per account group: each organization on its own, members' own accounts together.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { CreditBook, type CreditMove, type CreditValues } from '../credits/fifo.js';
import { CREDIT_PRICES } from '../credits/prices.js';
import { type Db, queryRows } from '../db/client.js';
import { dateParam } from '../http/dates.js';
import { endOfDay, toInt } from './ledger.js';

export const creditsQuery = z.object({
  from: dateParam.optional(),
  to: dateParam.optional(),
  group: z.enum(['day', 'week', 'month']).default('month'),
});
export type CreditsQuery = z.infer<typeof creditsQuery>;

const cents = z.number().int().meta({ description: 'In minor units (cents).' });
const flows = {
  sold: cents.meta({ description: 'Money paid for credits (the purchases’ charges).' }),
  refunded: cents.meta({ description: 'Money refunded on credit purchases.' }),
  net_sold: cents.meta({ description: 'sold − refunded.' }),
  spent: cents.meta({ description: 'Recognised revenue: the money value of the credits spent, first in, first out, at the price they were bought for (granted credits are worth 0).' }),
  forfeited: cents.meta({ description: 'The money value of credits revoked or expired (recognised: paid for, never to be used).' }),
  refund_difference: cents.meta({ description: 'The money value of the credits refunds and disputes removed, minus the money refunded (less than a credit’s price per refund when its credits are unspent).' }),
};
export const creditsPeriodSchema = z.object({ period: z.string(), ...flows, liability: cents.meta({ description: 'At the end of the period: the money value of purchased credits not yet spent.' }) });
export const creditsAccountSchema = z.object({
  account: z.string().meta({ description: 'An organization’s slug, or `members` for members’ own credits together.' }),
  name: z.string(),
  ...flows,
  liability: cents.meta({ description: 'At the end of the range.' }),
  credits: z.number().int().meta({ description: 'Credits held at the end of the range.' }),
});
export const creditsReportSchema = z.object({
  currency: z.string(),
  group: z.enum(['day', 'week', 'month']),
  periods: z.array(creditsPeriodSchema),
  accounts: z.array(creditsAccountSchema),
  totals: creditsAccountSchema.omit({ account: true, name: true }),
});
export type CreditsReport = z.output<typeof creditsReportSchema>;
type Flows = { [K in keyof typeof flows]: number };

/** Members' own accounts, as one group: per member they would be a list as long as the buyers, and the ledger's CSV has each. */
export const MEMBERS_GROUP = 'members';

interface Event {
  at: Date;
  move: CreditMove;
}

/**
 * The moves of the accounts with ids in (after, last]: their ledger entries in ledger order (by id:
 * the order balances moved in, whatever the clocks of the instances that wrote them said), then the
 * money refunded on their purchases, in time order.
 */
const events = (after: number, last: number) => sql`
  select e.account_id as account, e.at, 0 as seq, e.id, e.reason, e.change, e.charge_id, p.amount as paid, e.id as ledger_order
    from credit_entries e left join charges p on p.id = e.charge_id and e.reason = 'purchase'
    where e.account_id > ${after} and e.account_id <= ${last}
  union all
  select g.account_id, r.created_at, 1, r.id, 'refunded', 0, r.charge_id, r.amount, null
    from refunds r join credit_entries g on g.charge_id = r.charge_id and g.reason = 'purchase'
    where r.status = 'succeeded' and g.account_id > ${after} and g.account_id <= ${last}
  order by 1, 3, 9, 2, 4`;

function moveOf(r: Record<string, unknown>): CreditMove {
  const change = toInt(r.change);
  const charge = r.charge_id === null ? undefined : toInt(r.charge_id);
  switch (r.reason) {
    case 'purchase':
      return { kind: 'purchase', credits: change, paid: toInt(r.paid), charge: charge! };
    case 'grant':
      return { kind: 'grant', credits: change };
    case 'spend':
      return { kind: 'spend', credits: -change, ...(charge ? { charge } : {}) };
    case 'revoke':
    case 'expire':
      return { kind: 'forfeit', credits: -change };
    case 'refunded':
      return { kind: 'refunded', money: toInt(r.paid), charge: charge! };
    default:
      // refund or dispute: credits removed, or given back (a week paid with credits refunded, a dispute won).
      return change < 0 ? { kind: 'remove', credits: -change, ...(charge ? { charge } : {}) } : { kind: 'back', credits: change, ...(charge ? { charge } : {}) };
  }
}

const zeroFlows = (): Flows => ({ sold: 0, refunded: 0, net_sold: 0, spent: 0, forfeited: 0, refund_difference: 0 });
function addFlows(into: Flows, d: CreditValues) {
  into.sold += d.paid;
  into.refunded += d.refunded;
  into.net_sold += d.paid - d.refunded;
  into.spent += d.spent;
  into.forfeited += d.forfeited;
  into.refund_difference += d.removed - d.refunded;
}

/** The UTC day, week (from Monday) or month an instant falls in, as YYYY-MM-DD. */
export function periodOf(at: Date, group: CreditsQuery['group']): string {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), group === 'month' ? 1 : at.getUTCDate()));
  if (group === 'week') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

/**
 * The credits report for a range: each account's ledger is valued from its first entry (FIFO needs
 * the older lots), and what happened inside the range is summed per period and per account group.
 * Accounts are read 500 at a time, so memory follows the busiest accounts, not the whole ledger.
 */
export async function creditsReport(db: Db, q: CreditsQuery): Promise<CreditsReport> {
  const from = q.from ? new Date(q.from).getTime() : -Infinity;
  const to = q.to ? endOfDay(q.to).getTime() : Infinity;
  const groups = new Map<string, { name: string; flows: Flows; liability: number; credits: number }>();
  const periods = new Map<string, Flows>();
  /** Per period, the liability each account had after its last move in it; carried forward below. */
  const closing = new Map<string, Map<number, number>>();
  const opening = new Map<number, number>();
  let after = 0;
  for (;;) {
    const accounts = await queryRows<Record<string, unknown>>(
      db,
      sql`select a.id, o.slug, o.name from credit_accounts a left join organizations o on o.id = a.organization_id where a.id > ${after} order by a.id limit 500`,
    );
    if (accounts.length === 0) break;
    const last = toInt(accounts.at(-1)!.id);
    const entries = new Map<number, Event[]>();
    const refunds = new Map<number, Event[]>();
    for (const r of await queryRows<Record<string, unknown>>(db, events(after, last))) {
      const into = toInt(r.seq) === 0 ? entries : refunds;
      const list = into.get(toInt(r.account)) ?? [];
      list.push({ at: new Date(r.at as string), move: moveOf(r) });
      into.set(toInt(r.account), list);
    }
    const byAccount = new Map([...entries].map(([id, list]) => [id, inTimeOf(list, refunds.get(id) ?? [])]));
    after = last;
    for (const account of accounts) {
      const id = toInt(account.id);
      const key = account.slug === null ? MEMBERS_GROUP : String(account.slug);
      const group = groups.get(key) ?? { name: account.slug === null ? 'Members’ own credits' : String(account.name), flows: zeroFlows(), liability: 0, credits: 0 };
      groups.set(key, group);
      const book = new CreditBook();
      const mine = byAccount.get(id) ?? [];
      for (const event of mine) {
        const t = event.at.getTime();
        if (t >= to) break;
        const diff = book.apply(event.move);
        if (t < from) continue;
        addFlows(group.flows, diff);
        const period = periodOf(event.at, q.group);
        const flowsOfPeriod = periods.get(period) ?? zeroFlows();
        addFlows(flowsOfPeriod, diff);
        periods.set(period, flowsOfPeriod);
        const ends = closing.get(period) ?? new Map<number, number>();
        ends.set(id, book.values.liability);
        closing.set(period, ends);
      }
      group.liability += book.values.liability;
      group.credits += book.values.credits;
      opening.set(id, liabilityBefore(mine, from));
    }
    if (accounts.length < 500) break;
  }
  const carried = new Map(opening);
  const periodRows = [...periods.keys()].sort().map((period) => {
    for (const [account, liability] of closing.get(period) ?? []) carried.set(account, liability);
    return { period, ...periods.get(period)!, liability: [...carried.values()].reduce((s, v) => s + v, 0) };
  });
  const accountRows = [...groups.entries()]
    .map(([account, g]) => ({ account, name: g.name, ...g.flows, liability: g.liability, credits: g.credits }))
    .sort((a, b) => (a.account === MEMBERS_GROUP ? 1 : b.account === MEMBERS_GROUP ? -1 : a.account.localeCompare(b.account)));
  const totals = accountRows.reduce(
    (sum, a) => {
      for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += a[k];
      return sum;
    },
    { ...zeroFlows(), liability: 0, credits: 0 },
  );
  return { currency: CREDIT_PRICES.currency, group: q.group, periods: periodRows, accounts: accountRows, totals };
}

/** Ledger entries (in ledger order) with the refunds' money events put in before the first entry made after them. */
function inTimeOf(entries: Event[], refunds: Event[]): Event[] {
  const merged: Event[] = [];
  let r = 0;
  for (const entry of entries) {
    while (r < refunds.length && refunds[r]!.at <= entry.at) merged.push(refunds[r++]!);
    merged.push(entry);
  }
  return [...merged, ...refunds.slice(r)];
}

/** The liability an account carried into the range. */
function liabilityBefore(events: Event[], from: number): number {
  const book = new CreditBook();
  for (const event of events) {
    if (event.at.getTime() >= from) break;
    book.apply(event.move);
  }
  return book.values.liability;
}

export const LEDGER_COLUMNS = ['at', 'account_type', 'account', 'change', 'reason', 'charge_id', 'note', 'by', 'balance_after'] as const;

/**
 * The credits ledger as CSV rows, account by account and oldest first within each, a batch at a
 * time (constant memory). `balance_after` is the account's balance once the entry was made: the
 * balances carried into the range are summed first, and each entry adds its change.
 */
export async function* ledgerCsvRows(db: Db, f: { from?: string; to?: string }, batch = 5000): AsyncGenerator<Array<string | number | null>> {
  const parts = [sql`true`];
  if (f.from) parts.push(sql`e.at >= ${new Date(f.from).toISOString()}::timestamptz`);
  if (f.to) parts.push(sql`e.at < ${endOfDay(f.to).toISOString()}::timestamptz`);
  const where = sql.join(parts, sql` and `);
  const opening = new Map<number, number>();
  if (f.from) {
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`select e.account_id, sum(e.change)::bigint as balance from credit_entries e where e.at < ${new Date(f.from).toISOString()}::timestamptz group by 1`,
    );
    for (const r of rows) opening.set(toInt(r.account_id), toInt(r.balance));
  }
  let cursor = { account: 0, id: 0 };
  let balance = { account: 0, value: 0 };
  for (;;) {
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`select e.id, e.account_id, e.at, e.change, e.reason, e.charge_id, e.note, o.slug, owner.username as owner, by.username as by
          from credit_entries e join credit_accounts a on a.id = e.account_id
          left join organizations o on o.id = a.organization_id left join users owner on owner.id = a.user_id left join users by on by.id = e.by_user_id
          where ${where} and (e.account_id, e.id) > (${cursor.account}, ${cursor.id}) order by e.account_id, e.id limit ${batch}`,
    );
    for (const r of rows) {
      const account = toInt(r.account_id);
      if (balance.account !== account) balance = { account, value: opening.get(account) ?? 0 };
      balance.value += toInt(r.change);
      yield [
        new Date(r.at as string).toISOString(),
        r.slug === null ? 'member' : 'organization',
        (r.slug ?? r.owner) as string,
        toInt(r.change),
        r.reason as string,
        r.charge_id === null ? null : toInt(r.charge_id),
        r.note as string | null,
        r.by as string | null,
        balance.value,
      ];
    }
    if (rows.length < batch) return;
    cursor = { account: toInt(rows.at(-1)!.account_id), id: toInt(rows.at(-1)!.id) };
  }
}
