import type { ServerResponse } from 'node:http';
import { send } from './transport.js';

export interface RequestFault {
  /** `slow`: the request is processed after `delayMs`, its idempotency key in flight meanwhile. */
  kind: '500' | '429' | 'reset' | 'timeout' | 'slow';
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
  /** How long a `slow` request takes. */
  delayMs?: number;
}

/** Injected request failures: what a network or Stripe outage looks like to the SDK. */
export class Faults {
  list: RequestFault[] = [];
  private random = Math.random;

  inject(fault: RequestFault): void {
    this.list.push({ count: 1, ...fault });
  }

  clear(): void {
    this.list = [];
  }

  /**
   * The fault this request meets, if any (a counted fault is used up). Faults are tried in the order
   * injected: a rated one that spares the request passes it on to the next, so several rated faults
   * on one path each fail their own share.
   */
  take(method: string, pathname: string): RequestFault | undefined {
    for (const [index, fault] of this.list.entries()) {
      if ((fault.method && fault.method !== method) || (fault.path && !pathname.includes(fault.path))) continue;
      if (fault.rate !== undefined) {
        if (this.random() < fault.rate) return fault;
        continue;
      }
      fault.count = (fault.count ?? 1) - 1;
      if (fault.count <= 0) this.list.splice(index, 1);
      return fault;
    }
    return undefined;
  }
}

export function failWith(res: ServerResponse, fault: RequestFault, requestLogUrl: string): void {
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
      error: {
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
        request_log_url: requestLogUrl,
      },
    });
    return;
  }
  send(res, 500, { error: { type: 'api_error', message: 'An unknown error occurred. Please try again.', request_log_url: requestLogUrl } });
}
