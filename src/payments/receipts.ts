import { and, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type Charge, charges, users } from '../db/schema.js';
import type { Mailer, PlainMessage } from '../mail/mailer.js';
import type { Catalog } from './catalog.js';
import { formatUtc, formatMoney } from '../format.js';

/**
 * Who a receipt is made out to, when not the buyer alone (a company: its legal name, address and tax
 * id), and how it was paid when not by card. Found by a floor above the core (ReceiptParties).
 */
export interface ReceiptParty {
  billedTo?: { name: string; lines: string[] };
  paidWith?: string;
}
/** Each charge's party, by id (none: the buyer paid by card); one read for a batch. */
export type ReceiptParties = (db: Db, charges: Charge[]) => Promise<Map<number, ReceiptParty>>;
export const noParties: ReceiptParties = async () => new Map();
/** Several sources of parties as one: each charge's party has what every source says of it. */
export const allParties =
  (...sources: ReceiptParties[]): ReceiptParties =>
  async (db, charges) => {
    const found = await Promise.all(sources.map((source) => source(db, charges)));
    const merged = new Map<number, ReceiptParty>();
    for (const parties of found) for (const [id, party] of parties) merged.set(id, { ...merged.get(id), ...party });
    return merged;
  };

/** The receipt's extra rows for its party: billed to (one row per line of the details), paid with. */
export function partyRows(party: ReceiptParty | undefined): Array<[string, string]> {
  if (!party) return [];
  const billed = party.billedTo ? [party.billedTo.name, ...party.billedTo.lines].map((line, i): [string, string] => [i === 0 ? 'Billed to' : '', line]) : [];
  return [...billed, ...(party.paidWith ? ([['Paid with', party.paidWith]] as Array<[string, string]>) : [])];
}

/** The receipt as a PDF (pdfkit, with its built-in Helvetica: no font files needed; loaded on the first receipt, not at start-up). */
export async function receiptPdf(charge: Charge, productName: string, lines: string[], party?: ReceiptParty): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: `Receipt #${charge.id}`, Author: 'DevBoard' } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(22).text('DevBoard — Receipt', { underline: false });
    doc.moveDown();
    doc.fontSize(12);
    const rows: Array<[string, string]> = [
      ['Receipt', `#${charge.id}`],
      ['What', productName],
      ['Amount', formatMoney(charge.amount, charge.currency)],
      ...(charge.amountRefunded > 0 ? ([['Refunded', formatMoney(charge.amountRefunded, charge.currency)]] as Array<[string, string]>) : []),
      ['Status', charge.status],
      ['Date', formatUtc(charge.paidAt ?? charge.createdAt)],
      ...(charge.cardLast4 ? ([['Card', `${charge.cardBrand} ending ${charge.cardLast4}`]] as Array<[string, string]>) : []),
      ...partyRows(party),
      ['Stripe reference', charge.paymentIntentId ?? '—'],
    ];
    for (const [label, value] of rows) doc.font('Helvetica-Bold').text(label ? `${label}: ` : '', { continued: true }).font('Helvetica').text(value);
    doc.moveDown();
    for (const line of lines) doc.text(line);
    doc.end();
  });
}

/**
 * Claims up to 50 succeeded charges whose receipt is due, in one statement; SKIP LOCKED lets several
 * processes share the work. The due ids are an ARRAY(subquery), an init plan run once: as
 * `id in (subquery)` PostgreSQL may plan a nested loop that runs the locking subquery again for every
 * charge without a receipt, which on PGlite (no autovacuum) grew to 1.5 s per claim within seconds of
 * checkouts. The status is a literal so that the partial index charges_receipt_due_idx serves the
 * claim in any plan, a prepared statement's generic one included.
 */
export function claimDueReceipts(db: Db, now: Date) {
  const due = db
    .select({ id: charges.id })
    .from(charges)
    .where(and(sql`${charges.status} = 'succeeded'`, isNull(charges.receiptSentAt)))
    .limit(50)
    .for('update', { skipLocked: true });
  return db
    .update(charges)
    .set({ receiptSentAt: now })
    .where(and(sql`${charges.id} = any(array(${due}))`, isNull(charges.receiptSentAt)))
    .returning();
}

