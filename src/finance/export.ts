import { SETTLED_STATUSES } from '../payments/state.js';
import { LEDGER_COLUMNS } from './credits.js';
import type { LedgerRow, RefundRow } from './ledger.js';

/** Minor units to a decimal string without floating point: 2500 → "25.00", -5 → "-0.05". */
export function decimal(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled. Text
 * that a spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) gets a leading ',
 * except a plain number (`-1.03`, a refund or a net below zero), which must stay a number.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text) && !/^-\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const CHARGE_COLUMNS = [
  'date',
  'charge_id',
  'stripe_payment_intent',
  'stripe_charge',
  'buyer_id',
  'buyer',
  'buyer_email',
  'product',
  'article_id',
  'article',
  'gross',
  'fee',
  'refunded',
  'net',
  'currency',
  'status',
] as const;

/**
 * The accountant's view of one charge: gross is the money taken (0 for a failed attempt, and for a
 * charge paid with credits: no money moved, its revenue comes from the credits' purchase).
 */
export function chargeRecord(r: LedgerRow): Record<(typeof CHARGE_COLUMNS)[number], string | number | null> {
  const money = r.paid_with === 'card';
  const gross = money && SETTLED_STATUSES.includes(r.status) ? r.amount : 0;
  const refunded = money ? r.amount_refunded : 0;
  const disputed = money && r.status === 'disputed' ? r.amount - r.amount_refunded : 0;
  const fee = r.stripe_fee ?? 0;
  return {
    date: r.paid_at ?? r.created_at,
    charge_id: r.id,
    stripe_payment_intent: r.payment_intent_id,
    stripe_charge: r.stripe_latest_charge,
    buyer_id: r.user_id,
    buyer: r.buyer,
    buyer_email: r.buyer_email,
    product: r.product,
    article_id: r.article_id,
    article: r.article_title,
    gross: decimal(gross),
    fee: decimal(fee),
    refunded: decimal(refunded),
    net: decimal(gross - refunded - disputed - fee),
    currency: r.currency.toUpperCase(),
    status: r.status,
  };
}

/** Lines joined ~500 at a time: fewer writes, still constant memory. */
async function* chunked(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let buffer = '';
  let n = 0;
  for await (const line of lines) {
    buffer += line;
    if (++n % 500 === 0) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer) yield buffer;
}

async function* mapLines<T>(rows: AsyncIterable<T>, line: (row: T) => string): AsyncGenerator<string> {
  for await (const row of rows) yield line(row);
}

export async function* csvLines(rows: AsyncIterable<LedgerRow>): AsyncGenerator<string> {
  yield `${CHARGE_COLUMNS.join(',')}\r\n`;
  yield* chunked(
    mapLines(rows, (row) => {
      const record = chargeRecord(row);
      return `${CHARGE_COLUMNS.map((c) => csvCell(record[c])).join(',')}\r\n`;
    }),
  );
}

export const jsonLines = (rows: AsyncIterable<LedgerRow>): AsyncGenerator<string> => chunked(mapLines(rows, (row) => `${JSON.stringify(chargeRecord(row))}\n`));

export const REFUND_COLUMNS = ['date', 'refund_id', 'stripe_refund', 'charge_id', 'stripe_payment_intent', 'buyer_email', 'product', 'amount', 'currency', 'reason', 'status', 'requested_by'] as const;

export async function* refundCsvLines(rows: AsyncIterable<RefundRow>): AsyncGenerator<string> {
  yield `${REFUND_COLUMNS.join(',')}\r\n`;
  for await (const r of rows) {
    const record = [r.created_at, r.id, r.stripe_refund_id, r.charge_id, r.payment_intent_id, r.buyer_email, r.product, decimal(r.amount), r.currency.toUpperCase(), r.reason, r.status, r.requested_by];
    yield `${record.map(csvCell).join(',')}\r\n`;
  }
}

/** The credits ledger as CSV (LEDGER_COLUMNS), cells made safe as for charges. */
export async function* creditLedgerCsvLines(rows: AsyncIterable<Array<string | number | null>>): AsyncGenerator<string> {
  yield `${LEDGER_COLUMNS.join(',')}\r\n`;
  yield* chunked(mapLines(rows, (row) => `${row.map(csvCell).join(',')}\r\n`));
}
