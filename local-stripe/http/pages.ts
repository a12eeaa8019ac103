import qs from 'qs';
import type Stripe from 'stripe';
import { randomToken } from '../random.js';
import { charges } from '../resources/charges.js';
import { authenticate, paymentIntents } from '../resources/payment_intents.js';
import type { Store } from '../store.js';

const html = (status: number, body: string) => ({ status, html: body });
const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The pages a browser opens at Stripe: 3-D Secure authentication and receipts. */
export function page(store: Store, method: string, url: URL, raw: string): { status: number; html: string } {
  const auth = /^\/authenticate\/([^/]+)$/.exec(url.pathname);
  if (auth) {
    const pi = paymentIntents(store).get(auth[1]!);
    const form = method === 'POST' ? qs.parse(raw) : undefined;
    const secret = form ? (form.client_secret as string) : url.searchParams.get('client_secret');
    if (!pi || secret !== pi.client_secret) return html(404, '<h1>Unknown payment</h1>');
    const returnUrl = form ? (form.return_url as string | undefined) : (url.searchParams.get('return_url') ?? undefined);
    if (form) {
      const outcome = form.outcome === 'fail' ? 'fail' : 'complete';
      if (pi.status === 'requires_action') authenticate(store, pi.id, outcome, { id: `req_${randomToken(16)}`, idempotencyKey: null });
      return html(200, authenticationPage(pi, { done: outcome, returnUrl }));
    }
    return html(200, authenticationPage(pi, { returnUrl }));
  }
  const receipt = /^\/receipts\/([^/]+)$/.exec(url.pathname);
  const charge = receipt ? charges(store).get(receipt[1]!) : undefined;
  if (!charge) return html(404, '<h1>No such receipt</h1>');
  return html(200, receiptPage(charge));
}

function authenticationPage(pi: Stripe.PaymentIntent, state: { done?: 'complete' | 'fail'; returnUrl?: string }): string {
  const amount = `${(pi.amount / 100).toFixed(2)} ${pi.currency.toUpperCase()}`;
  const secret = escapeHtml(pi.client_secret ?? '');
  const returnUrl = state.returnUrl ? escapeHtml(state.returnUrl) : '';
  if (state.done) {
    // Tell the opening page (Stripe.js stand-in) the outcome, or follow the redirect flow's return_url.
    const redirect = state.returnUrl ? `${state.returnUrl}${state.returnUrl.includes('?') ? '&' : '?'}payment_intent=${pi.id}` : '';
    return `<!doctype html><html><head><meta charset="utf-8"><title>Authentication ${state.done === 'complete' ? 'completed' : 'failed'}</title></head>
<body style="font-family:system-ui;padding:1.5em"><p id="result">Authentication ${state.done === 'complete' ? 'completed' : 'failed'}.</p>
<script>
(function(){var msg={type:'local-stripe-3ds',outcome:${JSON.stringify(state.done)}};
if (window.parent && window.parent !== window) { window.parent.postMessage(msg, '*'); }
else if (${JSON.stringify(redirect)}) { location.href = ${JSON.stringify(redirect)}; }})();
</script></body></html>`;
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>3D Secure authentication</title></head>
<body style="font-family:system-ui;padding:1.5em">
<h2 style="margin-top:0">3D Secure 2 test page</h2>
<p>Local Stripe test authentication for a payment of <strong>${escapeHtml(amount)}</strong>.</p>
<form method="post" action="/authenticate/${escapeHtml(pi.id)}" style="display:flex;gap:1em">
<input type="hidden" name="client_secret" value="${secret}">
${returnUrl ? `<input type="hidden" name="return_url" value="${returnUrl}">` : ''}
<button type="submit" name="outcome" value="complete" id="complete-auth" style="padding:.5em 1em">Complete</button>
<button type="submit" name="outcome" value="fail" id="fail-auth" style="padding:.5em 1em">Fail</button>
</form></body></html>`;
}

function receiptPage(charge: Stripe.Charge): string {
  const card = charge.payment_method_details?.card;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Receipt ${escapeHtml(charge.id)}</title></head>
<body style="font-family:system-ui;padding:1.5em;max-width:32em">
<h1>Receipt</h1>
<p>Amount: <strong>${(charge.amount / 100).toFixed(2)} ${escapeHtml(charge.currency.toUpperCase())}</strong></p>
<p>Status: ${escapeHtml(charge.status)}${charge.amount_refunded ? ` (refunded ${(charge.amount_refunded / 100).toFixed(2)})` : ''}</p>
<p>Card: ${escapeHtml(card?.brand ?? '')} ending ${escapeHtml(card?.last4 ?? '')}</p>
<p>Date: ${new Date(charge.created * 1000).toISOString()}</p>
<p>Reference: ${escapeHtml(charge.id)}</p>
</body></html>`;
}
