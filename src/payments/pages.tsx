import type { JSX } from 'preact';
import type { Charge, ChargeStatus } from '../db/schema.js';
import { CsrfField, DataTable, Flash, type PageContext, ScrollX } from '../web/render.js';
import type { SavedCard } from './cards.js';
import type { WayChoice } from './ways-to-pay/way.js';
import { OtherWays } from './way-choices.js';
import type { FieldOption, Product } from './catalog.js';
import { partyRows, type ReceiptParty } from './receipts.js';
import { SETTLED_STATUSES } from './state.js';
import { SUBJECT_FIELD, subjectOf } from './subject.js';
import { formatUtc, formatMoney } from '../format.js';

export interface CheckoutFormProps {
  ctx: PageContext;
  product: Product;
  subjectId?: number;
  subjectTitle?: string;
  cards: SavedCard[];
  /** A fresh key per rendered form: every repeat of this attempt is the same charge. */
  idempotencyKey: string;
  publishableKey: string;
  submitLabel?: string;
  /** CHECKOUT_MODE=hosted: a second button sends the same purchase to Stripe's checkout page. */
  hostedCheckout?: boolean;
  error?: string;
  /** The server's error for each field, shown beside it (the script fills the same places). */
  fieldErrors?: Record<string, string>;
  values?: Record<string, string>;
  /** Each select field's options now (catalog.ts's fieldChoices). */
  choices?: Record<string, FieldOption[]>;
  /** What the purchase costs with the fields given (a quantity), when not the catalog's price. */
  amount?: number;
  /** What the other ways offer besides a card (Checkout.choices): a button each. */
  otherWays?: WayChoice[];
}


/** The generic checkout form for any product; also embedded in product pages (an editor's pay box). */
export function CheckoutForm(props: CheckoutFormProps) {
  const { ctx, product, cards } = props;
  const amount = props.amount ?? product.amount;
  const price = formatMoney(amount, product.currency);
  return (
    <form
      id="checkout"
      class="stack checkout card"
      method="post"
      action="/charges"
      data-publishable-key={props.publishableKey}
      data-product={product.id}
      data-amount={String(amount)}
      data-currency={product.currency}
    >
      <CsrfField ctx={ctx} />
      <input type="hidden" name="idempotency_key" value={props.idempotencyKey} />
      <input type="hidden" name="product" value={product.id} />
      {props.subjectId !== undefined && <input type="hidden" name={SUBJECT_FIELD} value={String(props.subjectId)} />}
      <h2>{product.name}</h2>
      {props.subjectTitle && <p>For: <strong>{props.subjectTitle}</strong></p>}
      <p class="muted">{product.description}</p>
      <p>
        Price: <strong data-price>{price}</strong>
      </p>
      {product.formFields.map((f) => {
        const common = {
          id: `field-${f.name}`,
          name: f.name,
          'data-product-field': true,
          required: f.required,
          'aria-invalid': props.fieldErrors?.[f.name] ? ('true' as const) : undefined,
          'aria-describedby': `error-${f.name}`,
        };
        const typed = props.values?.[f.name] ?? '';
        if (f.inputMode === 'checkbox') {
          return (
            <div>
              <label class="check" for={`field-${f.name}`}>
                <input type="checkbox" checked={typed === 'on'} data-saves-card={f.savesCard || undefined} {...common} /> {f.label}
              </label>
              {f.hint && <p class="muted">{f.hint}</p>}
              <span class="field-error" id={`error-${f.name}`} role="alert">
                {props.fieldErrors?.[f.name] ?? ''}
              </span>
            </div>
          );
        }
        return (
          <label for={`field-${f.name}`}>
            {f.label}
            {f.inputMode === 'select' ? (
              <select {...common}>
                <option value="">Choose…</option>
                {(props.choices?.[f.name] ?? []).map((o) => (
                  <option value={o.value} selected={o.value === typed}>
                    {o.label}
                  </option>
                ))}
              </select>
            ) : (
              <input type="text" inputMode={f.inputMode} value={typed} {...common} />
            )}
            <span class="field-error" id={`error-${f.name}`} role="alert">
              {props.fieldErrors?.[f.name] ?? ''}
            </span>
          </label>
        );
      })}
      <fieldset class="cards">
        <legend>Pay with</legend>
        {cards.map((card, i) => (
          <label>
            <span>
              <input type="radio" name="payment_method" value={card.id} checked={i === 0} /> {card.brand} ending {card.last4} (expires{' '}
              {String(card.exp_month).padStart(2, '0')}/{card.exp_year})
            </span>
          </label>
        ))}
        <label>
          <span>
            <input type="radio" name="payment_method" value="new" checked={cards.length === 0} /> A new card
          </span>
        </label>
        {/* Shown only while "A new card" is chosen (checkout.ts), so a card typed here is the card charged. */}
        <div id="new-card">
          <div id="payment-element" class="card-element" />
          <label>
            <span>
              <input type="checkbox" name="save_card" /> Save this card for next time
            </span>
          </label>
        </div>
      </fieldset>
      <p id="checkout-error" class="flash-error" role="alert">
        {props.error ?? ''}
      </p>
      <button type="submit" id="pay">
        {props.submitLabel ?? `Pay ${price}`}
      </button>
      <OtherWays choices={props.otherWays ?? []} />
      {props.hostedCheckout && (
        // The same fields, key and CSRF token, posted to our session route (which sends the buyer to Stripe).
        <button type="submit" id="pay-hosted" class="secondary" formaction="/checkout_sessions" data-hosted>
          Pay on Stripe's checkout page
        </button>
      )}
      <noscript>
        <p class="muted">Paying with a new card needs JavaScript; a saved card works without it.</p>
      </noscript>
    </form>
  );
}

