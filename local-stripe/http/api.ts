import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidApiKey, invalidRequest, StripeApiError } from '../errors.js';
import { validate } from '../params.js';
import { randomToken } from '../random.js';
import { API_VERSION, type RequestInfo, type Store } from '../store.js';
import type { WebhookDispatcher } from '../webhooks.js';
import { type KeyKind, type Keys, keyKind, presentedKey, publishableRefused } from './auth.js';
import { type Faults, failWith } from './faults.js';
import { type Expandable, expand } from './lists.js';
import type { Route, Router } from './router.js';
import { header, parseForm, readBody, send } from './transport.js';
import { KNOWN_API_VERSIONS } from './versions.js';

interface Outcome {
  status: number;
  body: unknown;
}

interface SavedRequest {
  fingerprint: string;
  created: number;
  /** The first request's id, named in replays' `Original-Request` header. */
  requestId: string;
  result: Outcome;
}

/** The `/v1/*` API: authentication, versions, idempotency, faults, then the matching resource's route. */
export class Api {
  /** Results by `<api key>:<idempotency key>`, as Stripe scopes keys per account. */
  readonly idempotency = new Map<string, SavedRequest>();
  /** Keys whose first request is still being answered. */
  private readonly inFlight = new Set<string>();
  /** Requests per route (`POST /v1/payment_intents`), for round-trip counts. */
  readonly requestCounts = new Map<string, number>();

  constructor(
    private readonly router: Router,
    private readonly store: Store,
    private readonly webhooks: WebhookDispatcher,
    private readonly faults: Faults,
    private readonly keys: Keys,
    private readonly expandable: Expandable,
  ) {}

  reset(): void {
    this.idempotency.clear();
    this.requestCounts.clear();
  }

  /** CORS preflight: answered for the routes Stripe.js calls, and no others. */
  preflight(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const match = this.router.match(header(req, 'access-control-request-method') ?? '', url.pathname);
    if (match?.route.publishable) {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-allow-methods', 'GET, POST');
      res.setHeader('access-control-allow-headers', 'content-type');
      res.setHeader('access-control-max-age', '600');
    }
    res.writeHead(204);
    res.end();
  }

  async handle(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
    const requestId = `req_${randomToken(16)}`;
    res.setHeader('request-id', requestId);
    const idempotencyKey = method === 'POST' ? (header(req, 'idempotency-key') ?? null) : null;
    // A key is in flight from the moment its request arrives until it is answered, as at Stripe.
    const scope = idempotencyKey ? `${presentedKey(req) ?? ''}:${idempotencyKey}` : null;
    if (scope && this.inFlight.has(scope)) {
      await readBody(req);
      return this.sendError(res, requestId, inProgress(idempotencyKey!));
    }
    if (scope) this.inFlight.add(scope);
    try {
      await this.answer(req, res, method, url, requestId, idempotencyKey);
    } finally {
      if (scope) this.inFlight.delete(scope);
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse, method: string, url: URL, requestId: string, idempotencyKey: string | null): Promise<void> {
    const raw = await readBody(req);
    const match = this.router.match(method, url.pathname);
    // Stripe.js calls these routes from the app's pages, on another origin; no other route is open to browsers.
    if (match?.route.publishable) res.setHeader('access-control-allow-origin', '*');
    const routeName = `${method} ${match ? match.route.path : '?'}`;
    this.requestCounts.set(routeName, (this.requestCounts.get(routeName) ?? 0) + 1);

    let input: Record<string, unknown>;
    try {
      const parsed = parseForm(method === 'GET' || method === 'DELETE' ? url.search.slice(1) : raw);
      input = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    } catch {
      return this.sendError(res, requestId, invalidRequest('Invalid request body.'));
    }
    // Stripe.js presents its publishable key as the `key` parameter; only that key may come that way.
    const formKey = typeof input.key === 'string' ? input.key : undefined;
    delete input.key;
    const headerKey = presentedKey(req);
    let kind: KeyKind;
    try {
      kind = keyKind(this.keys, headerKey ?? formKey);
      if (!headerKey && kind !== 'publishable') throw invalidApiKey(formKey);
    } catch (error) {
      return this.sendError(res, requestId, error as StripeApiError);
    }
    // The version a request asks for is echoed back; objects are rendered in API_VERSION's shape.
    const version = header(req, 'stripe-version') ?? API_VERSION;
    if (!KNOWN_API_VERSIONS.has(version)) return this.sendError(res, requestId, invalidRequest(`Invalid Stripe API version: ${version}`));
    res.setHeader('stripe-version', version);
    const publishable = kind === 'publishable';
    if (!match) {
      return this.sendError(
        res,
        requestId,
        invalidRequest(`Unrecognized request URL (${method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`, {}, 404),
      );
    }
    if (publishable && !match.route.publishable) return this.sendError(res, requestId, publishableRefused());

    const fault = this.faults.take(method, url.pathname);
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 500));
    else if (fault?.when === 'before') return failWith(res, fault, this.logUrl(requestId));

