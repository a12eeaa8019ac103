import { formatMoney, formatUtc } from '../format.js';
import type { ApiError } from '../http/errors.js';
import type { Membership } from '../organizations/service.js';
import { ariaInvalid, DataTable, FieldError, type PageContext, ScrollX } from '../web/render.js';
import type { creditEntriesOf } from './ledger.js';
import { CREDIT_PRICES, MAX_CREDITS_PER_PURCHASE, type Quote } from './prices.js';
import type { CreditReason } from './schema.js';

export type LedgerEntry = Awaited<ReturnType<typeof creditEntriesOf>>[number];

/** Each reason as the ledger's reader says it. */
const reasonWords: Record<CreditReason, string> = {
  purchase: 'Bought',
  spend: 'Spent',
  refund: 'Refund',
  dispute: 'Dispute',
  grant: 'Granted by an admin',
  revoke: 'Revoked by an admin',
  expire: 'Expired',
};

/** A change of a balance with its sign: +10, −1 (a true minus sign). */
export const signed = (change: number) => (change > 0 ? `+${change}` : `−${-change}`);
const creditsWord = (n: number) => `${n} credit${n === 1 || n === -1 ? '' : 's'}`;

export interface CreditsPageProps {
  ctx: PageContext;
  /** The organization whose credits these are, with the viewer's role in it; none for the viewer's own. */
  organization?: Membership;
  balance: number;
  entries: LedgerEntry[];
  /** The charges of the ledger that the viewer paid, linked to their receipts (others are named by number). */
  ownCharges: Set<number>;
  /** The viewer's organizations: linked from their own page, and those they are an admin of offered in the buy form. */
  memberships: Membership[];
  /** Each product's name, by id (a week of which costs credits). */
  productNames: Map<string, string>;
  /** The buy form as typed, with its quantity's error or the quote for it. */
  buy: { quantity: string; organization: string; error?: ApiError; quote?: Quote };
  /** The checkout that sells credits: where "Continue to payment" goes, with the product's id. */
  checkout: { href: string; product: string };
}