/** `/charges/new` without a product: what can be bought, each with its price and where to start. */
export function CatalogPage({ products }: { products: Product[] }) {
  return (
    <>
      <h1>Buy</h1>
      {products.map((product) => (
        <div class="card" data-product={product.id}>
          <h2>{product.name}</h2>
          <p>{product.description}</p>
          <p>
            Price: <strong>{formatMoney(product.amount, product.currency)}</strong>
          </p>
          {product.subject ? (
            <p class="muted">
              Bought for one of your {product.subject.name}s: choose it on <a href="/dashboard">your dashboard</a>.
            </p>
          ) : (
            <p>
              <a href={`/charges/new?product=${encodeURIComponent(product.id)}`}>Buy {product.name}</a>
            </p>
          )}
        </div>
      ))}
    </>
  );
}

export function CheckoutPage(props: CheckoutFormProps) {
  return (
    <>
      <h1>Checkout</h1>
      <CheckoutForm {...props} />
    </>
  );
}

/** Each status in words, for buyers: what happened and, where it matters, what to do next. */
export const statusWords: Record<ChargeStatus, string> = {
  pending: 'Pending',
  requires_action: 'Waiting for authentication',
  processing: 'Processing',
  succeeded: 'Paid',
  failed: 'Failed',
  canceled: 'Canceled',
  refunded: 'Refunded',
  partially_refunded: 'Partially refunded',
  disputed: 'Disputed',
};

const nextStep: Partial<Record<ChargeStatus, string>> = {
  pending: 'We are waiting for the payment provider. This page shows the outcome once it is known; you will not be charged twice.',
  requires_action: 'Your bank asks you to confirm this payment.',
  processing: 'Your bank is processing the payment. This page shows the outcome once it is known.',
  failed: 'No money was taken. Try again with another card.',
  canceled: 'Canceled: nothing was charged. You can try again whenever you like.',
};

/** Where to buy the same thing again: a new attempt, with a new idempotency key. */
export const payAgainUrl = (product: string, subjectId: number | null) =>
  `/charges/new?product=${encodeURIComponent(product)}${subjectId ? `&${SUBJECT_FIELD}=${subjectId}` : ''}`;

/**
 * A charge as its buyer sees it: a receipt only when money was taken; otherwise its status and what
 * to do next, with no PDF and nothing that reads as bought.
 */
