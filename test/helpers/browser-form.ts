import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** A tiny cookie jar over app.inject, to drive the HTML forms the way a browser does. */
export class FormClient {
  private cookies = new Map<string, string>();
  constructor(private app: FastifyInstance) {}

  private remember(res: LightMyRequestResponse) {
    for (const c of res.cookies as Array<{ name: string; value: string; maxAge?: number }>) {
      if (c.value === '' || c.maxAge === 0) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
  }

  get cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  cookie(name: string) {
    return this.cookies.get(name);
  }

  async get(url: string) {
    const res = await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader } });
    this.remember(res);
    return res;
  }

  /** Loads `page` for its CSRF token, then submits `fields` to `action`. */
  async submit(page: string, action: string, fields: Record<string, string>, withCsrf = true) {
    const csrf = csrfFrom((await this.get(page)).body);
    const payload = new URLSearchParams({ ...fields, ...(withCsrf ? { _csrf: csrf } : {}) }).toString();
    const res = await this.app.inject({
      method: 'POST',
      url: action,
      headers: { cookie: this.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
      payload,
    });
    this.remember(res);
    return res;
  }
}

export function csrfFrom(html: string): string {
  const match = html.match(/name="_csrf" value="([^"]+)"/);
  if (!match) throw new Error('no CSRF token on the page');
  return match[1]!;
}
