/**
 * A stand-in for Stripe.js v3, served by the local Stripe at /js/v3.js because the real one only
 * loads from Stripe's servers. It implements the part of Stripe.js's API the app uses, with
 * @stripe/stripe-js's own types: Stripe(pk), elements().create('card') with mount/on/clear,
 * createPaymentMethod, confirmCardPayment, handleNextAction and retrievePaymentIntent; and the
 * Payment Element (card only) with a deferred intent: elements({mode: 'payment', amount, currency}),
 * create('payment'), elements.submit() and createConfirmationToken. Card fields
 * are sent only to the local Stripe, never to the app. 3-D Secure opens the authentication page in
 * an iframe overlay, as Stripe.js does.
 */
import { type CardField, digitsOf, formatCardField, luhn } from './card-format.js';
import type {
  ConfirmationToken,
  ConfirmationTokenCreateParams,
  ConfirmationTokenResult,
  PaymentIntent,
  PaymentIntentResult,
  PaymentMethod,
  PaymentMethodResult,
  Stripe,
  StripeConstructor,
  StripeElements,
  StripeElementsOptionsMode,
  StripeError,
} from '@stripe/stripe-js';

/** The part of Stripe.js this stand-in implements, as @stripe/stripe-js declares it. */
type StandIn = Pick<Stripe, 'createPaymentMethod' | 'createConfirmationToken' | 'confirmCardPayment' | 'handleNextAction' | 'retrievePaymentIntent'> & {
  elements(options?: StripeElementsOptionsMode): Pick<StripeElements, 'create' | 'submit'>;
};

const script = document.currentScript as HTMLScriptElement | null;
const API = script ? new URL(script.src).origin : '';

type Params = { [key: string]: string | number | boolean | null | undefined | Params };

function encode(params: Params, prefix = '', out: string[] = []): string[] {
  for (const [key, value] of Object.entries(params)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    if (value === undefined || value === null) continue;
    if (typeof value === 'object') encode(value, name, out);
    else out.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
  }
  return out;
}

/** The key goes as a form parameter, as Stripe.js sends it: a simple request needs no CORS preflight. */
async function request<T>(key: string, method: 'GET' | 'POST', path: string, params: Params): Promise<{ ok: true; body: T } | { ok: false; error: StripeError }> {
  const form = encode({ key, ...params }).join('&');
  const init: RequestInit = { method };
  let url = API + path;
  if (method === 'GET') url += `?${form}`;
  else {
    init.headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
    init.body = form;
  }
  const res = await fetch(url, init);
  const body = (await res.json()) as T & { error?: StripeError };
  return res.ok ? { ok: true, body } : { ok: false, error: body.error as StripeError };
}

const intentId = (clientSecret: string) => clientSecret.split('_secret_')[0]!;

type Listener = (event: { complete?: boolean; empty?: boolean }) => void;

/** Formats an input in place, keeping the caret after the same number of digits. */
function reformat(input: HTMLInputElement, field: CardField, deleting: boolean): void {
  const caret = input.selectionStart ?? input.value.length;
  const digitsBefore = digitsOf(input.value.slice(0, caret)).length;
  const formatted = formatCardField(field, input.value, deleting);
  if (formatted === input.value) return;
  input.value = formatted;
  let position = 0;
  for (let seen = 0; position < formatted.length && seen < digitsBefore; position++) if (/\d/.test(formatted[position]!)) seen++;
  // After a completed group, the caret goes past the separator that follows it.
  if (!deleting) while (position < formatted.length && /\D/.test(formatted[position]!)) position++;
  input.setSelectionRange(position, position);
}

/**
 * A card form's three inputs in the page (Stripe's are in its own iframe), sent only to the local
 * Stripe, formatted as typed. The Card Element and the Payment Element differ in how they lay them out.
 */