export function ChargePage({
  ctx,
  charge,
  product,
  lines,
  publishableKey,
  done,
  party,
}: {
  ctx: PageContext;
  charge: Charge;
  product?: Product;
  lines: string[];
  publishableKey: string;
  done?: string;
  /** Who it is made out to, and how it was paid when not by card. */
  party?: ReceiptParty;
}) {
  const paid = SETTLED_STATUSES.includes(charge.status);
  const name = product?.name ?? charge.product;
  return (
    <div class="card receipt">
      <h1>{paid ? 'Receipt' : `Payment for ${name}`}</h1>
      <Flash message={done} />
      {!paid && nextStep[charge.status] && <p class={charge.status === 'failed' ? 'flash-error' : 'notice'}>{nextStep[charge.status]}</p>}
      {charge.status === 'failed' && charge.failureMessage && <p class="flash-error">{charge.failureMessage}</p>}
      <ScrollX label={paid ? 'Receipt' : 'Payment'}>
        <table>
          <tbody>
            <tr>
              <th>What</th>
              <td>{name}</td>
            </tr>
            <tr>
              <th>Amount</th>
              <td data-amount>{formatMoney(charge.amount, charge.currency)}</td>
            </tr>
            {charge.amountRefunded > 0 && (
              <tr>
                <th>Refunded</th>
                <td>{formatMoney(charge.amountRefunded, charge.currency)}</td>
              </tr>
            )}
            <tr>
              <th>Status</th>
              <td data-status={charge.status}>{statusWords[charge.status]}</td>
            </tr>
            <tr>
              <th>{paid ? 'Paid' : 'Started'}</th>
              <td>{formatUtc(charge.paidAt ?? charge.createdAt)}</td>
            </tr>
            {charge.cardLast4 && (
              <tr>
                <th>Card</th>
                <td>
                  {charge.cardBrand} ending {charge.cardLast4}
                </td>
              </tr>
            )}
            {paid &&
              partyRows(party).map(([label, value]) => (
                <tr data-party={label || undefined}>
                  <th>{label}</th>
                  <td>{value}</td>
                </tr>
              ))}
            <tr>
              <th>Reference</th>
              <td>
                #{charge.id}
                {charge.paymentIntentId && ` · ${charge.paymentIntentId}`}
              </td>
            </tr>
          </tbody>
        </table>
      </ScrollX>
      {paid && lines.map((line) => <p class="receipt-line">{line}</p>)}
      {charge.status === 'requires_action' && (
        <form id="authenticate" class="no-print" data-publishable-key={publishableKey} data-charge-id={String(charge.id)} data-client-secret={charge.stripeClientSecret ?? ''}>
          <CsrfField ctx={ctx} />
          <button type="submit">Complete authentication</button>
          <p id="checkout-error" class="flash-error" role="alert" />
        </form>
      )}
      <p class="no-print">
        {paid && (
          <>
            <a href={`/charges/${charge.id}/receipt.pdf`}>Download PDF</a> ·{' '}
          </>
        )}
        {(paid || charge.status === 'failed' || charge.status === 'canceled') && (
          <>
            <a href={payAgainUrl(charge.product, subjectOf(charge))} data-pay-again class={paid ? undefined : 'button'}>
              {paid ? 'Pay again' : 'Try again'}
            </a>{' '}
            ·{' '}
          </>
        )}
        <a href="/settings/billing">All your payments</a>
      </p>
    </div>
  );
}

export function BillingPage({
  ctx,
  charges,
  cards,
  productNames,
  titles,
  section,
  done,
}: {
  ctx: PageContext;
  charges: Charge[];
  cards: SavedCard[];
  productNames: Map<string, string>;
  /** What each charge bought, by charge id (purchaseTitles). */
  titles: Map<number, string>;
  /** Shown between the saved cards and the payments (the plugin's billingSection). */
  section?: JSX.Element;
  done?: string;
}) {
  return (
    <>
      <h1>Billing</h1>
      <Flash message={done} />
      <div class="card">
        <h2>Saved cards</h2>
        {cards.length === 0 && <p class="muted">No saved cards. Tick "Save this card" when you pay.</p>}
        <ul class="saved-cards">
          {cards.map((card) => (
            <li>
              {card.brand} ending {card.last4} (expires {String(card.exp_month).padStart(2, '0')}/{card.exp_year}){' '}
              <form method="post" action={`/settings/cards/${card.id}/remove`} class="inline">
                <CsrfField ctx={ctx} />
                <button type="submit" class="link">
                  Remove
                </button>
              </form>
            </li>
          ))}
        </ul>
      </div>
      {section}
      <div class="card">
        <h2>Payments</h2>
        {charges.length === 0 ? (
          <p class="muted" data-empty="payments">
            No payments yet. What you buy appears here with its receipt. See <a href="/charges/new">what you can buy</a>.
          </p>
        ) : (
          <DataTable
            label="Your charges"
            cards
            rows={charges}
            columns={[
              { heading: 'Date', cell: (c) => formatUtc(c.createdAt) },
              {
                heading: 'Product',
                cell: (c) => (
                  <>
                    {titles.has(c.id) && (
                      <>
                        {titles.get(c.id)}
                        <br />
                      </>
                    )}
                    <span class={titles.has(c.id) ? 'muted' : undefined}>{productNames.get(c.product) ?? c.product}</span>
                  </>
                ),
              },
              { heading: 'Amount', cell: (c) => formatMoney(c.amount, c.currency) },
              { heading: 'Status', cell: (c) => statusWords[c.status], attrs: (c) => ({ 'data-status': c.status }) },
              { heading: '', cell: (c) => <a href={`/charges/${c.id}`}>{SETTLED_STATUSES.includes(c.status) ? 'Receipt' : 'Details'}</a> },
            ]}
          />
        )}
      </div>
    </>
  );
}