export function CreditsPage(props: CreditsPageProps) {
  const { organization, balance, entries, memberships } = props;
  const adminOf = memberships.filter((m) => m.role === 'admin');
  // An organization's page offers the form to its admins; the member's own page, to everyone.
  const canBuy = organization ? organization.role === 'admin' : true;
  return (
    <>
      <h1>{organization ? `${organization.organization.name}: credits` : 'Your credits'}</h1>
      <p class="muted">
        Prepaid credits, cheaper in bulk, spent instead of a card at checkout.{' '}
        {organization ? (
          <a href={`/organizations/${organization.organization.slug}`}>Back to {organization.organization.name}</a>
        ) : (
          <a href="/settings/billing">Billing</a>
        )}
      </p>
      <ul class="muted" aria-label="What a week costs in credits">
        {Object.entries(CREDIT_PRICES.products).map(([product, credits]) => (
          <li>
            {props.productNames.get(product) ?? product}: {creditsWord(credits)}
          </li>
        ))}
      </ul>
      <div class="card">
        <h2>Balance</h2>
        <p>
          <strong data-balance={String(balance)}>{creditsWord(balance)}</strong>
          {organization && <span class="muted"> — its members spend them on job listings posted on its behalf.</span>}
        </p>
      </div>
      {!organization && memberships.length > 0 && (
        <div class="card">
          <h2>Your organizations' credits</h2>
          <ul>
            {memberships.map((m) => (
              <li>
                <a href={`/organizations/${m.organization.slug}/credits`}>{m.organization.name}</a> <span class="muted">({m.role})</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {canBuy ? (
        <BuyForm {...props} adminOf={adminOf} />
      ) : (
        <p class="muted">Only {organization!.organization.name}'s admins buy credits for it.</p>
      )}
      <h2>Ledger</h2>
      <p class="muted">Every change of the balance, oldest first: the balance is their sum.</p>
      <DataTable
        label="Credits ledger"
        cards
        rows={entries}
        empty="Nothing yet: credits bought or spent appear here."
        rowAttrs={(e) => ({ 'data-reason': e.reason, 'data-change': e.change })}
        columns={[
          { heading: 'At', cell: (e) => formatUtc(e.at) },
          { heading: 'Change', cell: (e) => signed(e.change) },
          { heading: 'Reason', cell: (e) => reasonWords[e.reason] },
          {
            heading: 'Charge',
            cell: (e) =>
              e.charge_id === undefined ? '' : props.ownCharges.has(e.charge_id) ? <a href={`/charges/${e.charge_id}`}>#{e.charge_id}</a> : `#${e.charge_id}`,
          },
          { heading: 'Note', cell: (e) => e.note ?? '' },
          { heading: 'By', cell: (e) => e.by ?? '' },
        ]}
      />
    </>
  );
}

/**
 * Buying: the quantity (and, for an organization's admin, whose credits) sent by GET to this page,
 * which shows the tier quote; then "Continue to payment" opens the one checkout with them filled in.
 */
function BuyForm({ organization, buy, checkout, adminOf }: CreditsPageProps & { adminOf: Membership[] }) {
  const forWhom = organization ? organization.organization.slug : buy.organization;
  const tiers = CREDIT_PRICES.tiers;
  return (
    <div class="card">
      <h2>Buy credits</h2>
      <p class="muted">
        Priced by tier, as each credit's position falls (the more you buy, the less each further one costs):{' '}
        {tiers
          .map((t, i) => {
            const from = i === 0 ? 1 : tiers[i - 1]!.upTo! + 1;
            return `${t.upTo === null ? `${from} and more` : `${from}–${t.upTo}`}: ${formatMoney(t.unitAmount, CREDIT_PRICES.currency)} each`;
          })
          .join('; ')}
        .
      </p>
      <form method="get" action="/credits" class="stack" id="buy-credits">
        <label for="quantity">
          Credits (1 to {MAX_CREDITS_PER_PURCHASE})
          <input
            type="text"
            inputMode="numeric"
            id="quantity"
            name="quantity"
            value={buy.quantity}
            required
            maxLength={6}
            aria-invalid={ariaInvalid(buy.error, 'quantity')}
            aria-describedby="quantity-error"
          />
          <FieldError error={buy.error} field="quantity" id="quantity-error" />
        </label>
        {(adminOf.length > 0 || organization) && (
          <label for="organization">
            For
            <select id="organization" name="organization">
              {!organization && <option value="">Yourself</option>}
              {adminOf.map((m) => (
                <option value={m.organization.slug} selected={m.organization.slug === forWhom}>
                  {m.organization.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="submit" class="secondary">
          See the price
        </button>
      </form>
      {buy.quote && <QuoteLines quote={buy.quote} />}
      {buy.quote && (
        <form method="get" action={checkout.href} class="stack" id="to-checkout">
          <input type="hidden" name="product" value={checkout.product} />
          <input type="hidden" name="quantity" value={String(buy.quote.quantity)} />
          {forWhom && <input type="hidden" name="organization" value={forWhom} />}
          <button type="submit">Continue to payment: {formatMoney(buy.quote.amount, buy.quote.currency)}</button>
        </form>
      )}
    </div>
  );
}

/** A quote, line by tier, and its total. */
function QuoteLines({ quote }: { quote: Quote }) {
  const money = (amount: number) => formatMoney(amount, quote.currency);
  return (
    <ScrollX label="Price">
      <table class="quote" data-quote={String(quote.amount)}>
        <tbody>
          {quote.lines.map((line) => (
            <tr data-quote-line>
              <td>
                {line.quantity} × {money(line.unit_amount)}
              </td>
              <td>{money(line.amount)}</td>
            </tr>
          ))}
          <tr>
            <th>
              Total for {creditsWord(quote.quantity)}
            </th>
            <th data-total>{money(quote.amount)}</th>
          </tr>
        </tbody>
      </table>
    </ScrollX>
  );
}

/** The billing page's line about credits: the balance, and where its ledger and the buy form are. */
export function CreditsOnBillingPage({ balance }: { balance: number }) {
  return (
    <div class="card" id="credits">
      <h2>Credits</h2>
      <p>
        Your balance: <strong>{creditsWord(balance)}</strong>. <a href="/credits">Buy credits and see their ledger</a>
      </p>
    </div>
  );
}