abstract class CardFields {
  protected container: HTMLElement | null = null;
  protected fields: Record<CardField, HTMLInputElement> | null = null;
  private listeners = new Map<string, Listener[]>();

  mount(target: string | HTMLElement): void {
    const el = typeof target === 'string' ? document.querySelector<HTMLElement>(target) : target;
    if (!el) throw new Error('Stripe stand-in: mount target not found');
    el.replaceChildren();
    this.fields = this.render(el);
    for (const input of Object.values(this.fields)) {
      input.addEventListener('input', () => this.emit('change', { complete: this.complete(), empty: this.value('number') === '' }));
    }
    this.container = el;
    this.emit('ready', {});
  }

  /** Lays the inputs out inside the mount target. */
  protected abstract render(el: HTMLElement): Record<CardField, HTMLInputElement>;

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  clear(): void {
    for (const field of Object.values(this.fields ?? {})) field.value = '';
  }

  unmount(): void {
    this.container?.replaceChildren();
  }

  /** What Stripe.js would send for this card. */
  details(): Params {
    const [expMonth = '', expYear = ''] = this.value('expiry').split('/');
    return { number: this.value('number'), exp_month: expMonth, exp_year: expYear, cvc: this.value('cvc') };
  }

  protected input(name: CardField, placeholder: string, size: number, autocomplete: string): HTMLInputElement {
    const i = document.createElement('input');
    i.dataset.field = name;
    i.placeholder = placeholder;
    i.autocomplete = autocomplete as AutoFill;
    i.inputMode = 'numeric';
    i.size = size;
    i.addEventListener('input', (event) => reformat(i, name, (event as InputEvent).inputType?.startsWith('delete') ?? false));
    return i;
  }

  protected value(name: CardField): string {
    return this.fields ? this.fields[name].value.replace(/\s+/g, '') : '';
  }

  protected complete(): boolean {
    return /^\d{12,19}$/.test(this.value('number')) && /^\d{1,2}\/\d{2,4}$/.test(this.value('expiry')) && /^\d{3,4}$/.test(this.value('cvc'));
  }

  private emit(event: string, data: { complete?: boolean; empty?: boolean }): void {
    for (const listener of this.listeners.get(event) ?? []) listener(data);
  }
}

/** The Card Element: one line, no labels of its own (the page labels it). */
class CardElement extends CardFields {
  protected render(el: HTMLElement): Record<CardField, HTMLInputElement> {
    const wrap = document.createElement('div');
    wrap.className = 'StripeElement local-stripe-card';
    wrap.dataset.localStripe = 'card';
    Object.assign(wrap.style, { border: '1px solid #bbb', borderRadius: '4px', padding: '0.5em', background: '#fff' });
    const input = (name: CardField, placeholder: string, size: number, autocomplete: string) => {
      const i = this.input(name, placeholder, size, autocomplete);
      i.setAttribute('aria-label', placeholder);
      Object.assign(i.style, { border: 'none', outline: 'none', font: 'inherit', marginRight: '0.5em' });
      wrap.appendChild(i);
      return i;
    };
    const fields = {
      number: input('number', 'Card number', 20, 'cc-number'),
      expiry: input('expiry', 'MM / YY', 7, 'cc-exp'),
      cvc: input('cvc', 'CVC', 4, 'cc-csc'),
    };
    el.appendChild(wrap);
    return fields;
  }
}

/**
 * The Payment Element, card only: labelled inputs, the number grouped by four and the expiry written
 * `MM / YY` as typed, and each field's error shown beneath it (by `elements.submit()`, or from the
 * local Stripe's answer to `createConfirmationToken`).
 */
class PaymentElement extends CardFields {
  private errors: Partial<Record<CardField, HTMLElement>> = {};
  /** Whether `elements.submit()` has passed since the last change, as createConfirmationToken requires. */
  submitted = false;

