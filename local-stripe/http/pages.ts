import qs from 'qs';
import type Stripe from 'stripe';
import { randomToken } from '../random.js';
import { charges } from '../resources/charges.js';
import { authenticate, paymentIntents } from '../resources/payment_intents.js';
import { safeUrl } from '../params.js';
import type { Store } from '../store.js';

export interface Page {
  status: number;
  html: string;
  headers: Record<string, string>;
}

/**
 * These pages open beside a logged-in app on the same host, so they echo nothing unescaped, run only
 * their own script (a CSP nonce) and follow no URL but http(s).
 */
export const page = (status: number, html: string, nonce = '', formTargets: string[] = []): Page => ({
  status,
  html,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    // A form may lead only here, or (after a checkout) to the origins its session names.
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; script-src ${nonce ? `'nonce-${nonce}'` : "'none'"}; form-action ${["'self'", ...formTargets].join(' ')}; base-uri 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  },
});

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The pages a browser opens at Stripe: 3-D Secure authentication, receipts, and the Dashboard's object pages. */
export function servePage(store: Store, method: string, url: URL, raw: string): Page {
  const object = /^\/objects\/([A-Za-z0-9_]{1,255})$/.exec(url.pathname);
  if (object) return method === 'GET' ? objectPage(store, object[1]!) : page(405, '<h1>Method not allowed</h1>');
  const auth = /^\/authenticate\/([^/]+)$/.exec(url.pathname);
  if (auth) {
    const pi = paymentIntents(store).get(auth[1]!);
    const form = method === 'POST' ? qs.parse(raw) : undefined;
    const secret = form ? form.client_secret : url.searchParams.get('client_secret');
    if (!pi || typeof secret !== 'string' || secret !== pi.client_secret) return page(404, '<h1>Unknown payment</h1>');
    const rawReturnUrl = form ? form.return_url : url.searchParams.get('return_url');
    let returnUrl: string | undefined;
    if (rawReturnUrl !== undefined && rawReturnUrl !== null) {
      returnUrl = (typeof rawReturnUrl === 'string' && safeUrl(rawReturnUrl)) || undefined;
      if (!returnUrl) return page(400, '<h1>return_url must be an absolute http or https URL</h1>');
    }
    if (form) {
      const outcome = form.outcome === 'fail' ? 'fail' : 'complete';
      if (pi.status === 'requires_action') authenticate(store, pi.id, outcome, { id: `req_${randomToken(16)}`, idempotencyKey: null });
      const nonce = randomToken(24);
      return page(200, authenticatedPage(pi, outcome, returnUrl, nonce), nonce);
    }
    return page(200, authenticationPage(pi, returnUrl));
  }
  const receipt = /^\/receipts\/([^/]+)$/.exec(url.pathname);
  const charge = receipt ? charges(store).get(receipt[1]!) : undefined;
  if (!charge) return page(404, '<h1>No such receipt</h1>');
  return page(200, receiptPage(charge));
}

function authenticationPage(pi: Stripe.PaymentIntent, returnUrl: string | undefined): string {
  const amount = `${(pi.amount / 100).toFixed(2)} ${pi.currency.toUpperCase()}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>3D Secure authentication</title></head>
<body style="font-family:system-ui;padding:1.5em">
<h2 style="margin-top:0">3D Secure 2 test page</h2>
<p>Local Stripe test authentication for a payment of <strong>${escapeHtml(amount)}</strong>.</p>
<form method="post" action="/authenticate/${encodeURIComponent(pi.id)}" style="display:flex;gap:1em">
<input type="hidden" name="client_secret" value="${escapeHtml(pi.client_secret ?? '')}">
${returnUrl ? `<input type="hidden" name="return_url" value="${escapeHtml(returnUrl)}">` : ''}
<button type="submit" name="outcome" value="complete" id="complete-auth" style="padding:.5em 1em">Complete</button>
<button type="submit" name="outcome" value="fail" id="fail-auth" style="padding:.5em 1em">Fail</button>
</form></body></html>`;
}

/** Tells the opening page (the Stripe.js stand-in) the outcome, or follows the redirect flow's return_url. */
function authenticatedPage(pi: Stripe.PaymentIntent, outcome: 'complete' | 'fail', returnUrl: string | undefined, nonce: string): string {
  let redirect = '';
  if (returnUrl) {
    const target = new URL(returnUrl);
    target.searchParams.set('payment_intent', pi.id);
    redirect = target.href;
  }
  const word = outcome === 'complete' ? 'completed' : 'failed';
  // The data rides in attributes (escaped), never inside the script.
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Authentication ${word}</title></head>
<body style="font-family:system-ui;padding:1.5em" data-outcome="${outcome}" data-redirect="${escapeHtml(redirect)}"><p id="result">Authentication ${word}.</p>
<script nonce="${nonce}">
(function(){var d=document.body.dataset;var msg={type:'local-stripe-3ds',outcome:d.outcome};
if (window.parent && window.parent !== window) { window.parent.postMessage(msg, '*'); }
else if (d.redirect) { location.href = d.redirect; }})();
</script></body></html>`;
}

/** Secrets the Dashboard never shows either: a PaymentIntent's client secret, a webhook endpoint's signing secret. */
const HIDDEN_KEYS = new Set(['client_secret', 'secret']);

/** The object as JSON with those secrets hidden, wherever they appear (3-D Secure URLs carry the client secret too). */
function redactedJson(object: unknown): string {
  const secrets: string[] = [];
  const collect = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    for (const [key, item] of Object.entries(value)) {
      if (HIDDEN_KEYS.has(key) && typeof item === 'string' && item) secrets.push(item);
      else collect(item);
    }
  };
  collect(object);
  let json = JSON.stringify(object, null, 2);
  for (const secret of secrets) json = json.replaceAll(secret, '[hidden]');
  return json;
}

/**
 * The stand-in for the Stripe Dashboard's page of one object, read-only, where the app's console
 * links when it talks to a local Stripe. Like a receipt's URL, it is found by its random id.
 */
function objectPage(store: Store, id: string): Page {
  const found = (store.byId(id) ?? store.events.get(id)) as { object?: string } | undefined;
  if (!found) return page(404, '<h1>No such object</h1>');
  const kind = typeof found.object === 'string' ? found.object : 'object';
  return page(
    200,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(kind)} ${escapeHtml(id)} · local Stripe</title></head>
<body style="font-family:system-ui;padding:1em;margin:0 auto;max-width:60em;color:#1b1b1f">
<main><p style="color:#565661">Local Stripe · read-only object page (with real keys the app links to the Stripe Dashboard)</p>
<h1 style="font-size:1.4em;overflow-wrap:anywhere">${escapeHtml(kind)} <code>${escapeHtml(id)}</code></h1>
<pre data-object style="white-space:pre-wrap;overflow-wrap:anywhere;background:#f0f0f4;padding:.75em;border-radius:6px">${escapeHtml(redactedJson(found))}</pre></main>
</body></html>`,
  );
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
