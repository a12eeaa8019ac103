import { missingParam, StripeApiError } from '../errors.js';
import { randomToken } from '../random.js';
import type { LocalStripe } from '../server.js';
import type { RequestInfo } from '../store.js';
import type { DeliveryFaults } from '../webhooks.js';
import type { RequestFault } from './faults.js';
import { safeJson } from './transport.js';

const reply = (status: number, body: unknown) => ({ status, body });

/**
 * `/_local/*`: what tests, the soak and the CLI do to the local Stripe that Stripe's API cannot
 * (faults, the clock, disputes, 3-D Secure outcomes, a saved card that starts to be declined).
 */
export function control(local: LocalStripe, method: string, url: URL, raw: string): { status: number; body: unknown } {
  const body = raw ? safeJson(raw) : {};
  const path = url.pathname.slice('/_local'.length);
  const info: RequestInfo = { id: `req_${randomToken(16)}`, idempotencyKey: null };
  try {
    if (method === 'POST' && path === '/reset') {
      local.reset();
      return reply(200, { ok: true });
    }
    if (method === 'POST' && path === '/faults') {
      local.injectFault(body as RequestFault);
      return reply(200, { faults: local.faults.list });
    }
    if (method === 'DELETE' && path === '/faults') {
      local.clearFaults();
      return reply(200, { faults: [] });
    }
    if (method === 'POST' && path === '/webhooks/faults') {
      local.setDeliveryFaults(body as DeliveryFaults);
      return reply(200, { faults: local.webhooks.faults });
    }
    if (method === 'POST' && path === '/webhooks/release') {
      return reply(200, { released: local.webhooks.release(body as { reverse?: boolean }) });
    }
    if (method === 'GET' && path === '/webhooks/log') return reply(200, { log: local.webhooks.log });
    if (method === 'POST' && path === '/clock/advance') {
      local.emulator.advanceClock(Number((body as { seconds?: number }).seconds ?? 0));
      return reply(200, { now: local.emulator.now() });
    }
    if (method === 'GET' && path === '/stats') {
      return reply(200, { total: local.requestCount(), routes: Object.fromEntries(local.requestCounts) });
    }
    if (method === 'DELETE' && path === '/stats') {
      local.requestCounts.clear();
      return reply(200, { total: 0 });
    }
    let m = /^\/charges\/([^/]+)\/dispute$/.exec(path);
    if (method === 'POST' && m) return reply(200, local.emulator.openDispute(m[1]!, body as { reason?: string }, info));
    m = /^\/disputes\/([^/]+)\/close$/.exec(path);
    if (method === 'POST' && m) {
      const outcome = (body as { outcome?: string }).outcome === 'won' ? 'won' : 'lost';
      return reply(200, local.emulator.closeDispute(m[1]!, outcome, info));
    }
    m = /^\/checkout\/sessions\/([^/]+)\/pay$/.exec(path);
    if (method === 'POST' && m) {
      const { payment_method: paymentMethod, save_payment_method: saveCard } = body as { payment_method?: unknown; save_payment_method?: unknown };
      if (typeof paymentMethod !== 'string' || !paymentMethod) throw missingParam('payment_method');
      // What the page's "Save this card" checkbox does.
      const { session, paymentIntent } = local.emulator.payCheckoutSession(m[1]!, paymentMethod, info, saveCard === true);
      return reply(200, { session, payment_intent: paymentIntent });
    }
    m = /^\/payment_intents\/([^/]+)\/authenticate$/.exec(path);
    if (method === 'POST' && m) {
      const outcome = (body as { outcome?: string }).outcome === 'fail' ? 'fail' : 'complete';
      return reply(200, local.emulator.authenticate(m[1]!, outcome, info));
    }
    m = /^\/payment_methods\/([^/]+)\/charge_as$/.exec(path);
    if (method === 'POST' && m) return reply(200, local.emulator.chargeCardAs(m[1]!, String((body as { number?: string }).number ?? '')));
    return reply(404, { error: { message: `Unknown control route ${method} ${path}` } });
  } catch (error) {
    if (error instanceof StripeApiError) return reply(error.status, { error: error.body });
    throw error;
  }
}