/**
 * E-mails receipts for succeeded charges, each at most once: a charge is claimed by setting
 * receipt_sent_at before the mail is handed over (a crash after the claim loses a receipt e-mail,
 * never sends two; the receipt page and PDF remain). A failure before the hand-over releases the claim.
 */
export class ReceiptMailer {
  private running: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly catalog: Catalog,
    private readonly mailer: Mailer,
    private readonly parties: ReceiptParties = noParties,
  ) {}

  /**
   * Sends every receipt that is due. A call during a run makes that run look once more when it is
   * done, so a charge that succeeds while receipts are going out is not left waiting.
   */
  sendDue(now: Date): Promise<void> {
    if (this.running) {
      this.again = now;
      return this.running;
    }
    this.running = (async () => {
      try {
        let at: Date | null = now;
        while (at) {
          this.again = null;
          await this.run(at);
          at = this.again;
        }
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private again: Date | null = null;
  private timer: NodeJS.Timeout | null = null;

  /** Sends due receipts shortly: payments that settle together share one run and one claim. */
  soon(now: () => Date, onError: (error: unknown) => void, delayMs = 100): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.sendDue(now()).catch(onError);
    }, delayMs);
  }

  /** Sends what is due now, including what `soon` was waiting for (the app does so before it closes). */
  async flush(now: Date): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.sendDue(now);
  }

  private async run(now: Date): Promise<void> {
    for (;;) {
      const claimed = await claimDueReceipts(this.db, now);
      if (claimed.length === 0) return;
      await this.mailer.deliverClaimed(
        claimed,
        async () => {
          const buyers = await this.db
            .select({ id: users.id, email: users.email })
            .from(users)
            .where(inArray(users.id, [...new Set(claimed.map((c) => c.userId))]));
          const emails = new Map(buyers.map((b) => [b.id, b.email]));
          const [lines, parties] = await Promise.all([this.receiptLines(claimed, now), this.parties(this.db, claimed)]);
          return (charge) => ({ message: this.compose(charge, emails.get(charge.userId)!, lines.get(charge.id) ?? [], parties.get(charge.id)), name: `receipt-${charge.id}` });
        },
        (unsent) =>
          this.db
            .update(charges)
            .set({ receiptSentAt: null })
            .where(inArray(charges.id, unsent.map((c) => c.id))),
      );
    }
  }

  /** Each product's lines for its charges in the batch, one read per product. */
  private async receiptLines(batch: Charge[], now: Date): Promise<Map<number, string[]>> {
    const lines = new Map<number, string[]>();
    for (const product of this.catalog.list()) {
      const mine = batch.filter((c) => c.product === product.id);
      if (mine.length === 0) continue;
      const each = await product.receiptLines(this.db, mine, now);
      for (const [i, charge] of mine.entries()) lines.set(charge.id, each[i] ?? []);
    }
    return lines;
  }

  private compose(charge: Charge, to: string, lines: string[], party?: ReceiptParty): PlainMessage {
    const name = this.catalog.find(charge.product)?.name ?? charge.product;
    // The PDF is linked, not attached: rendering one per payment would cost more CPU than the payment itself.
    const receiptUrl = `${this.mailer.settings.baseUrl ?? ''}/charges/${charge.id}`;
    return {
      from: this.mailer.settings.from ?? 'DevBoard <receipts@devboard.local>',
      to,
      subject: `Your receipt #${charge.id}: ${name}`,
      text: [
        party?.paidWith
          ? `Thank you: paid with ${party.paidWith} (worth ${formatMoney(charge.amount, charge.currency)}); no card was charged.`
          : `Thank you for your payment of ${formatMoney(charge.amount, charge.currency)}.`,
        `What: ${name}`,
        ...lines,
        ...partyRows(party).map(([label, value]) => (label ? `${label}: ${value}` : `  ${value}`)),
        `Reference: ${charge.paymentIntentId ?? `#${charge.id}`}`,
        `Receipt (printable, with a PDF download): ${receiptUrl}`,
      ].join('\n'),
    };
  }
}