    const execute = () => this.execute(match.route, match.groups, input, { id: requestId, idempotencyKey }, publishable);
    let result: Outcome;
    if (idempotencyKey) {
      res.setHeader('idempotency-key', idempotencyKey);
      const scoped = `${headerKey ?? formKey}:${idempotencyKey}`;
      const fingerprint = createHash('sha256').update(`${method} ${url.pathname} ${canonical(input)}`).digest('hex');
      const saved = this.idempotency.get(scoped);
      if (saved && saved.created + 86400 > this.store.now()) {
        if (saved.fingerprint !== fingerprint) {
          return this.sendError(
            res,
            requestId,
            new StripeApiError(400, {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            }),
          );
        }
        res.setHeader('idempotent-replayed', 'true');
        res.setHeader('original-request', saved.requestId);
        result = saved.result;
      } else {
        result = execute();
        // As at Stripe, a request rejected by validation (4xx other than a card error) saves no result:
        // the same key may be used again once the request is corrected.
        if (!(result.status >= 400 && result.status < 500 && result.status !== 402)) {
          this.idempotency.set(scoped, { fingerprint, created: this.store.now(), requestId, result });
        }
      }
    } else {
      result = execute();
    }
    if (fault && fault.kind !== 'slow' && fault.when === 'after') return failWith(res, fault, this.logUrl(requestId));
    send(res, result.status, result.body);
  }

  private execute(route: Route, groups: Record<string, string>, input: unknown, request: RequestInfo, publishable: boolean): Outcome {
    try {
      const params = route.spec ? validate(input, route.spec, route.required ?? []) : validate(input, { expand: 'array' });
      const body = route.handler({ params, path: groups, request, publishable, store: this.store, webhooks: this.webhooks });
      return { status: 200, body: expand(this.store, this.expandable, body, (params.expand as string[] | undefined) ?? []) };
    } catch (error) {
      if (error instanceof StripeApiError) return this.errorOutcome(request.id, error);
      throw error;
    }
  }

  /** Every error names its request's log page, as Stripe's do. */
  private logUrl(requestId: string): string {
    return `https://dashboard.stripe.com/test/logs/${requestId}?t=${this.store.now()}`;
  }

  private sendError(res: ServerResponse, requestId: string, error: StripeApiError): void {
    const outcome = this.errorOutcome(requestId, error);
    send(res, outcome.status, outcome.body);
  }

  private errorOutcome(requestId: string, error: StripeApiError): Outcome {
    return { status: error.status, body: { error: { ...error.body, request_log_url: this.logUrl(requestId) } } };
  }
}

/** Stripe's answer to a second request with a key whose first is still being processed (the SDK retries it). */
const inProgress = (key: string) =>
  new StripeApiError(409, {
    type: 'idempotency_error',
    message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
  });

/** The parameters in a stable order, so one request's fingerprint does not depend on key order. */
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
