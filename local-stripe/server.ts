import { createHash } from 'node:crypto';
import { randomToken } from './random.js';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import qs from 'qs';
import type Stripe from 'stripe';
import { authenticationPage, receiptPage, stripeJsStandIn } from './browser.js';
import { Emulator, type EmulatorOptions, type RequestInfo } from './emulator.js';
import { invalidApiKey, invalidRequest, resourceMissing, StripeApiError } from './errors.js';
import { listSpec, type Spec, validate } from './params.js';
import { type DeliveryFaults, type Endpoint, newWebhookSecret, WebhookDispatcher } from './webhooks.js';

export interface RequestFault {
  kind: '500' | '429' | 'reset' | 'timeout';
  /** `before`: nothing happens at Stripe; `after`: the change is applied and the response is lost. */
  when: 'before' | 'after';
  /** How many matching requests fail (default 1); ignored when `rate` is set. */
  count?: number;
  /** Fail this fraction of matching requests, indefinitely (soak tests). */
  rate?: number;
  /** Substring of the path to match, e.g. `/v1/payment_intents`. */
  path?: string;
  method?: string;
  /** How long a `timeout` hangs before the socket is closed. */
  timeoutMs?: number;
}

export interface LocalStripeOptions extends EmulatorOptions {
  /** Keep the state in this JSON file across restarts (the app's embedded default uses DATA_DIR). */
  stateFile?: string;
  port?: number;
  host?: string;
  webhookRetryBaseMs?: number;
  webhookMaxAttempts?: number;
}

interface Ctx {
  params: Record<string, unknown>;
  path: Record<string, string>;
  request: RequestInfo;
  publishable: boolean;
}

interface Route {
  method: string;
  pattern: RegExp;
  spec?: Spec;
  required?: string[];
  /** Stripe.js (publishable key) may call this route too. */
  publishable?: boolean;
  handler: (ctx: Ctx) => unknown;
}

const metadata = 'hash' as const;
const customerSpec: Spec = {
  email: 'string',
  name: 'string',
  description: 'string',
  phone: 'string',
  metadata,
  payment_method: 'string',
  invoice_settings: { default_payment_method: 'string' },
  expand: 'array',
};
const piSpec: Spec = {
  amount: 'integer',
  currency: 'string',
  customer: 'string',
  payment_method: 'string',
  payment_method_types: 'array',
  automatic_payment_methods: { enabled: 'boolean', allow_redirects: { enum: ['always', 'never'] } },
  confirm: 'boolean',
  capture_method: { enum: ['automatic', 'automatic_async'] },
  setup_future_usage: { enum: ['off_session', 'on_session', ''] },
  off_session: 'string',
  metadata,
  description: 'string',
  receipt_email: 'string',
  statement_descriptor: 'string',
  statement_descriptor_suffix: 'string',
  return_url: 'string',
  use_stripe_sdk: 'boolean',
  error_on_requires_action: 'boolean',
  expand: 'array',
};
const confirmSpec: Spec = {
  payment_method: 'string',
  return_url: 'string',
  setup_future_usage: { enum: ['off_session', 'on_session', ''] },
  off_session: 'string',
  receipt_email: 'string',
  use_stripe_sdk: 'boolean',
  error_on_requires_action: 'boolean',
  client_secret: 'string',
  expand: 'array',
};

/** A running local Stripe: the HTTP server, its state, and handles for tests. */
export class LocalStripe {
  readonly emulator: Emulator;
  readonly webhooks: WebhookDispatcher;
  private server: Server;
  private faults: RequestFault[] = [];
  private idempotency = new Map<string, { fingerprint: string; created: number; result: Promise<{ status: number; body: unknown }> }>();
  private routes: Route[];
  /** Requests per route (`POST /v1/payment_intents`), for round-trip counts. */
  readonly requestCounts = new Map<string, number>();
  private random = Math.random;

