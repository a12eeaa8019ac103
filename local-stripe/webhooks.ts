import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type Stripe from 'stripe';

export interface Endpoint {
  id: string;
  url: string;
  secret: string;
  enabledEvents: string[];
  created: number;
  description: string | null;
  metadata: Record<string, string>;
  status: 'enabled' | 'disabled';
  /** The API version its events are rendered in; null: the account's default. */
  apiVersion: string | null;
}

/**
 * How deliveries misbehave, for tests. `hold` queues events until `release()`; `drop` loses them;
 * `duplicates` sends each extra times; the rates apply at random (seeded) for soak runs.
 */
export interface DeliveryFaults {
  hold?: boolean;
  drop?: boolean;
  duplicates?: number;
  delayMs?: number;
  dropRate?: number;
  duplicateRate?: number;
  delayRate?: number;
}

interface Delivery {
  endpoint: Endpoint;
  event: Stripe.Event;
  attempt: number;
}

export function signPayload(secret: string, payload: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

/** POSTs one delivery and resolves with the status; the response body is read and discarded. */
function post(agents: { http: http.Agent; https: https.Agent }, url: string, body: string, headers: Record<string, string>): Promise<number> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      target,
      { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent: secure ? agents.https : agents.http, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('webhook delivery timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

/** Delivers events to webhook endpoints, signed as Stripe signs them, retrying failures with backoff. */
export class WebhookDispatcher {
  readonly endpoints = new Map<string, Endpoint>();
  faults: DeliveryFaults = {};
  private held: Delivery[] = [];
  private inFlight = new Set<Promise<void>>();
  private timers = new Set<NodeJS.Timeout>();
  private idleWaiters: Array<() => void> = [];
  private random: () => number;
  // Kept-alive connections, as Stripe reuses them: a new connection per event costs more than the event.
  private agents = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) };
  /** The latest attempts (up to 1,000), for tests and the CLI's log. */
  readonly log: Array<{ eventId: string; type: string; url: string; status: number | 'error'; attempt: number }> = [];

  constructor(
    private readonly options: { retryBaseMs?: number; maxAttempts?: number; seed?: number } = {},
  ) {
    let state = options.seed ?? 1;
    // mulberry32: a small seeded PRNG so fault rates are repeatable.
    this.random = () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  dispatch(event: Stripe.Event): void {
    for (const endpoint of this.endpoints.values()) {
      if (endpoint.status !== 'enabled') continue;
      if (!endpoint.enabledEvents.includes('*') && !endpoint.enabledEvents.includes(event.type)) continue;
      this.enqueue({ endpoint, event, attempt: 1 });
    }
  }

  private enqueue(delivery: Delivery): void {
    const f = this.faults;
    if (f.drop || (f.dropRate && this.random() < f.dropRate)) return;
    if (f.hold) {
      this.held.push(delivery);
      return;
    }
    let copies = 1 + (f.duplicates ?? 0);
    if (f.duplicateRate && this.random() < f.duplicateRate) copies += 1;
    const delay = f.delayMs ?? (f.delayRate && this.random() < f.delayRate ? 200 + Math.floor(this.random() * 800) : 0);
    for (let i = 0; i < copies; i++) this.schedule(delivery, delay);
  }

  /** Delivers what `hold` kept back, in order or reversed. */
  release(options: { reverse?: boolean } = {}): number {
    const held = options.reverse ? this.held.reverse() : this.held;
    this.held = [];
    for (const delivery of held) this.schedule(delivery, 0);
    return held.length;
  }

  get heldCount(): number {
    return this.held.length;
  }

  private schedule(delivery: Delivery, delayMs: number): void {
    if (delayMs <= 0) {
      this.track(this.send(delivery));
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.track(this.send(delivery));
    }, delayMs);
    this.timers.add(timer);
  }

  private track(promise: Promise<void>): void {
    this.inFlight.add(promise);
    promise.finally(() => {
      this.inFlight.delete(promise);
      if (this.inFlight.size === 0 && this.timers.size === 0) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    });
  }

  private async send(delivery: Delivery): Promise<void> {
    const { endpoint, event } = delivery;
    // An endpoint created with an api_version gets its events in that version (the objects here have one shape).
    const payload = JSON.stringify({ ...event, api_version: endpoint.apiVersion ?? event.api_version, pending_webhooks: 1 }, null, 2);
    let status: number | 'error' = 'error';
    try {
      status = await post(this.agents, endpoint.url, payload, {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'stripe-signature': signPayload(endpoint.secret, payload),
      });
    } catch {
      status = 'error';
    }
    this.log.push({ eventId: event.id, type: event.type, url: endpoint.url, status, attempt: delivery.attempt });
    if (this.log.length > 1_000) this.log.splice(0, this.log.length - 1_000);
    const ok = typeof status === 'number' && status >= 200 && status < 300;
    const maxAttempts = this.options.maxAttempts ?? 6;
    if (!ok && delivery.attempt < maxAttempts) {
      const backoff = (this.options.retryBaseMs ?? 500) * 2 ** (delivery.attempt - 1);
      this.schedule({ ...delivery, attempt: delivery.attempt + 1 }, backoff);
    }
  }

  /** Sends one stored event again to every matching endpoint (like the Dashboard's "Resend"). */
  resend(event: Stripe.Event): void {
    for (const endpoint of this.endpoints.values()) {
      if (endpoint.enabledEvents.includes('*') || endpoint.enabledEvents.includes(event.type)) {
        this.schedule({ endpoint, event, attempt: 1 }, 0);
      }
    }
  }

  /** Resolves when nothing is being delivered or waiting to be retried (held events excepted). */
  idle(): Promise<void> {
    if (this.inFlight.size === 0 && this.timers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  reset(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.held = [];
    this.faults = {};
    this.endpoints.clear();
    this.log.length = 0;
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