  protected render(el: HTMLElement): Record<CardField, HTMLInputElement> {
    const wrap = document.createElement('div');
    wrap.className = 'StripeElement local-stripe-payment';
    wrap.dataset.localStripe = 'payment';
    Object.assign(wrap.style, { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '0.5em 0.75em', maxWidth: '100%' });
    const id = `local-stripe-${Math.random().toString(36).slice(2, 8)}`;
    const field = (name: CardField, label: string, placeholder: string, size: number, autocomplete: string, wide: boolean) => {
      const box = document.createElement('div');
      box.style.gridColumn = wide ? '1 / -1' : 'auto';
      box.style.minWidth = '0';
      const labelEl = document.createElement('label');
      labelEl.textContent = label;
      labelEl.htmlFor = `${id}-${name}`;
      Object.assign(labelEl.style, { display: 'block', fontSize: '0.9em', marginBottom: '0.2em' });
      const i = this.input(name, placeholder, size, autocomplete);
      i.id = `${id}-${name}`;
      Object.assign(i.style, { width: '100%', boxSizing: 'border-box', font: 'inherit', padding: '0.5em', border: '1px solid #8c959f', borderRadius: '4px' });
      const error = document.createElement('p');
      error.id = `${id}-${name}-error`;
      error.dataset.error = name;
      error.setAttribute('role', 'alert');
      Object.assign(error.style, { color: '#b3261e', margin: '0.2em 0 0', fontSize: '0.9em' });
      i.setAttribute('aria-describedby', error.id);
      i.addEventListener('input', () => {
        this.submitted = false;
      });
      box.append(labelEl, i, error);
      wrap.appendChild(box);
      this.errors[name] = error;
      return i;
    };
    const fields = {
      number: field('number', 'Card number', '1234 1234 1234 1234', 20, 'cc-number', true),
      expiry: field('expiry', 'Expiration date', 'MM / YY', 7, 'cc-exp', false),
      cvc: field('cvc', 'Security code', 'CVC', 4, 'cc-csc', false),
    };
    el.appendChild(wrap);
    return fields;
  }

  /** Shows one field's error (or clears it), as the Payment Element does beneath the field. */
  showError(name: CardField, message: string | null): void {
    const error = this.errors[name];
    const input = this.fields?.[name];
    if (error) error.textContent = message ?? '';
    if (input) {
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
  }

  /** `elements.submit()`: checks every field, shows each error, answers the first. */
  validate(now: Date): StripeError | null {
    const [month = '', year = ''] = this.value('expiry').split('/');
    const fullYear = year.length === 2 ? 2000 + Number(year) : Number(year);
    const problems: Array<[CardField, string, string]> = [];
    const number = this.value('number');
    if (!/^\d{12,19}$/.test(number)) problems.push(['number', 'incomplete_number', 'Your card number is incomplete.']);
    else if (!luhn(number)) problems.push(['number', 'invalid_number', 'Your card number is invalid.']);
    if (!/^\d{2}$/.test(month) || !/^\d{2}$/.test(year)) problems.push(['expiry', 'incomplete_expiry', "Your card's expiration date is incomplete."]);
    else if (Number(month) < 1 || Number(month) > 12) problems.push(['expiry', 'invalid_expiry_month', "Your card's expiration date is invalid."]);
    else if (fullYear < now.getUTCFullYear() || (fullYear === now.getUTCFullYear() && Number(month) < now.getUTCMonth() + 1)) {
      problems.push(['expiry', 'invalid_expiry_year_past', "Your card's expiration year is in the past."]);
    }
    if (!/^\d{3,4}$/.test(this.value('cvc'))) problems.push(['cvc', 'incomplete_cvc', "Your card's security code is incomplete."]);
    for (const name of ['number', 'expiry', 'cvc'] as const) this.showError(name, problems.find(([n]) => n === name)?.[2] ?? null);
    const first = problems[0];
    this.submitted = !first;
    return first ? ({ type: 'validation_error', code: first[1], message: first[2] } as StripeError) : null;
  }
}

/** The field a card error's `param` is about (`payment_method_data[card][number]`). */
function fieldOf(param: string | undefined): CardField | null {
  if (!param) return null;
  if (param.endsWith('[number]')) return 'number';
  if (param.endsWith('[exp_month]') || param.endsWith('[exp_year]')) return 'expiry';
  if (param.endsWith('[cvc]')) return 'cvc';
  return null;
}

/** `stripe.elements(options)`: the elements made from one set of options (deferred intent: mode, amount, currency). */
class ElementsGroup {
  paymentElement: PaymentElement | null = null;

