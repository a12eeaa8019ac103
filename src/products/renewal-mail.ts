import { and, getTableColumns, inArray, isNull, sql } from 'drizzle-orm';
import { type Renewal, type RenewalOutcome, renewalReminders, renewals } from '../db/renewal-schema.js';
import { formatMoney, formatUtc } from '../format.js';
import type { Mailer, Outgoing } from '../mail/mailer.js';
import { payAgainUrl } from '../payments/pages.js';
import { BATCH, claimable, keysIn, type RenewableProduct, type RenewalDeps, renewable, sameRenewal, type Subject, subjectsOf, timestamptz } from './renewal-claims.js';
import { reminderWindow } from './renewal-rule.js';
import { RENEWALS_PAGE } from './renewal-switch.js';

const FAILED_OUTCOMES: RenewalOutcome[] = ['authentication_required', 'declined', 'no_card', 'not_allowed'];

/** What a message is composed from: the subject, its product's declaration, the price and the link to pay again. */
interface Composed {
  subject: Subject;
  declared: RenewableProduct;
  price: string;
  link: string;
}

/** For a claimed batch: each row's subject, read once per product, then each row's message. */
function composeFor<T extends { product: string; subjectId: number }>(deps: RenewalDeps, mailer: Mailer, claimed: T[], message: (row: T, c: Composed) => Outgoing) {
  return async () => {
    const byKey = new Map<string, Composed>();
    for (const declared of deps.products.filter((p) => claimed.some((r) => r.product === p.product.id))) {
      const ids = claimed.filter((r) => r.product === declared.product.id).map((r) => r.subjectId);
      const product = deps.catalog.get(declared.product.id);
      const price = formatMoney(product.amount, product.currency);
      for (const subject of await subjectsOf(deps.db, declared, ids)) {
        const link = `${mailer.settings.baseUrl ?? ''}${payAgainUrl(product.id, subject.purchase_subject)}`;
        byKey.set(`${product.id}:${subject.subject_id}`, { subject, declared, price, link });
      }
    }
    return (row: T) => message(row, byKey.get(`${row.product}:${row.subjectId}`)!);
  };
}

const from = (mailer: Mailer) => mailer.settings.from ?? 'DevBoard <receipts@devboard.local>';

/** E-mails the reminders due, each claimed first by inserting its (product, subject, period end) key. */
export async function sendDueReminders(deps: RenewalDeps, now: Date): Promise<number> {
  const { db, mailer } = deps;
  if (!mailer) return 0;
  const window = reminderWindow(now);
  let sent = 0;
  for (const { product, renewal } of deps.products) {
    for (;;) {
      // A second process, or a second run, finds the key taken.
      const claimed = await db
        .insert(renewalReminders)
        .select(sql`select ${product.id}, s.subject_id, s.period_end, ${timestamptz(now)} from (${renewal.subjects}) s where ${renewable(product.id, window, renewalReminders)} limit ${BATCH}`)
        .onConflictDoNothing()
        .returning();
      if (claimed.length === 0) break;
      await mailer.deliverClaimed(
        claimed,
        composeFor(deps, mailer, claimed, (row, c) => reminderMessage(mailer, row.periodEnd, c)),
        (unsent) => db.delete(renewalReminders).where(keysIn(renewalReminders, unsent)),
      );
      sent += claimed.length;
    }
  }
  return sent;
}

function reminderMessage(mailer: Mailer, periodEnd: Date, { subject: s, declared, price, link }: Composed): Outgoing {
  const { key, words, offSwitch } = declared.renewal;
  const lines = s.auto_renew
    ? [
        `Your ${words.noun} "${s.title}" is paid until ${formatUtc(periodEnd)}.`,
        `Auto-renew is on: in its last hour we charge ${price} to the card you last paid for it with, for another ${words.period}.`,
        `To turn auto-renew off: ${mailer.settings.baseUrl ?? ''}${offSwitch ?? RENEWALS_PAGE}`,
        `To extend it by a ${words.period} now instead: ${link}`,
      ]
    : [
        `Your ${words.noun} "${s.title}" leaves ${words.place} at ${formatUtc(periodEnd)}.`,
        `Extend it by a ${words.period} (${price}) in one click: ${link}`,
        `Paying early loses no time: the new ${words.period} starts when this one ends.`,
      ];
  return {
    message: { from: from(mailer), to: s.email, subject: s.auto_renew ? `"${s.title}" renews soon` : `"${s.title}" leaves ${words.place} tomorrow`, text: lines.join('\n') },
    name: `${key}-reminder-${s.subject_id}-${periodEnd.getTime()}`,
  };
}

/** E-mails each buyer whose renewal did not go through, once, with the link to pay on-session. */
export async function sendRenewalNotices(deps: RenewalDeps, now: Date): Promise<number> {
  const { db, mailer } = deps;
  if (!mailer) return 0;
  let sent = 0;
  for (;;) {
    const due = claimable(db, 'due', and(inArray(renewals.outcome, FAILED_OUTCOMES), isNull(renewals.notifiedAt)));
    const claimed = await db
      .with(due)
      .update(renewals)
      .set({ notifiedAt: now })
      .from(due)
      .where(and(sameRenewal(due), isNull(renewals.notifiedAt)))
      .returning(getTableColumns(renewals));
    if (claimed.length === 0) return sent;
    await mailer.deliverClaimed(
      claimed,
      composeFor(deps, mailer, claimed, (renewal, c) => renewalFailedMessage(mailer, renewal, c)),
      (unsent) => db.update(renewals).set({ notifiedAt: null }).where(keysIn(renewals, unsent)),
    );
    sent += claimed.length;
  }
}

const failureReason = (noun: string): Record<string, string> => ({
  authentication_required: 'Your bank asks you to confirm this payment, which cannot be done while you are away.',
  declined: 'Your card was declined.',
  no_card: 'The card you last paid for it with is no longer saved.',
  not_allowed: `Your account can no longer pay for ${noun}s.`,
});

function renewalFailedMessage(mailer: Mailer, renewal: Renewal, { subject: s, declared, price, link }: Composed): Outgoing {
  const { key, words } = declared.renewal;
  return {
    message: {
      from: from(mailer),
      to: s.email,
      subject: `"${s.title}" was not renewed`,
      text: [
        `We could not renew your ${words.noun} "${s.title}" for another ${words.period}: no money was taken.`,
        `${failureReason(words.noun)[renewal.outcome]}${renewal.failureMessage && renewal.outcome !== 'no_card' ? ` (${renewal.failureMessage})` : ''}`,
        `It leaves ${words.place} at ${formatUtc(renewal.periodEnd)}, or has already left.`,
        renewal.outcome === 'authentication_required'
          ? `Pay for another ${words.period} (${price}) yourself, confirming with your bank: ${link}`
          : `Pay for another ${words.period} (${price}) with this or another card: ${link}`,
      ].join('\n'),
    },
    name: `${key}-renewal-failed-${s.subject_id}-${renewal.periodEnd.getTime()}`,
  };
}
