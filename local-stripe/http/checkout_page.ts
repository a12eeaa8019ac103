import qs from 'qs';
import type Stripe from 'stripe';
import { StripeApiError } from '../errors.js';
import { formatAmount } from '../limits.js';
import { randomToken } from '../random.js';
import { offersSavingCard, payCheckoutSession, redisplayedCards, sessionFor, sessionLineItems } from '../resources/checkout_sessions.js';
import { paymentIntents } from '../resources/payment_intents.js';
import { createPaymentMethod } from '../resources/payment_methods.js';
import type { Store } from '../store.js';
import { escapeHtml, type Page, page } from './pages.js';

/** What the buyer typed into the card form, kept when the page is shown again. */
interface Typed {
  number: string;
  expiry: string;
  cvc: string;
}
type FieldErrors = Partial<Record<keyof Typed, string>>;

/** The origins a form on the page may end up at: the session's success and cancel URLs. */
const formTargets = (session: Stripe.Checkout.Session) =>
  [session.success_url, session.cancel_url].filter((u): u is string => u !== null).map((u) => new URL(u).origin);

/** Where a completed session sends the buyer: its success_url, `{CHECKOUT_SESSION_ID}` filled in as Stripe does. */
export const successUrl = (session: Stripe.Checkout.Session) => (session.success_url ?? '').replaceAll('{CHECKOUT_SESSION_ID}', session.id);

function redirect(location: string, session: Stripe.Checkout.Session): Page {
  const result = page(303, '', '', formTargets(session));
  return { ...result, headers: { ...result.headers, location } };
}

/**
 * Stripe's hosted checkout page for a session (`session.url`): the line items and total, the
 * customer's saved cards, a card form, a cancel link. GET shows it; POST pays. It refuses an
 * expired session and sends a completed one to its success_url.
 */
export function serveCheckoutPage(store: Store, method: string, url: URL, raw: string): Page {
  const id = /^\/c\/pay\/([^/]+)$/.exec(url.pathname)?.[1];
  let session: Stripe.Checkout.Session;
  try {
    session = sessionFor(store, id ?? '');
  } catch {
    return page(404, shell('Unknown checkout', '<h1>This checkout page does not exist</h1>'));
  }
  if (session.status === 'complete') return redirect(successUrl(session), session);
  if (session.status === 'expired') {
    return page(410, shell('Checkout expired', `<h1>This checkout session has expired</h1><p>Nothing was charged. Return to the shop to start again.</p>${cancelLink(session)}`));
  }
  if (method !== 'POST') {
    // Back from 3-D Secure that did not succeed: say why.
    const pi = url.searchParams.get('payment_intent') ? paymentIntents(store).get(session.payment_intent as string) : undefined;
    return checkoutPage(store, session, { number: '', expiry: '', cvc: '' }, {}, pi?.last_payment_error?.message);
  }
  const form = qs.parse(raw) as Record<string, unknown>;
  const typed: Typed = { number: String(form.number ?? ''), expiry: String(form.expiry ?? ''), cvc: String(form.cvc ?? '') };
  const request = { id: `req_${randomToken(16)}`, idempotencyKey: null };
  try {
    let paymentMethod: string;
    if (typeof form.saved_payment_method === 'string') {
      paymentMethod = form.saved_payment_method;
    } else {
      const errors = missingFields(typed);
      if (Object.keys(errors).length > 0) return checkoutPage(store, session, typed, errors, undefined, 400);
      const [month = '', year = ''] = typed.expiry.split('/').map((part) => part.trim());
      paymentMethod = createPaymentMethod(store, { type: 'card', card: { number: typed.number, exp_month: month, exp_year: year, cvc: typed.cvc } }, true).id;
    }
    const { paymentIntent } = payCheckoutSession(store, session.id, paymentMethod, request, form.save_payment_method === 'on');
    if (paymentIntent.status === 'requires_action' && paymentIntent.next_action?.redirect_to_url?.url) {
      return redirect(paymentIntent.next_action.redirect_to_url.url, session);
    }
    return redirect(successUrl(session), session);
  } catch (error) {
    if (!(error instanceof StripeApiError)) throw error;
    const field = fieldOf(String(error.body.param ?? ''));
    const message = String(error.body.message);
    return field ? checkoutPage(store, session, typed, { [field]: message }, undefined, error.status) : checkoutPage(store, session, typed, {}, message, error.status);
  }
}

function missingFields(typed: Typed): FieldErrors {
  const errors: FieldErrors = {};
  if (!typed.number.trim()) errors.number = 'Your card number is incomplete.';
  if (!/^\s*\d{1,2}\s*\/\s*\d{2,4}\s*$/.test(typed.expiry)) errors.expiry = "Your card's expiration date is incomplete.";
  if (!typed.cvc.trim()) errors.cvc = "Your card's security code is incomplete.";
  return errors;
}

/** The form field a card error's `param` is about. */
function fieldOf(param: string): keyof Typed | undefined {
  if (param.endsWith('[number]')) return 'number';
  if (param.endsWith('[exp_month]') || param.endsWith('[exp_year]')) return 'expiry';
  if (param.endsWith('[cvc]')) return 'cvc';
  return undefined;
}

const cancelLink = (session: Stripe.Checkout.Session) =>
  session.cancel_url ? `<p><a id="cancel" href="${escapeHtml(session.cancel_url)}">← Back to the shop (cancel)</a></p>` : '';

