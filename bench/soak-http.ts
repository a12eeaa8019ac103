import { type ApiClient, apiClient } from '../scripts/api/client.js';
import { sleep } from './lib.js';

export interface Reply {
  status: number;
  body: Record<string, any>;
}

/** A connection to the app that failed (`send` answered null): `persist` tries again. */
class LostConnection extends Error {}

/** Bodies that a Response may not have. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * The soak's requests to the app (through the proxy when there are several instances), counted:
 * a 5xx while the app is up is a finding, and so is a lost connection unless an instance was just killed.
 */
export class SoakHttp {
  /** The only instance is down (SIGKILLed, not yet back): its 5xx and lost connections are expected. */
  appDown = false;
  /** When an instance was killed; connection errors within two seconds after are its requests in flight. */
  killedAt = Number.NEGATIVE_INFINITY;
  requests = 0;
  readonly findings = {
    serverErrors: [] as string[],
    networkErrorsWhileUp: 0,
    networkErrorsAtKill: 0,
    /** Answered 502 by the proxy: in flight to the instance that was killed (retried like any 5xx). */
    lostInFlight: 0,
    /** Answered 503 payment_provider_unavailable: Stripe failed every one of the SDK's tries, the designed answer (the buyer retries with the same key). */
    providerUnavailable: 0,
  };

  constructor(readonly base: string) {}

  /** One request to the app (through the proxy), counted: a 5xx while it is up is a finding; null when the connection failed. */
  readonly send = async (method: string, url: string, headers: Record<string, string>, body?: string): Promise<{ res: Response; text: string } | null> => {
    this.requests++;
    const downAtStart = this.appDown;
    try {
      const res = await fetch(`${this.base}${url}`, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(60_000) });
      const text = await res.text();
      if (res.headers.get('x-proxy-error') === 'upstream-lost') this.findings.lostInFlight++;
      else if (res.status === 503 && text.includes('"code":"payment_provider_unavailable"')) this.findings.providerUnavailable++;
      else if (res.status >= 500 && !downAtStart && !this.appDown) this.findings.serverErrors.push(`${method} ${url} → ${res.status} ${text.slice(0, 200)}`);
      return { res, text };
    } catch {
      if (!downAtStart && !this.appDown) {
        this.findings.networkErrorsWhileUp++;
        if (Date.now() - this.killedAt < 2000) this.findings.networkErrorsAtKill++;
      }
      return null;
    }
  };

  /**
   * Retries while the app is down or unreachable, the way a person would reload: `call` is made with
   * the typed API client, whose requests go through `send` (counted, with its findings).
   */
  readonly persist = async <R extends { response: Response; error?: unknown }>(token: string | undefined, call: (api: ApiClient) => Promise<R>): Promise<R> => {
    let tried = '';
    const api = apiClient(this.base, token, async (request) => {
      const url = new URL(request.url);
      tried = `${request.method} ${url.pathname}`;
      const sent = await this.send(request.method, url.pathname + url.search, Object.fromEntries(request.headers), request.body ? await request.text() : undefined);
      if (!sent) throw new LostConnection(tried);
      return new Response(NULL_BODY_STATUSES.has(sent.res.status) ? null : sent.text, sent.res);
    });
    for (let attempt = 0; ; attempt++) {
      const reply = await call(api).catch((error: unknown) => {
        if (error instanceof LostConnection) return null;
        throw error;
      });
      // 409 request_in_progress: our earlier try with this key is still at Stripe; the same key again gets its answer.
      const code = (reply?.error as { error?: { code?: string } } | undefined)?.error?.code;
      if (reply && reply.response.status < 500 && !(reply.response.status === 409 && code === 'request_in_progress')) return reply;
      if (attempt > 200) throw new Error(`gave up on ${tried}`);
      await sleep(this.appDown ? 300 : 150);
    }
  };
}

/**
 * A buyer's browser on the app's pages: cookies kept, redirects within the site followed, and a 5xx
 * or a lost connection answered by reloading. Answers the last page's status, path and HTML.
 */
export class Browser {
  constructor(private readonly http: SoakHttp) {}

  private readonly cookies = new Map<string, string>();

  async visit(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<{ status: number; path: string; html: string }> {
    for (let hops = 0; hops < 10; hops++) {
      const sent = await this.load(method, url, form);
      const location = sent.res.headers.get('location');
      if (sent.res.status < 300 || sent.res.status >= 400 || !location) return { status: sent.res.status, path: url, html: sent.text };
      const next = new URL(location, this.http.base);
      if (next.origin !== new URL(this.http.base).origin) throw new Error(`${url} sent the browser off the site, to ${location}`);
      method = 'GET';
      form = undefined;
      url = next.pathname + next.search;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  async logIn(email: string, password: string): Promise<void> {
    const page = await this.visit('GET', '/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.html)?.[1];
    if (!csrf) throw new Error(`no CSRF token on /login (${page.status})`);
    await this.visit('POST', '/login', { email, password, _csrf: csrf });
    if (!this.cookies.has('sid')) throw new Error('logging in set no session cookie');
  }

  private async load(method: string, url: string, form?: Record<string, string>) {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), accept: 'text/html' };
      if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
      const sent = await this.http.send(method, url, headers, form ? new URLSearchParams(form).toString() : undefined);
      if (sent) {
        for (const cookie of sent.res.headers.getSetCookie()) {
          const [pair = ''] = cookie.split(';');
          const eq = pair.indexOf('=');
          const [name, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
          if (value && !/max-age=0|expires=thu, 01 jan 1970/i.test(cookie)) this.cookies.set(name, value);
          else this.cookies.delete(name);
        }
        if (sent.res.status < 500) return sent;
      }
      if (attempt > 200) throw new Error(`gave up on ${method} ${url}`);
      await sleep(this.http.appDown ? 300 : 150);
    }
  }
}

