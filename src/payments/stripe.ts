import Stripe from 'stripe';
import { ApiError } from '../http/errors.js';

/** The one Stripe API version this code is written and tested against. */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const;

/** What every PaymentIntent read expands: the fee (on the balance transaction) and the card, in one call. */
export const INTENT_EXPAND = ['latest_charge.balance_transaction', 'payment_method'];

/** Stripe unreachable, overloaded or failing on its side (after the SDK's retries): nothing about the request is known. */
export const isProviderUnavailable = (error: unknown) =>
  error instanceof Stripe.errors.StripeConnectionError ||
  error instanceof Stripe.errors.StripeAPIError ||
  error instanceof Stripe.errors.StripeRateLimitError ||
  (error instanceof Stripe.errors.StripeError && (error.statusCode ?? 0) >= 500);

export const PROVIDER_UNAVAILABLE = 'payment_provider_unavailable';

/**
 * Stripe's 409: another request with the same idempotency key is still being processed there (the
 * SDK has already retried it with backoff). The SDK raises it as a StripeAPIError, so it is told
 * apart by its status; check it before isProviderUnavailable, which would call it an outage.
 */
export const isRequestInProgress = (error: unknown) => error instanceof Stripe.errors.StripeError && error.statusCode === 409;

export const REQUEST_IN_PROGRESS = 'request_in_progress';

/** A form refused with one of these is shown again with its key: nothing was decided, so sending it again is safe. */
export const keepsIdempotencyKey = (error: ApiError) => error.code === PROVIDER_UNAVAILABLE || error.code === REQUEST_IN_PROGRESS;

/**
 * The answer when Stripe is still working on the same request (a double click, two tabs, another
 * instance): nothing went wrong, and the same key again gets the first request's outcome.
 */
export const requestInProgress = (extra?: Record<string, unknown>) =>
  new ApiError(409, REQUEST_IN_PROGRESS, 'This request is still being processed by our payment provider; retry with the same Idempotency-Key to get its answer.', undefined, extra);

/**
 * The one answer when Stripe cannot be reached, wherever it is called from (checkout, confirm,
 * refunds, cards): 503, a message that says what did not happen and that trying again is safe,
 * and what our side holds (`extra`) as it stands.
 */
export const providerUnavailable = (message: string, extra?: Record<string, unknown>) =>
  new ApiError(503, PROVIDER_UNAVAILABLE, `We could not reach our payment provider; ${message}`, undefined, extra);

export interface StripeGateway {
  client: Stripe;
  publishableKey: string;
  /** Stripe.js: Stripe's own, or the local Stripe's stand-in. */
  jsUrl: string;
  /** The origin pages must allow in their CSP for Stripe.js, its frames and its API calls. */
  origins: string[];
  /**
   * Where a person looks at a Stripe object (pi_…, ch_…, re_…): the Stripe Dashboard (test or live,
   * by the key) when talking to Stripe itself; otherwise the local Stripe's own read-only object page.
   */
  objectUrl(id: string): string;
}

/** The Dashboard's page for each kind of object; any other id goes to the Dashboard's search. */
const DASHBOARD_PATHS: Record<string, string> = { pi: 'payments', ch: 'payments', py: 'payments', cus: 'customers', re: 'refunds', dp: 'disputes', evt: 'events', pm: 'payment_methods' };

export function stripeDashboardUrl(secretKey: string, id: string): string {
  const base = /^(sk|rk)_live_/.test(secretKey) ? 'https://dashboard.stripe.com' : 'https://dashboard.stripe.com/test';
  const kind = DASHBOARD_PATHS[id.split('_')[0]!];
  return kind ? `${base}/${kind}/${encodeURIComponent(id)}` : `${base}/search?query=${encodeURIComponent(id)}`;
}

export interface StripeSettings {
  secretKey: string;
  publishableKey: string;
  /** e.g. http://127.0.0.1:12111 for a local Stripe; unset for Stripe itself. */
  apiUrl?: string;
  maxNetworkRetries?: number;
  timeoutMs?: number;
}

export function createStripeGateway(settings: StripeSettings): StripeGateway {
  const options: Stripe.StripeConfig = {
    apiVersion: STRIPE_API_VERSION,
    // Retries reuse the idempotency key, so they are safe; three ride out brief provider trouble.
    maxNetworkRetries: settings.maxNetworkRetries ?? 3,
    timeout: settings.timeoutMs ?? 20_000,
    telemetry: false,
  };
  if (settings.apiUrl) {
    const url = new URL(settings.apiUrl);
    options.host = url.hostname;
    options.port = url.port || (url.protocol === 'https:' ? 443 : 80);
    options.protocol = url.protocol === 'https:' ? 'https' : 'http';
    return {
      client: new Stripe(settings.secretKey, options),
      publishableKey: settings.publishableKey,
      jsUrl: `${url.origin}/js/v3.js`,
      origins: [url.origin],
      objectUrl: (id) => `${url.origin}/objects/${encodeURIComponent(id)}`,
    };
  }
  return {
    client: new Stripe(settings.secretKey, options),
    publishableKey: settings.publishableKey,
    jsUrl: 'https://js.stripe.com/v3/',
    origins: ['https://js.stripe.com', 'https://api.stripe.com', 'https://hooks.stripe.com'],
    objectUrl: (id) => stripeDashboardUrl(settings.secretKey, id),
  };
}
