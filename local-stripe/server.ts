import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Emulator } from './emulator.js';
import { StripeApiError } from './errors.js';
import { Api } from './http/api.js';
import { checkKeys, type Keys, keyKind, presentedKey, publishableRefused, randomKeys } from './http/auth.js';
import { control } from './http/control.js';
import { Faults, type RequestFault } from './http/faults.js';
import { serveCheckoutPage } from './http/checkout_page.js';
import { servePage } from './http/pages.js';
import { Router } from './http/router.js';
import { readBody, send } from './http/transport.js';
import { resources } from './resources/index.js';
import { stripeJs } from './stripe-js/bundle.js';
import { createWebhookEndpoint } from './resources/webhook_endpoints.js';
import type { StoreOptions } from './store.js';
import { type DeliveryFaults, type Endpoint, newWebhookSecret, WebhookDispatcher } from './webhooks.js';

export type { RequestFault } from './http/faults.js';

export interface LocalStripeOptions extends StoreOptions {
  /** Keep the state in this JSON file across restarts (the app's embedded default uses DATA_DIR). */
  stateFile?: string;
  port?: number;
  host?: string;
  webhookRetryBaseMs?: number;
  webhookMaxAttempts?: number;
  /** The keys it accepts (`sk_test_…`, `pk_test_…`); random ones when absent, see `secretKey`. */
  secretKey?: string;
  publishableKey?: string;
}

/** A running local Stripe: the HTTP server, its state, and handles for tests. */
export class LocalStripe {
  readonly emulator: Emulator;
  readonly webhooks: WebhookDispatcher;
  readonly faults = new Faults();
  private readonly api: Api;
  private readonly keys: Keys;
  private server: Server;

  constructor(private readonly options: LocalStripeOptions = {}) {
    const generated = randomKeys();
    this.keys = { secretKey: options.secretKey ?? generated.secretKey, publishableKey: options.publishableKey ?? generated.publishableKey };
    checkKeys(this.keys);
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
    const expandable = new Map(resources.flatMap((r) => (r.expandable ? [[r.expandable.object, r.expandable.fields] as const] : [])));
    this.api = new Api(new Router(resources.flatMap((r) => r.routes)), this.emulator, this.webhooks, this.faults, this.keys, expandable);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        if (!res.headersSent) send(res, 500, { error: { type: 'api_error', message: String(error) } });
      });
    });
    this.server.keepAliveTimeout = 30_000;
  }

  /** Checkout Sessions expire as real time passes, not only when the emulated clock is moved. */
  private expiryTimer: NodeJS.Timeout | null = null;

  async listen(): Promise<this> {
    await stripeJs();
    if (!this.options.deterministic) {
      this.expiryTimer = setInterval(() => this.emulator.expireDueCheckoutSessions(), 10_000);
      this.expiryTimer.unref();
    }
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

  /** The secret key it accepts, for the app's (or a test's) Stripe client. */
  get secretKey(): string {
    return this.keys.secretKey;
  }

  /** The publishable key it accepts, for Stripe.js. */
  get publishableKey(): string {
    return this.keys.publishableKey;
  }

  /** Requests per route (`POST /v1/payment_intents`), for round-trip counts. */
  get requestCounts(): Map<string, number> {
    return this.api.requestCounts;
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
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.saveNow();
    this.webhooks.reset();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.emulator.reset();
    this.webhooks.reset();
    this.faults.clear();
    this.api.reset();
  }

  /** Makes matching requests fail; see RequestFault. */
  injectFault(fault: RequestFault): void {
    this.faults.inject(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  setDeliveryFaults(faults: DeliveryFaults): void {
    this.webhooks.faults = faults;
  }

  /** Registers a webhook endpoint directly (the CLI's --forward-to), returning its secret. */
  addWebhookEndpoint(url: string, secret = newWebhookSecret(), enabledEvents = ['*']): Endpoint {
    return createWebhookEndpoint(this.emulator, this.webhooks, url, secret, enabledEvents);
  }

  requestCount(route?: string): number {
    if (route) return this.requestCounts.get(route) ?? 0;
    let total = 0;
    for (const n of this.requestCounts.values()) total += n;
    return total;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') return this.api.preflight(req, res, url);
    // The API reads its own body: an idempotency key is in flight from the request's first byte.
    if (url.pathname.startsWith('/v1/')) return this.api.handle(req, res, method, url);
    const raw = await readBody(req);
    if (url.pathname.startsWith('/_local/')) {
      // The control API can reset, fake disputes and move the clock: it takes the secret key.
      let result: { status: number; body: unknown };
      try {
        if (keyKind(this.keys, presentedKey(req)) !== 'secret') throw publishableRefused();
        result = control(this, method, url, raw);
      } catch (error) {
        if (!(error instanceof StripeApiError)) throw error;
        result = { status: error.status, body: { error: error.body } };
      }
      send(res, result.status, result.body);
      return;
    }
    if (url.pathname === '/js/v3.js') {
      res.writeHead(200, { 'content-type': 'application/javascript; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(await stripeJs());
      return;
    }
    if (url.pathname.startsWith('/c/pay/')) {
      const result = serveCheckoutPage(this.emulator, method, url, raw);
      res.writeHead(result.status, result.headers);
      res.end(result.html);
      return;
    }
    if (url.pathname.startsWith('/authenticate/') || url.pathname.startsWith('/receipts/') || url.pathname.startsWith('/objects/')) {
      const result = servePage(this.emulator, method, url, raw);
      res.writeHead(result.status, result.headers);
      res.end(result.html);
      return;
    }
    send(res, 404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${url.pathname}).` } });
  }
}

export async function startLocalStripe(options: LocalStripeOptions = {}): Promise<LocalStripe> {
  return new LocalStripe(options).listen();
}
