/**
 * The checkout form's script. A new card goes into Stripe's Payment Element (deferred intent:
 * the Element knows the catalog's amount and currency, the PaymentIntent is made by our server);
 * our server only ever sees the resulting ctoken_… (or a saved card's pm_… id). After 3-D Secure,
 * the server is asked to re-read the PaymentIntent: the browser's word is never the verdict.
 */

import type { Stripe, StripeElements } from '@stripe/stripe-js';

// Typed against Stripe.js's own declarations (which also declare `window.Stripe`): the same code
// runs on the real Stripe.js and on the local Stripe's stand-in.

interface ChargeResponse {
  charge?: { id: number; status: string; client_secret?: string };
  error?: { code: string; message: string; fields?: Record<string, string> };
}

const csrfOf = (form: HTMLFormElement) => (form.querySelector('input[name="_csrf"]') as HTMLInputElement).value;

async function post(url: string, csrf: string, body: unknown, idempotencyKey?: string): Promise<{ status: number; json: ChargeResponse }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf };
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'same-origin' });
  const json = (await res.json().catch(() => ({}))) as ChargeResponse;
  return { status: res.status, json };
}

/** 3-D Secure in Stripe.js, then the server's verdict from Stripe. */
async function authenticate(stripe: Stripe, chargeId: number, clientSecret: string, csrf: string): Promise<{ status: number; json: ChargeResponse }> {
  await stripe.handleNextAction({ clientSecret });
  return post(`/charges/${chargeId}/confirm`, csrf, {});
}

function showError(form: HTMLFormElement, message: string) {
  const el = form.querySelector('#checkout-error');
  if (el) el.textContent = message;
}

/** Each field's error beside its field (cleared when the form is sent again). */
function showFieldErrors(form: HTMLFormElement, fields: Record<string, string> = {}) {
  for (const input of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-product-field]')) {
    const message = fields[input.name];
    const slot = form.querySelector<HTMLElement>(`#error-${input.name}`);
    if (slot) slot.textContent = message ?? '';
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}