  constructor(private readonly options: LocalStripeOptions = {}) {
    this.emulator = new Emulator({ ...options, baseUrl: () => this.url });
    this.webhooks = new WebhookDispatcher({
      retryBaseMs: options.webhookRetryBaseMs,
      maxAttempts: options.webhookMaxAttempts,
      seed: options.seed,
    });
    this.emulator.onEvent((event) => {
      this.webhooks.dispatch(event);
      this.scheduleSave();
    });
    if (options.stateFile && existsSync(options.stateFile)) this.emulator.restore(readFileSync(options.stateFile, 'utf8'));
    this.routes = this.buildRoutes();
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        if (!res.headersSent) send(res, 500, { error: { type: 'api_error', message: String(error) } });
      });
    });
    this.server.keepAliveTimeout = 30_000;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    return this;
  }

  private boundPort = 0;

  get port(): number {
    // Cached once bound: every charge's receipt_url asks for it.
    this.boundPort ||= (this.server.address() as AddressInfo | null)?.port ?? 0;
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private saveTimer: NodeJS.Timeout | null = null;

  /** Writes the state file soon after a change (coalesced), atomically. */
  private scheduleSave(): void {
    if (!this.options.stateFile || this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.saveNow(), 100);
  }

  private saveNow(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    const file = this.options.stateFile;
    if (!file) return;
    // Its customers and cards are private to the user running it.
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(`${file}.tmp`, this.emulator.snapshot(), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  async close(): Promise<void> {
    this.saveNow();
    this.webhooks.reset();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.emulator.reset();
    this.webhooks.reset();
    this.faults = [];
    this.idempotency.clear();
    this.requestCounts.clear();
  }

  /** Makes matching requests fail; see RequestFault. */
  injectFault(fault: RequestFault): void {
    this.faults.push({ count: 1, ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  setDeliveryFaults(faults: DeliveryFaults): void {
    this.webhooks.faults = faults;
  }

  /** Registers a webhook endpoint directly (the CLI's --forward-to), returning its secret. */
  addWebhookEndpoint(url: string, secret = newWebhookSecret(), enabledEvents = ['*']): Endpoint {
    const endpoint: Endpoint = {
      id: this.emulator.newId('we'),
      url,
      secret,
      enabledEvents,
      created: this.emulator.now(),
      description: null,
      metadata: {},
      status: 'enabled',
    };
    this.webhooks.endpoints.set(endpoint.id, endpoint);
    return endpoint;
  }

  requestCount(route?: string): number {
    if (route) return this.requestCounts.get(route) ?? 0;
    let total = 0;
    for (const n of this.requestCounts.values()) total += n;
    return total;
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    res.setHeader('access-control-allow-origin', '*');
    if (method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, DELETE',
        'access-control-allow-headers': 'authorization, content-type, idempotency-key, stripe-version',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    if (url.pathname.startsWith('/_local/')) return this.control(method, url, raw, res);
    if (url.pathname === '/js/v3.js') {
      res.writeHead(200, { 'content-type': 'application/javascript; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(stripeJsStandIn);
      return;
    }
    if (url.pathname.startsWith('/authenticate/') || url.pathname.startsWith('/receipts/')) {
      const page = this.page(method, url, raw);
      res.writeHead(page.status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page.body);
      return;
    }
    if (!url.pathname.startsWith('/v1/')) {
      send(res, 404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${url.pathname}).` } });
      return;
    }
    await this.api(req, res, method, url, raw);
  }

  private async api(req: IncomingMessage, res: ServerResponse, method: string, url: URL, raw: string): Promise<void> {
    const requestId = `req_${randomToken(16)}`;
    res.setHeader('request-id', requestId);
    res.setHeader('stripe-version', '2026-10-28.endive');
    const match = this.match(method, url.pathname);
    const routeName = match ? `${method} ${match.route.pattern.source.replace(/\\\//g, '/').replace(/\^|\$/g, '').replace(/\(\?<(\w+)>\[\^\/\]\+\)/g, ':$1')}` : `${method} ?`;
    this.requestCounts.set(routeName, (this.requestCounts.get(routeName) ?? 0) + 1);

    const key = bearer(req.headers.authorization);
    const publishable = key?.startsWith('pk_test_') ?? false;
    if (!key || !(key.startsWith('sk_test_') || publishable) || key.length < 12) {
      send(res, 401, { error: invalidApiKey(key).body });
      return;
    }
    if (!match) {
      send(res, 404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.` } });
      return;
    }
    if (publishable && !match.route.publishable) {
      send(res, 401, { error: { type: 'invalid_request_error', message: 'This API call cannot be made with a publishable API key. Please use a secret API key.' } });
      return;
    }

    const fault = this.takeFault(method, url.pathname);
    if (fault?.when === 'before') return this.fail(res, fault);

    const idempotencyKey = method === 'POST' ? (header(req, 'idempotency-key') ?? null) : null;
    let input: unknown;
    try {
      input = parseForm(method === 'GET' || method === 'DELETE' ? url.search.slice(1) : raw);
    } catch {
      send(res, 400, { error: { type: 'invalid_request_error', message: 'Invalid request body.' } });
      return;
    }
    const execute = () => this.execute(match.route, match.groups, input, { id: requestId, idempotencyKey }, publishable);

    let result: { status: number; body: unknown };
    let replayed = false;
    if (idempotencyKey) {
      const scoped = `${key}:${idempotencyKey}`;
      const fingerprint = createHash('sha256').update(`${method} ${url.pathname} ${canonical(input)}`).digest('hex');
      const existing = this.idempotency.get(scoped);
      if (existing && existing.created + 86400 > this.emulator.now()) {
        if (existing.fingerprint !== fingerprint) {
          send(res, 400, {
            error: {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            },
          });
          return;
        }
        // Concurrent requests with one key wait for the first and replay its response.
        result = await existing.result;
        replayed = true;
      } else {
        const promise = Promise.resolve().then(execute);
        this.idempotency.set(scoped, { fingerprint, created: this.emulator.now(), result: promise });
        result = await promise;
        // As at Stripe, a request rejected by validation (4xx other than a card error) saves no result:
        // the same key may be used again once the request is corrected.
        if (result.status >= 400 && result.status < 500 && result.status !== 402) this.idempotency.delete(scoped);
      }
      res.setHeader('idempotency-key', idempotencyKey);
      if (replayed) res.setHeader('idempotent-replayed', 'true');
    } else {
      result = execute();
    }
    if (fault?.when === 'after') return this.fail(res, fault);
    send(res, result.status, result.body);
  }

  private execute(route: Route, groups: Record<string, string>, input: unknown, request: RequestInfo, publishable: boolean) {
    try {
      const params = route.spec ? validate(input, route.spec, route.required ?? []) : validate(input, { expand: 'array' });
      const body = route.handler({ params, path: groups, request, publishable });
      return { status: 200, body: this.expand(body, (params.expand as string[] | undefined) ?? []) };
    } catch (error) {
      if (error instanceof StripeApiError) {
        return { status: error.status, body: { error: { ...error.body, request_log_url: `https://dashboard.stripe.com/test/logs/${request.id}` } } };
      }
      throw error;
    }
  }

  private match(method: string, pathname: string) {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(pathname);
      if (m) return { route, groups: { ...m.groups } as Record<string, string> };
    }
    return undefined;
  }

  private takeFault(method: string, pathname: string): RequestFault | undefined {
    const index = this.faults.findIndex(
      (f) => (!f.method || f.method === method) && (!f.path || pathname.includes(f.path)),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    if (fault.rate !== undefined) return this.random() < fault.rate ? fault : undefined;
    fault.count = (fault.count ?? 1) - 1;
    if (fault.count <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private fail(res: ServerResponse, fault: RequestFault): void {
    if (fault.kind === 'reset') {
      res.socket?.destroy();
      return;
    }
    if (fault.kind === 'timeout') {
      setTimeout(() => res.socket?.destroy(), fault.timeoutMs ?? 5_000);
      return;
    }
    if (fault.kind === '429') {
      res.setHeader('stripe-should-retry', 'true');
      send(res, 429, {
        error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.' },
      });
      return;
    }
    send(res, 500, { error: { type: 'api_error', message: 'An unknown error occurred. Please try again.' } });
  }

  /** Replaces ids by objects along each `expand[]` path, as Stripe does. */
  private expand(body: unknown, paths: string[]): unknown {
    if (paths.length === 0) return body;
    const copy = structuredClone(body) as Record<string, unknown>;
    for (const path of paths) {
      const walk = (node: unknown, segments: string[]): unknown => {
        if (!node || typeof node !== 'object' || segments.length === 0) return node;
        const [head, ...rest] = segments as [string, ...string[]];
        const obj = node as Record<string, unknown>;
        if (head === 'data' && Array.isArray(obj.data)) {
          obj.data = obj.data.map((item) => walk(item, rest));
          return obj;
        }
        let value = obj[head];
        if (typeof value === 'string') {
          const found = this.emulator.byId(value);
          if (found) value = structuredClone(found);
        }
        obj[head] = rest.length ? walk(value, rest) : value;
        return obj;
      };
      walk(copy, path.split('.'));
    }
    return copy;
  }

  private list<T extends { id: string; created: number }>(items: Iterable<T>, params: Record<string, unknown>, url: string, filter: (item: T) => boolean = () => true): Stripe.ApiList<T> {
    const created = (params.created ?? {}) as Record<string, number>;
    let all = [...items]
      .filter(filter)
      .filter(
        (i) =>
          (created.gt === undefined || i.created > created.gt) &&
          (created.gte === undefined || i.created >= created.gte) &&
          (created.lt === undefined || i.created < created.lt) &&
          (created.lte === undefined || i.created <= created.lte),
      )
      .sort((a, b) => b.created - a.created || this.emulator.order(b.id) - this.emulator.order(a.id));
    const limit = (params.limit as number | undefined) ?? 10;
    if (limit < 1 || limit > 100) throw invalidRequest('Invalid limit: must be between 1 and 100', { param: 'limit' });
    if (params.starting_after) {
      const i = all.findIndex((x) => x.id === params.starting_after);
      if (i < 0) throw resourceMissing('object', params.starting_after as string, 'starting_after');
      all = all.slice(i + 1);
    } else if (params.ending_before) {
      const i = all.findIndex((x) => x.id === params.ending_before);
      if (i < 0) throw resourceMissing('object', params.ending_before as string, 'ending_before');
      all = all.slice(Math.max(0, i - limit), i);
    }
    return { object: 'list', data: all.slice(0, limit), has_more: all.length > limit, url };
  }

  private buildRoutes(): Route[] {
    const e = this.emulator;
    const r = (method: string, path: string, route: Omit<Route, 'method' | 'pattern'>): Route => ({
      method,
      pattern: new RegExp(`^${path.replace(/:(\w+)/g, '(?<$1>[^/]+)')}$`),
      ...route,
    });
    const piFor = (ctx: Ctx) => {
      const pi = e.get(e.paymentIntents, 'payment_intent', ctx.path.id!, 'intent');
      if (ctx.publishable && ctx.params.client_secret !== pi.client_secret) {
        throw resourceMissing('payment_intent', ctx.path.id!, 'intent');
      }
      return pi;
    };
    return [
      // Customers
      r('POST', '/v1/customers', { spec: customerSpec, handler: (c) => e.createCustomer(c.params, c.request) }),
      r('GET', '/v1/customers', { spec: { ...listSpec, email: 'string' }, handler: (c) => this.list(e.customers.values(), c.params, '/v1/customers', (x) => !c.params.email || x.email === c.params.email) }),
      r('GET', '/v1/customers/:id', { handler: (c) => e.get(e.customers, 'customer', c.path.id!) }),
      r('POST', '/v1/customers/:id', { spec: customerSpec, handler: (c) => e.updateCustomer(c.path.id!, c.params, c.request) }),
      r('DELETE', '/v1/customers/:id', { handler: (c) => e.deleteCustomer(c.path.id!, c.request) }),
      r('GET', '/v1/customers/:id/payment_methods', {
        spec: { ...listSpec, type: 'string', allow_redisplay: 'string' },
        handler: (c) => {
          e.get(e.customers, 'customer', c.path.id!, 'customer');
          return this.list(e.paymentMethods.values(), c.params, `/v1/customers/${c.path.id}/payment_methods`, (pm) => pm.customer === c.path.id && (!c.params.type || pm.type === c.params.type));
        },
      }),
      // PaymentMethods
      r('POST', '/v1/payment_methods', {
        publishable: true,
        spec: {
          type: 'string',
          card: { number: 'string', exp_month: 'string', exp_year: 'string', cvc: 'string', token: 'string' },
          billing_details: { name: 'string', email: 'string', phone: 'string', address: 'hash' },
          metadata,
          expand: 'array',
        },
        required: ['type'],
        handler: (c) => e.createPaymentMethod(c.params),
      }),
      r('GET', '/v1/payment_methods/:id', { handler: (c) => e.get(e.paymentMethods, 'PaymentMethod', c.path.id!) }),
      r('POST', '/v1/payment_methods/:id/attach', { spec: { customer: 'string', expand: 'array' }, required: ['customer'], handler: (c) => e.attach(c.path.id!, c.params.customer as string, c.request) }),
      r('POST', '/v1/payment_methods/:id/detach', { handler: (c) => e.detach(c.path.id!, c.request) }),
      // PaymentIntents
      r('POST', '/v1/payment_intents', { spec: piSpec, required: ['amount', 'currency'], handler: (c) => e.createPaymentIntent(c.params, c.request) }),
      r('GET', '/v1/payment_intents', {
        spec: { ...listSpec, customer: 'string' },
        handler: (c) => this.list(e.paymentIntents.values(), c.params, '/v1/payment_intents', (pi) => !c.params.customer || pi.customer === c.params.customer),
      }),
      r('GET', '/v1/payment_intents/:id', { publishable: true, spec: { client_secret: 'string', expand: 'array' }, handler: (c) => piFor(c) }),
      r('POST', '/v1/payment_intents/:id', {
        spec: { amount: 'integer', currency: 'string', customer: 'string', description: 'string', metadata, payment_method: 'string', receipt_email: 'string', setup_future_usage: { enum: ['off_session', 'on_session', ''] }, expand: 'array' },
        handler: (c) => e.updatePaymentIntent(c.path.id!, c.params),
      }),
      r('POST', '/v1/payment_intents/:id/confirm', { publishable: true, spec: confirmSpec, handler: (c) => e.confirm(piFor(c), c.params, c.request) }),
      r('POST', '/v1/payment_intents/:id/cancel', {
        spec: { cancellation_reason: { enum: ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'] }, expand: 'array' },
        handler: (c) => e.cancelPaymentIntent(c.path.id!, c.params, c.request),
      }),
      // Charges
      r('GET', '/v1/charges', {
        spec: { ...listSpec, customer: 'string', payment_intent: 'string' },
        handler: (c) => this.list(e.charges.values(), c.params, '/v1/charges', (ch) => (!c.params.customer || ch.customer === c.params.customer) && (!c.params.payment_intent || ch.payment_intent === c.params.payment_intent)),
      }),
      r('GET', '/v1/charges/:id', { handler: (c) => e.get(e.charges, 'charge', c.path.id!) }),
      // Refunds
      r('POST', '/v1/refunds', {
        spec: { charge: 'string', payment_intent: 'string', amount: 'integer', reason: { enum: ['duplicate', 'fraudulent', 'requested_by_customer'] }, metadata, expand: 'array' },
        handler: (c) => e.createRefund(c.params, c.request),
      }),
      r('GET', '/v1/refunds', {
        spec: { ...listSpec, charge: 'string', payment_intent: 'string' },
        handler: (c) => this.list(e.refunds.values(), c.params, '/v1/refunds', (re) => (!c.params.charge || re.charge === c.params.charge) && (!c.params.payment_intent || re.payment_intent === c.params.payment_intent)),
      }),
      r('GET', '/v1/refunds/:id', { handler: (c) => e.get(e.refunds, 'refund', c.path.id!) }),
      // Disputes
      r('GET', '/v1/disputes', {
        spec: { ...listSpec, charge: 'string', payment_intent: 'string' },
        handler: (c) => this.list(e.disputes.values(), c.params, '/v1/disputes', (d) => (!c.params.charge || d.charge === c.params.charge) && (!c.params.payment_intent || d.payment_intent === c.params.payment_intent)),
      }),
      r('GET', '/v1/disputes/:id', { handler: (c) => e.get(e.disputes, 'dispute', c.path.id!) }),
      r('POST', '/v1/disputes/:id/close', { handler: (c) => e.closeDispute(c.path.id!, 'lost', c.request) }),
      // Balance transactions
      r('GET', '/v1/balance_transactions', {
        spec: { ...listSpec, source: 'string', type: 'string' },
        handler: (c) => this.list(e.balanceTransactions.values(), c.params, '/v1/balance_transactions', (t) => (!c.params.source || t.source === c.params.source) && (!c.params.type || t.type === c.params.type)),
      }),
      r('GET', '/v1/balance_transactions/:id', { handler: (c) => e.get(e.balanceTransactions, 'balance_transaction', c.path.id!) }),
      // Events
      r('GET', '/v1/events', {
        spec: { ...listSpec, type: 'string', types: 'array' },
        handler: (c) => {
          const types = c.params.types as string[] | undefined;
          const type = c.params.type as string | undefined;
          const matches = (t: string) => (!type || (type.endsWith('*') ? t.startsWith(type.slice(0, -1)) : t === type)) && (!types || types.includes(t));
          return this.list(e.events.values(), c.params, '/v1/events', (ev) => matches(ev.type));
        },
      }),
      r('GET', '/v1/events/:id', { handler: (c) => e.get(e.events, 'event', c.path.id!) }),
      // Webhook endpoints
      r('POST', '/v1/webhook_endpoints', {
        spec: { url: 'string', enabled_events: 'array', description: 'string', metadata, api_version: 'string', expand: 'array' },
        required: ['url', 'enabled_events'],
        handler: (c) => {
          const endpoint = this.addWebhookEndpoint(c.params.url as string, undefined, c.params.enabled_events as string[]);
          endpoint.description = (c.params.description as string) ?? null;
          return { ...endpointJson(endpoint), secret: endpoint.secret };
        },
      }),
      r('GET', '/v1/webhook_endpoints', {
        spec: listSpec,
        handler: (c) => this.list([...this.webhooks.endpoints.values()].map(endpointJson), c.params, '/v1/webhook_endpoints'),
      }),
      r('GET', '/v1/webhook_endpoints/:id', {
        handler: (c) => endpointJson(this.endpoint(c.path.id!)),
      }),
      r('POST', '/v1/webhook_endpoints/:id', {
        spec: { url: 'string', enabled_events: 'array', disabled: 'boolean', description: 'string', metadata, expand: 'array' },
        handler: (c) => {
          const endpoint = this.endpoint(c.path.id!);
          if (c.params.url) endpoint.url = c.params.url as string;
          if (c.params.enabled_events) endpoint.enabledEvents = c.params.enabled_events as string[];
          if (c.params.disabled !== undefined) endpoint.status = c.params.disabled ? 'disabled' : 'enabled';
          return endpointJson(endpoint);
        },
      }),
      r('DELETE', '/v1/webhook_endpoints/:id', {
        handler: (c) => {
          this.endpoint(c.path.id!);
          this.webhooks.endpoints.delete(c.path.id!);
          return { id: c.path.id, object: 'webhook_endpoint', deleted: true };
        },
      }),
    ];
  }

  private endpoint(id: string): Endpoint {
    const endpoint = this.webhooks.endpoints.get(id);
    if (!endpoint) throw resourceMissing('webhook_endpoint', id);
    return endpoint;
  }

  // ---- control API (tests, soak, CLI) ----

  private async control(method: string, url: URL, raw: string, res: ServerResponse): Promise<void> {
    const body = raw ? safeJson(raw) : {};
    const path = url.pathname.slice('/_local'.length);
    const info: RequestInfo = { id: `req_${randomToken(16)}`, idempotencyKey: null };
    try {
      if (method === 'POST' && path === '/reset') {
        this.reset();
        return send(res, 200, { ok: true });
      }
      if (method === 'POST' && path === '/faults') {
        this.injectFault(body as RequestFault);
        return send(res, 200, { faults: this.faults });
      }
      if (method === 'DELETE' && path === '/faults') {
        this.clearFaults();
        return send(res, 200, { faults: [] });
      }
      if (method === 'POST' && path === '/webhooks/faults') {
        this.setDeliveryFaults(body as DeliveryFaults);
        return send(res, 200, { faults: this.webhooks.faults });
      }
      if (method === 'POST' && path === '/webhooks/release') {
        return send(res, 200, { released: this.webhooks.release(body as { reverse?: boolean }) });
      }
      if (method === 'GET' && path === '/webhooks/log') return send(res, 200, { log: this.webhooks.log });
      if (method === 'POST' && path === '/clock/advance') {
        this.emulator.advanceClock(Number((body as { seconds?: number }).seconds ?? 0));
        return send(res, 200, { now: this.emulator.now() });
      }
      if (method === 'GET' && path === '/stats') {
        return send(res, 200, { total: this.requestCount(), routes: Object.fromEntries(this.requestCounts) });
      }
      if (method === 'DELETE' && path === '/stats') {
        this.requestCounts.clear();
        return send(res, 200, { total: 0 });
      }
      let m = /^\/charges\/([^/]+)\/dispute$/.exec(path);
      if (method === 'POST' && m) return send(res, 200, this.emulator.openDispute(m[1]!, body as { reason?: string }, info));
      m = /^\/disputes\/([^/]+)\/close$/.exec(path);
      if (method === 'POST' && m) {
        const outcome = (body as { outcome?: string }).outcome === 'won' ? 'won' : 'lost';
        return send(res, 200, this.emulator.closeDispute(m[1]!, outcome, info));
      }
      m = /^\/payment_intents\/([^/]+)\/authenticate$/.exec(path);
      if (method === 'POST' && m) {
        const outcome = (body as { outcome?: string }).outcome === 'fail' ? 'fail' : 'complete';
        return send(res, 200, this.emulator.authenticate(m[1]!, outcome, info));
      }
      send(res, 404, { error: { message: `Unknown control route ${method} ${path}` } });
    } catch (error) {
      if (error instanceof StripeApiError) return send(res, error.status, { error: error.body });
      throw error;
    }
  }

  // ---- browser pages: 3-D Secure authentication and receipts ----

  private page(method: string, url: URL, raw: string): { status: number; body: string } {
    const html = (status: number, body: string) => ({ status, body });
    const auth = /^\/authenticate\/([^/]+)$/.exec(url.pathname);
    if (auth) {
      const pi = this.emulator.paymentIntents.get(auth[1]!);
      const secret = method === 'POST' ? (qs.parse(raw).client_secret as string) : url.searchParams.get('client_secret');
      if (!pi || secret !== pi.client_secret) return html(404, '<h1>Unknown payment</h1>');
      const returnUrl = method === 'POST' ? (qs.parse(raw).return_url as string | undefined) : (url.searchParams.get('return_url') ?? undefined);
      if (method === 'POST') {
        const outcome = qs.parse(raw).outcome === 'fail' ? 'fail' : 'complete';
        if (pi.status === 'requires_action') {
          this.emulator.authenticate(pi.id, outcome, { id: `req_${randomToken(16)}`, idempotencyKey: null });
        }
        return html(200, authenticationPage(pi, { done: outcome, returnUrl }));
      }
      return html(200, authenticationPage(pi, { returnUrl }));
    }
    const receipt = /^\/receipts\/([^/]+)$/.exec(url.pathname);
    const charge = receipt ? this.emulator.charges.get(receipt[1]!) : undefined;
    if (!charge) return html(404, '<h1>No such receipt</h1>');
    return html(200, receiptPage(charge));
  }
}

export async function startLocalStripe(options: LocalStripeOptions = {}): Promise<LocalStripe> {
  return new LocalStripe(options).listen();
}

function endpointJson(e: Endpoint): Stripe.WebhookEndpoint {
  return {
    id: e.id,
    object: 'webhook_endpoint',
    api_version: null,
    application: null,
    created: e.created,
    description: e.description,
    enabled_events: e.enabledEvents,
    livemode: false,
    metadata: e.metadata,
    status: e.status,
    url: e.url,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 1_000_000) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Form bodies with bracket notation, as the SDK and Stripe.js send them. */
function parseForm(text: string): unknown {
  return qs.parse(text, { depth: 5, arrayLimit: 100, parameterLimit: 500, allowPrototypes: false });
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1];
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return {};
  }
}
