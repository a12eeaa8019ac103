/**
 * A stand-in for Stripe.js v3, served by the local Stripe at /js/v3.js because the real one only
 * loads from Stripe's servers. It implements the part of Stripe.js's API the app uses, with
 * @stripe/stripe-js's own types: Stripe(pk), elements().create('card') with mount/on/clear,
 * createPaymentMethod, confirmCardPayment, handleNextAction and retrievePaymentIntent. Card fields
 * are sent only to the local Stripe, never to the app. 3-D Secure opens the authentication page in
 * an iframe overlay, as Stripe.js does.
 */
import { type CardField, digitsOf, formatCardField } from './card-format.js';
import type {
  PaymentIntent,
  PaymentIntentResult,
  PaymentMethod,
  PaymentMethodResult,
  Stripe,
  StripeCardElement,
  StripeConstructor,
  StripeElements,
  StripeError,
} from '@stripe/stripe-js';

/** The part of Stripe.js this stand-in implements, as @stripe/stripe-js declares it. */
type StandIn = Pick<Stripe, 'createPaymentMethod' | 'confirmCardPayment' | 'handleNextAction' | 'retrievePaymentIntent'> & {
  elements(): Pick<StripeElements, 'create'>;
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

/** The card element: three inputs in the page (Stripe's are in its own iframe), sent only to the local Stripe. */
class CardElement {
  private container: HTMLElement | null = null;
  private fields: Record<CardField, HTMLInputElement> | null = null;
  private listeners = new Map<string, Listener[]>();

  mount(target: string | HTMLElement): void {
    const el = typeof target === 'string' ? document.querySelector<HTMLElement>(target) : target;
    if (!el) throw new Error('Stripe stand-in: mount target not found');
    el.replaceChildren();
    const wrap = document.createElement('div');
    wrap.className = 'StripeElement local-stripe-card';
    wrap.dataset.localStripe = 'card';
    Object.assign(wrap.style, { border: '1px solid #bbb', borderRadius: '4px', padding: '0.5em', background: '#fff' });
    const input = (name: string, placeholder: string, size: number, autocomplete: string) => {
      const i = document.createElement('input');
      i.dataset.field = name;
      i.placeholder = placeholder;
      i.autocomplete = autocomplete as AutoFill;
      i.inputMode = 'numeric';
      i.setAttribute('aria-label', placeholder);
      i.size = size;
      Object.assign(i.style, { border: 'none', outline: 'none', font: 'inherit', marginRight: '0.5em' });
      i.addEventListener('input', (event) => {
        reformat(i, name as CardField, (event as InputEvent).inputType?.startsWith('delete') ?? false);
        this.emit('change', { complete: this.complete(), empty: this.value('number') === '' });
      });
      wrap.appendChild(i);
      return i;
    };
    this.fields = {
      number: input('number', 'Card number', 20, 'cc-number'),
      expiry: input('expiry', 'MM / YY', 7, 'cc-exp'),
      cvc: input('cvc', 'CVC', 4, 'cc-csc'),
    };
    el.appendChild(wrap);
    this.container = el;
    this.emit('ready', {});
  }

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

  private value(name: CardField): string {
    return this.fields ? this.fields[name].value.replace(/\s+/g, '') : '';
  }

  private complete(): boolean {
    return /^\d{12,19}$/.test(this.value('number')) && /^\d{1,2}\/\d{2,4}$/.test(this.value('expiry')) && /^\d{3,4}$/.test(this.value('cvc'));
  }

  private emit(event: string, data: { complete?: boolean; empty?: boolean }): void {
    for (const listener of this.listeners.get(event) ?? []) listener(data);
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

  const createPaymentMethod = async (options: { card?: unknown; element?: unknown; billing_details?: unknown }): Promise<PaymentMethodResult> => {
    const card = options.card ?? options.element;
    if (!(card instanceof CardElement)) throw new Error('Stripe stand-in: only a card element is emulated');
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
    elements: () => ({
      create: ((type: string) => {
        if (type !== 'card') throw new Error('Stripe stand-in: only the card element is emulated');
        return new CardElement() as unknown as StripeCardElement;
      }) as StripeElements['create'],
    }),
    // Stripe.js overloads these for many payment method types; the stand-in takes the card forms.
    createPaymentMethod: createPaymentMethod as Stripe['createPaymentMethod'],
    retrievePaymentIntent,
    handleNextAction: handleNextAction as Stripe['handleNextAction'],
    confirmCardPayment: confirmCardPayment as Stripe['confirmCardPayment'],
  };
}

// Only part of Stripe.js exists here; calling anything else fails loudly rather than silently.
window.Stripe = createStandIn as unknown as StripeConstructor;
