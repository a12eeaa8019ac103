import type { Charge } from '../db/schema.js';
import { CsrfField, formatDate, type PageContext, ScrollX } from '../web/render.js';
import type { SavedCard } from './cards.js';
import type { Product } from './catalog.js';

export const formatMoney = (amount: number, currency: string) =>
  `${currency === 'usd' ? '$' : ''}${(amount / 100).toFixed(2)}${currency === 'usd' ? '' : ` ${currency.toUpperCase()}`}`;

export interface CheckoutFormProps {
  ctx: PageContext;
  product: Product;
  articleId?: number;
  articleTitle?: string;
  cards: SavedCard[];
  /** A fresh key per rendered form: every repeat of this attempt is the same charge. */
  idempotencyKey: string;
  publishableKey: string;
  submitLabel?: string;
  error?: string;
  values?: Record<string, string>;
}

const fieldLabels: Record<string, { label: string; inputMode: 'text' | 'url'; required: boolean }> = {
  headline: { label: 'Headline', inputMode: 'text', required: true },
  link_url: { label: 'Link (https://…)', inputMode: 'url', required: true },
  image_url: { label: 'Image URL (https://…, optional)', inputMode: 'url', required: false },
};

/** The generic checkout form for any product; also embedded in the job-listing editor. */
export function CheckoutForm(props: CheckoutFormProps) {
  const { ctx, product, cards } = props;
  const price = formatMoney(product.amount, product.currency);
  return (
    <form
      id="checkout"
      class="stack checkout card"
      method="post"
      action="/charges"
      data-publishable-key={props.publishableKey}
      data-product={product.id}
    >
      <CsrfField ctx={ctx} />
      <input type="hidden" name="idempotency_key" value={props.idempotencyKey} />
      <input type="hidden" name="product" value={product.id} />
      {props.articleId !== undefined && <input type="hidden" name="article_id" value={String(props.articleId)} />}
      <h2>{product.name}</h2>
      {props.articleTitle && <p>For: <strong>{props.articleTitle}</strong></p>}
      <p class="muted">{product.description}</p>
      <p>
        Price: <strong data-price>{price}</strong>
      </p>
      {product.requires
        .concat(product.id === 'billboard' ? ['image_url'] : [])
        .filter((f) => f !== 'article_id' && fieldLabels[f])
        .map((f) => (
          <label>
            {fieldLabels[f]!.label}
            <input type="text" inputMode={fieldLabels[f]!.inputMode} name={f} data-product-field required={fieldLabels[f]!.required} value={props.values?.[f] ?? ''} />
          </label>
        ))}
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
        <div id="card-element" class="card-element" />
        <label>
          <span>
            <input type="checkbox" name="save_card" /> Save this card for next time
          </span>
        </label>
      </fieldset>
      <p id="checkout-error" class="flash-error" role="alert">
        {props.error ?? ''}
      </p>
      <button type="submit" id="pay">
        {props.submitLabel ?? `Pay ${price}`}
      </button>
      <noscript>
        <p class="muted">Paying with a new card needs JavaScript; a saved card works without it.</p>
      </noscript>
    </form>
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

const statusText: Record<string, string> = {
  pending: 'Pending: we are waiting for the payment provider.',
  requires_action: 'Waiting for your bank to authenticate the payment.',
  processing: 'Processing.',
  succeeded: 'Paid.',
  failed: 'Failed.',
  canceled: 'Canceled.',
  refunded: 'Refunded.',
  partially_refunded: 'Partially refunded.',
  disputed: 'Disputed.',
};

export function ReceiptPage({
  ctx,
  charge,
  product,
  lines,
  publishableKey,
}: {
  ctx: PageContext;
  charge: Charge;
  product?: Product;
  lines: string[];
  publishableKey: string;
}) {
  return (
    <div class="card receipt">
      <h1>Receipt</h1>
      <ScrollX label="Receipt">
        <table>
          <tbody>
            <tr>
              <th>What</th>
              <td>{product?.name ?? charge.product}</td>
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
              <td data-status={charge.status}>{statusText[charge.status]}</td>
            </tr>
            <tr>
              <th>Date</th>
              <td>{formatDate(charge.paidAt ?? charge.createdAt)}</td>
            </tr>
            {charge.cardLast4 && (
              <tr>
                <th>Card</th>
                <td>
                  {charge.cardBrand} ending {charge.cardLast4}
                </td>
              </tr>
            )}
            <tr>
              <th>Reference</th>
              <td>
                #{charge.id}
                {charge.stripeChargeKey && ` · ${charge.stripeChargeKey}`}
              </td>
            </tr>
          </tbody>
        </table>
      </ScrollX>
      {lines.map((line) => (
        <p class="receipt-line">{line}</p>
      ))}
      {charge.status === 'failed' && <p class="flash-error">{charge.failureMessage}</p>}
      {charge.status === 'requires_action' && (
        <form id="authenticate" class="no-print" data-publishable-key={publishableKey} data-charge-id={String(charge.id)} data-client-secret={charge.stripeClientSecret ?? ''}>
          <CsrfField ctx={ctx} />
          <button type="submit">Complete authentication</button>
          <p id="checkout-error" class="flash-error" role="alert" />
        </form>
      )}
      <p class="no-print">
        <a href={`/charges/${charge.id}/receipt.pdf`}>Download PDF</a> · <a href="/settings/billing">All your payments</a>
      </p>
    </div>
  );
}

export function BillingPage({ ctx, charges, cards }: { ctx: PageContext; charges: Charge[]; cards: SavedCard[] }) {
  return (
    <>
      <h1>Billing</h1>
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
      <div class="card">
        <h2>Payments</h2>
        <ScrollX label="Your charges">
          <table>
            <thead>
              <tr>
                <th>Date</th>
                <th>Product</th>
                <th>Amount</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {charges.map((c) => (
                <tr>
                  <td>{formatDate(c.createdAt)}</td>
                  <td>{c.product}</td>
                  <td>{formatMoney(c.amount, c.currency)}</td>
                  <td>{c.status}</td>
                  <td>
                    <a href={`/charges/${c.id}`}>Receipt</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollX>
      </div>
    </>
  );
}