function shell(title: string, body: string, nonce = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>
*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:0;padding:1em;color:#1a1a1a;background:#f6f8fa}
main{max-width:32em;margin:0 auto;background:#fff;padding:1.25em;border-radius:8px;border:1px solid #d0d7de}
table{width:100%;border-collapse:collapse}td,th{padding:.4em 0;text-align:left;vertical-align:top}td.amount,th.amount{text-align:right;white-space:nowrap}
tfoot th{border-top:1px solid #d0d7de}label{display:block;font-weight:600;margin-top:.75em}
input{width:100%;font:inherit;padding:.5em;border:1px solid #8c959f;border-radius:4px}.row{display:flex;gap:.75em}.row>div{flex:1;min-width:0}
button{font:inherit;margin-top:1em;width:100%;padding:.65em;border-radius:4px;border:1px solid #0a5bd3;background:#0a5bd3;color:#fff;cursor:pointer}
button.saved{background:#fff;color:#0a3d8f}.error{color:#b3261e;margin:.25em 0 0}.alert{color:#b3261e;border:1px solid #b3261e;border-radius:4px;padding:.5em}
a{color:#0a3d8f}
</style></head><body><main>${body}</main>${nonce ? formatScript(nonce) : ''}</body></html>`;
}

/** Groups the card number by four and writes the expiry as `MM / YY` while typing, as Stripe's form does. */
const formatScript = (nonce: string) => `<script nonce="${nonce}">
(function(){var n=document.getElementById('number'),e=document.getElementById('expiry');
if(n)n.addEventListener('input',function(){var d=n.value.replace(/\\D/g,'').slice(0,19);n.value=d.replace(/(\\d{4})(?=\\d)/g,'$1 ');});
if(e)e.addEventListener('input',function(ev){var d=e.value.replace(/\\D/g,'').slice(0,4);e.value=d.length>2||(d.length===2&&ev.inputType!=='deleteContentBackward')?d.slice(0,2)+' / '+d.slice(2):d;});})();
</script>`;

function field(name: keyof Typed, label: string, value: string, error: string | undefined, attrs: string): string {
  const described = error ? ` aria-invalid="true" aria-describedby="${name}-error"` : '';
  return `<div><label for="${name}">${label}</label><input id="${name}" name="${name}" value="${escapeHtml(value)}" ${attrs}${described}>${
    error ? `<p class="error" id="${name}-error">${escapeHtml(error)}</p>` : ''
  }</div>`;
}

function checkoutPage(store: Store, session: Stripe.Checkout.Session, typed: Typed, errors: FieldErrors, alert?: string, status = 200): Page {
  const currency = session.currency ?? 'usd';
  const rows = sessionLineItems(store, session.id)
    .map((item) => `<tr><td>${escapeHtml(item.description ?? '')}${(item.quantity ?? 1) > 1 ? ` × ${item.quantity}` : ''}</td><td class="amount">${escapeHtml(formatAmount(item.amount_total, currency))}</td></tr>`)
    .join('');
  const total = formatAmount(session.amount_total ?? 0, currency);
  const action = `/c/pay/${encodeURIComponent(session.id)}`;
  const saved = redisplayedCards(store, session)
    .map(
      (pm) => `<form method="post" action="${action}"><input type="hidden" name="saved_payment_method" value="${escapeHtml(pm.id)}">
<button type="submit" class="saved" data-saved-card="${escapeHtml(pm.id)}">Pay ${escapeHtml(total)} with ${escapeHtml(pm.card?.brand ?? 'card')} •••• ${escapeHtml(pm.card?.last4 ?? '')} (expires ${pm.card?.exp_month}/${pm.card?.exp_year})</button></form>`,
    )
    .join('');
  const nonce = randomToken(24);
  const body = `<h1>Checkout</h1>
<p>Local Stripe test checkout. Expires ${new Date(session.expires_at * 1000).toISOString().replace('T', ' ').slice(0, 16)} UTC.</p>
<table aria-label="Items"><thead><tr><th scope="col">Item</th><th scope="col" class="amount">Amount</th></tr></thead>
<tbody>${rows}</tbody><tfoot><tr><th scope="row">Total</th><td class="amount"><strong id="total">${escapeHtml(total)}</strong></td></tr></tfoot></table>
${alert ? `<p class="alert" role="alert" id="payment-error">${escapeHtml(alert)}</p>` : ''}
${saved ? `<h2>Your saved cards</h2>${saved}<h2>Or pay with a new card</h2>` : '<h2>Pay with card</h2>'}
<form method="post" action="${action}" novalidate>
${field('number', 'Card number', typed.number, errors.number, 'inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234"')}
<div class="row">${field('expiry', 'Expiry (MM / YY)', typed.expiry, errors.expiry, 'inputmode="numeric" autocomplete="cc-exp" placeholder="MM / YY"')}${field(
    'cvc',
    'CVC',
    typed.cvc,
    errors.cvc,
    'inputmode="numeric" autocomplete="cc-csc" placeholder="CVC"',
  )}</div>
${offersSavingCard(session) ? '<div><label><input type="checkbox" id="save-card" name="save_payment_method"> Save this card for future payments</label></div>' : ''}
<button type="submit" id="pay">Pay ${escapeHtml(total)}</button>
</form>
${cancelLink(session)}`;
  return page(status, shell('Checkout', body, nonce), nonce, formTargets(session));
}