  constructor(readonly options: StripeElementsOptionsMode | undefined) {}

  create(type: string): CardFields {
    if (type === 'card') return new CardElement();
    if (type !== 'payment') throw new Error(`Stripe stand-in: only the card and payment elements are emulated, not ${type}`);
    const options = this.options;
    if (options?.mode !== 'payment' || !Number.isInteger(options.amount) || !options.currency) {
      throw new Error("Stripe stand-in: the payment element needs elements({mode: 'payment', amount, currency})");
    }
    this.paymentElement = new PaymentElement();
    return this.paymentElement;
  }

  async submit(): Promise<{ error: StripeError; selectedPaymentMethod?: undefined } | { selectedPaymentMethod: string; error?: undefined }> {
    if (!this.paymentElement) return { error: { type: 'validation_error', message: 'elements.submit() needs a mounted Payment Element.' } as StripeError };
    const error = this.paymentElement.validate(new Date());
    return error ? { error } : { selectedPaymentMethod: 'card' };
  }
}

/** Opens the authentication page over the page and resolves with what the customer chose. */
function authenticate(pi: PaymentIntent): Promise<string> {
  return new Promise((resolve) => {
    const overlay = document.createElement('div');
    overlay.dataset.localStripe = '3ds';
    overlay.style.cssText = 'position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:center;justify-content:center;z-index:2147483647';
    const frame = document.createElement('iframe');
    frame.name = 'local-stripe-3ds';
    frame.title = '3D Secure authentication';
    frame.style.cssText = 'width:420px;height:360px;border:0;border-radius:8px;background:#fff';
    const action = pi.next_action as { use_stripe_sdk?: { stripe_js?: string }; redirect_to_url?: { url: string | null } } | null;
    frame.src = action?.use_stripe_sdk?.stripe_js ?? action?.redirect_to_url?.url ?? '';
    overlay.appendChild(frame);
    document.body.appendChild(overlay);
    const onMessage = (event: MessageEvent) => {
      // Only the local Stripe's own page may answer.
      if (event.origin !== API || event.data?.type !== 'local-stripe-3ds') return;
      window.removeEventListener('message', onMessage);
      overlay.remove();
      resolve(String(event.data.outcome));
    };
    window.addEventListener('message', onMessage);
  });
}

function createStandIn(key: string): StandIn {
  if (!key?.startsWith('pk_')) throw new Error('Stripe stand-in: a publishable key (pk_…) is required');

  const createConfirmationToken = async ({ elements, params }: { elements: unknown; params?: ConfirmationTokenCreateParams }): Promise<ConfirmationTokenResult> => {
    const group = elements as ElementsGroup;
    const element = group instanceof ElementsGroup ? group.paymentElement : null;
    if (!element) throw new Error('Stripe stand-in: createConfirmationToken needs elements with a Payment Element');
    if (!element.submitted) {
      return { error: { type: 'invalid_request_error', message: 'elements.submit() must be called before stripe.createConfirmationToken().' } as StripeError };
    }
    const options = group.options;
    const setupFutureUsage = options?.setupFutureUsage ?? options?.setup_future_usage ?? undefined;
    const r = await request<ConfirmationToken>(key, 'POST', '/v1/confirmation_tokens', {
      payment_method_data: {
        type: 'card',
        card: element.details(),
        billing_details: params?.payment_method_data?.billing_details as Params | undefined,
        allow_redisplay: params?.payment_method_data?.allow_redisplay,
      },
      return_url: params?.return_url ?? undefined,
      setup_future_usage: setupFutureUsage,
    });
    if (r.ok) return { confirmationToken: r.body };
    const field = fieldOf(r.error.param);
    if (field) element.showError(field, r.error.message ?? null);
    return { error: r.error };
  };

  const createPaymentMethod = async (options: { card?: unknown; element?: unknown; billing_details?: unknown }): Promise<PaymentMethodResult> => {
    const card = options.card ?? options.element;
    if (!(card instanceof CardFields)) throw new Error('Stripe stand-in: only a card element is emulated');
    const r = await request<PaymentMethod>(key, 'POST', '/v1/payment_methods', { type: 'card', card: card.details(), billing_details: options.billing_details as Params | undefined });
    return r.ok ? { paymentMethod: r.body } : { error: r.error };
  };

  const retrievePaymentIntent = async (clientSecret: string): Promise<PaymentIntentResult> => {
    const r = await request<PaymentIntent>(key, 'GET', `/v1/payment_intents/${intentId(clientSecret)}`, { client_secret: clientSecret });
    return r.ok ? { paymentIntent: r.body } : { error: r.error };
  };

  const handleNextAction = async ({ clientSecret }: { clientSecret: string }): Promise<PaymentIntentResult> => {
    const r = await retrievePaymentIntent(clientSecret);
    if (r.error) return r;
    if (r.paymentIntent.status !== 'requires_action' || !r.paymentIntent.next_action) return r;
    await authenticate(r.paymentIntent);
    const after = await retrievePaymentIntent(clientSecret);
    if (after.error) return after;
    const p = after.paymentIntent;
    if (p.status === 'requires_payment_method' && p.last_payment_error) {
      return { error: { ...p.last_payment_error, payment_intent: p } as StripeError };
    }
    return after;
  };

  const confirmCardPayment = async (clientSecret: string, data?: { payment_method?: unknown }): Promise<PaymentIntentResult> => {
    const params: Params = { client_secret: clientSecret, use_stripe_sdk: 'true' };
    const pm = data?.payment_method;
    if (pm && typeof pm === 'object' && 'card' in pm) {
      const created = await createPaymentMethod(pm as { card: unknown; billing_details?: unknown });
      if (created.error) return { error: created.error };
      params.payment_method = created.paymentMethod.id;
    } else if (typeof pm === 'string') {
      params.payment_method = pm;
    }
    const current = await retrievePaymentIntent(clientSecret);
    if (current.error) return current;
    if (current.paymentIntent.status === 'requires_action' && !params.payment_method) return handleNextAction({ clientSecret });
    const confirmed = await request<PaymentIntent>(key, 'POST', `/v1/payment_intents/${intentId(clientSecret)}/confirm`, params);
    if (!confirmed.ok) return { error: confirmed.error };
    if (confirmed.body.status === 'requires_action') return handleNextAction({ clientSecret });
    return { paymentIntent: confirmed.body };
  };

  return {
    elements: (options?: StripeElementsOptionsMode) => new ElementsGroup(options) as unknown as Pick<StripeElements, 'create' | 'submit'>,
    createConfirmationToken: createConfirmationToken as Stripe['createConfirmationToken'],
    // Stripe.js overloads these for many payment method types; the stand-in takes the card forms.
    createPaymentMethod: createPaymentMethod as Stripe['createPaymentMethod'],
    retrievePaymentIntent,
    handleNextAction: handleNextAction as Stripe['handleNextAction'],
    confirmCardPayment: confirmCardPayment as Stripe['confirmCardPayment'],
  };
}

// Only part of Stripe.js exists here; calling anything else fails loudly rather than silently.
window.Stripe = createStandIn as unknown as StripeConstructor;
