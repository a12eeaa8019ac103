import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidApiKey, StripeApiError } from '../errors.js';
import { validate } from '../params.js';
import { randomToken } from '../random.js';
import { API_VERSION, type RequestInfo, type Store } from '../store.js';
import type { WebhookDispatcher } from '../webhooks.js';
import { type Faults, failWith } from './faults.js';
import { expand } from './lists.js';
import type { Route, Router } from './router.js';
import { header, parseForm, send } from './transport.js';

interface Outcome {
  status: number;
  body: unknown;
}

interface SavedRequest {
  fingerprint: string;
  created: number;
  result: Promise<Outcome>;
}

/** The `/v1/*` API: authentication, idempotency, faults, then the matching resource's route. */
export class Api {
  /** Results by `<api key>:<idempotency key>`, as Stripe scopes keys per account. */
  readonly idempotency = new Map<string, SavedRequest>();
  /** Requests per route (`POST /v1/payment_intents`), for round-trip counts. */
  readonly requestCounts = new Map<string, number>();

  constructor(
    private readonly router: Router,
    private readonly store: Store,
    private readonly webhooks: WebhookDispatcher,
    private readonly faults: Faults,
  ) {}

  reset(): void {
    this.idempotency.clear();
    this.requestCounts.clear();
  }

  async handle(req: IncomingMessage, res: ServerResponse, method: string, url: URL, raw: string): Promise<void> {
    const requestId = `req_${randomToken(16)}`;
    res.setHeader('request-id', requestId);
    res.setHeader('stripe-version', API_VERSION);
    const match = this.router.match(method, url.pathname);
    const routeName = `${method} ${match ? match.route.path : '?'}`;
    this.requestCounts.set(routeName, (this.requestCounts.get(routeName) ?? 0) + 1);

    const key = bearer(req.headers.authorization);
    const publishable = key?.startsWith('pk_test_') ?? false;
    if (!key || !(key.startsWith('sk_test_') || publishable) || key.length < 12) {
      send(res, 401, { error: invalidApiKey(key).body });
      return;
    }
    if (!match) {
      send(res, 404, {
        error: {
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
        },
      });
      return;
    }
    if (publishable && !match.route.publishable) {
      send(res, 401, { error: { type: 'invalid_request_error', message: 'This API call cannot be made with a publishable API key. Please use a secret API key.' } });
      return;
    }

    const fault = this.faults.take(method, url.pathname);
    if (fault?.when === 'before') return failWith(res, fault);

    const idempotencyKey = method === 'POST' ? (header(req, 'idempotency-key') ?? null) : null;
    let input: unknown;
    try {
      input = parseForm(method === 'GET' || method === 'DELETE' ? url.search.slice(1) : raw);
    } catch {
      send(res, 400, { error: { type: 'invalid_request_error', message: 'Invalid request body.' } });
      return;
    }
    const execute = () => this.execute(match.route, match.groups, input, { id: requestId, idempotencyKey }, publishable);

    let result: Outcome;
    let replayed = false;
    if (idempotencyKey) {
      const scoped = `${key}:${idempotencyKey}`;
      const fingerprint = createHash('sha256').update(`${method} ${url.pathname} ${canonical(input)}`).digest('hex');
      const existing = this.idempotency.get(scoped);
      if (existing && existing.created + 86400 > this.store.now()) {
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
        this.idempotency.set(scoped, { fingerprint, created: this.store.now(), result: promise });
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
    if (fault?.when === 'after') return failWith(res, fault);
    send(res, result.status, result.body);
  }

  private execute(route: Route, groups: Record<string, string>, input: unknown, request: RequestInfo, publishable: boolean): Outcome {
    try {
      const params = route.spec ? validate(input, route.spec, route.required ?? []) : validate(input, { expand: 'array' });
      const body = route.handler({ params, path: groups, request, publishable, store: this.store, webhooks: this.webhooks });
      return { status: 200, body: expand(this.store, body, (params.expand as string[] | undefined) ?? []) };
    } catch (error) {
      if (error instanceof StripeApiError) {
        return { status: error.status, body: { error: { ...error.body, request_log_url: `https://dashboard.stripe.com/test/logs/${request.id}` } } };
      }
      throw error;
    }
  }
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1];
}

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