function setupCheckout(form: HTMLFormElement) {
  const stripe = window.Stripe!(form.dataset.publishableKey!);
  const saveCard = form.querySelector('input[name="save_card"]') as HTMLInputElement;
  // The Element's setup_future_usage must match the PaymentIntent's, which follows the "save" box and
  // any product box that needs the card kept (auto-renewal: the server saves the card for it).
  const boxesSavingCard = [...form.querySelectorAll<HTMLInputElement>('input[data-saves-card]')];
  const setupFutureUsage = () => (saveCard.checked || boxesSavingCard.some((box) => box.checked) ? ('off_session' as const) : undefined);
  const elements = stripe.elements({
    mode: 'payment',
    amount: Number(form.dataset.amount),
    currency: form.dataset.currency!,
    setupFutureUsage: setupFutureUsage(),
  });
  elements.create('payment').mount(form.querySelector<HTMLElement>('#payment-element')!);
  // Stripe.js updates the Element in place; the local stand-in has no update(), and our server
  // sends setup_future_usage with the PaymentIntent either way.
  const updateElement = () => (elements as Partial<StripeElements>).update?.({ setupFutureUsage: setupFutureUsage() ?? null });
  for (const box of [saveCard, ...boxesSavingCard]) box.addEventListener('change', updateElement);
  // The card form shows only while "A new card" is chosen: a card typed while a saved card is
  // ticked would otherwise be ignored and the saved card charged.
  const chosen = () => (form.querySelector('input[name="payment_method"]:checked') as HTMLInputElement | null)?.value ?? 'new';
  const newCard = form.querySelector<HTMLElement>('#new-card')!;
  const showChosen = () => {
    newCard.hidden = chosen() !== 'new';
  };
  for (const radio of form.querySelectorAll('input[name="payment_method"]')) radio.addEventListener('change', showChosen);
  showChosen();
  const button = form.querySelector('#pay') as HTMLButtonElement;
  const keyInput = form.querySelector('input[name="idempotency_key"]') as HTMLInputElement;
  const csrf = csrfOf(form);
  let busy = false;

  form.addEventListener('submit', async (event) => {
    // "Pay on Stripe's checkout page" is an ordinary form post: the card is typed on Stripe's page.
    if ((event as SubmitEvent).submitter?.hasAttribute('data-hosted')) return;
    event.preventDefault();
    if (busy) return;
    busy = true;
    button.disabled = true;
    showError(form, '');
    showFieldErrors(form);
    try {
      const choice = chosen();
      // A way's own button (e.g. paying with credits): its fields stand for the card.
      const wayChoice = (event as SubmitEvent).submitter?.hasAttribute('data-way-choice') ? ((event as SubmitEvent).submitter as HTMLButtonElement).value : undefined;
      const source: Record<string, string> = {};
      if (wayChoice !== undefined) {
        Object.assign(source, Object.fromEntries(new URLSearchParams(wayChoice)));
      } else if (choice === 'new') {
        // The Element shows each field's error beside it; the message here says why nothing was sent.
        const submitted = await elements.submit();
        if (submitted.error) {
          showError(form, submitted.error.message ?? 'Check your card details.');
          return;
        }
        const created = await stripe.createConfirmationToken({ elements });
        if (created.error || !created.confirmationToken) {
          showError(form, created.error?.message ?? 'Check your card details.');
          return;
        }
        source.confirmation_token = created.confirmationToken.id;
      } else {
        source.payment_method = choice;
      }
      const body: Record<string, unknown> = { product: form.dataset.product, ...source, ...(wayChoice === undefined ? { save_card: choice === 'new' && saveCard.checked } : {}) };
      const article = form.querySelector('input[name="article_id"]') as HTMLInputElement | null;
      if (article) body.article_id = Number(article.value);
      for (const input of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-product-field]')) {
        if (input instanceof HTMLInputElement && input.type === 'checkbox') body[input.name] = input.checked;
        else if (input.value !== '') body[input.name] = input.value;
      }
      let result = await post('/charges', csrf, body, keyInput.value);
      if (result.status === 202 && result.json.charge?.client_secret) {
        result = await authenticate(stripe, result.json.charge.id, result.json.charge.client_secret, csrf);
      }
      // Paid, or still being processed elsewhere (the charge page shows where it stands).
      if ((result.status === 201 || result.status === 202) && result.json.charge) {
        window.location.assign(`/charges/${result.json.charge.id}?done=paid`);
        return;
      }
      showError(form, result.json.error?.message ?? 'The payment did not go through.');
      showFieldErrors(form, result.json.error?.fields);
      // A declined or failed attempt is over: the next click is a new attempt with a new key.
      // An unreachable provider keeps the key, so retrying cannot charge twice.
      if (result.status !== 503) keyInput.value = crypto.randomUUID();
    } catch {
      showError(form, 'We could not reach our payment provider; you have not been charged twice — try again.');
    } finally {
      busy = false;
      button.disabled = false;
    }
  });
}

function setupAuthenticate(form: HTMLFormElement) {
  const stripe = window.Stripe!(form.dataset.publishableKey!);
  form.addEventListener('submit', async (event) => {
    // "Pay on Stripe's checkout page" is an ordinary form post: the card is typed on Stripe's page.
    if ((event as SubmitEvent).submitter?.hasAttribute('data-hosted')) return;
    event.preventDefault();
    const result = await authenticate(stripe, Number(form.dataset.chargeId), form.dataset.clientSecret!, csrfOf(form));
    if (result.status === 201) window.location.reload();
    else showError(form, result.json.error?.message ?? 'Authentication failed.');
  });
}

document.addEventListener('DOMContentLoaded', () => {
  const checkout = document.querySelector<HTMLFormElement>('form#checkout');
  if (checkout) setupCheckout(checkout);
  const auth = document.querySelector<HTMLFormElement>('form#authenticate');
  if (auth) setupAuthenticate(auth);
});
