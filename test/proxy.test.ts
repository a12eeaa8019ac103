import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { member, startTestApp, type TestApp } from './helpers/app.js';

/** Behind a TLS-terminating proxy: what the app believes of X-Forwarded-* depends on TRUST_PROXY. */
let trusting: TestApp;
let direct: TestApp;

beforeAll(async () => {
  [trusting, direct] = await Promise.all([startTestApp({ rateLimits: true, trustProxy: ['127.0.0.1'] }), startTestApp({ rateLimits: true })]);
});
afterAll(() => Promise.all([trusting.close(), direct.close()]));

const forwarded = (proto: string, client?: string) => ({ 'x-forwarded-proto': proto, ...(client ? { 'x-forwarded-for': client } : {}) });
const setCookies = (headers: Record<string, unknown>) => [headers['set-cookie'] ?? []].flat().map(String);

async function login(t: TestApp, headers: Record<string, string>) {
  const m = await member(t.app);
  const page = await t.app.inject({ method: 'GET', url: '/login', headers, remoteAddress: '127.0.0.1' });
  const csrfCookie = setCookies(page.headers)[0]!.split(';')[0]!;
  const csrf = page.body.match(/name="_csrf" value="([^"]+)"/)![1]!;
  const res = await t.app.inject({
    method: 'POST',
    url: '/login',
    remoteAddress: '127.0.0.1',
    headers: { ...headers, cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email: m.email, password: m.password, _csrf: csrf }).toString(),
  });
  return { page, res };
}

describe('TRUST_PROXY', () => {
  it('marks the session and CSRF cookies Secure and sends HSTS when a trusted proxy says HTTPS', async () => {
    const { page, res } = await login(trusting, forwarded('https'));
    expect(res.statusCode).toBe(303);
    const cookies = [...setCookies(page.headers), ...setCookies(res.headers)];
    expect(cookies.some((c) => c.startsWith('sid='))).toBe(true);
    for (const c of cookies) expect(c, c.split('=')[0]).toMatch(/; Secure/);
    expect(page.headers['strict-transport-security']).toBe('max-age=15552000; includeSubDomains');
  });

  it('believes no X-Forwarded-Proto without TRUST_PROXY: no Secure flag, no HSTS over plain HTTP', async () => {
    for (const t of [direct, trusting]) {
      const headers = t === direct ? forwarded('https') : {};
      const { page, res } = await login(t, headers);
      expect(res.statusCode).toBe(303);
      for (const c of [...setCookies(page.headers), ...setCookies(res.headers)]) expect(c).not.toMatch(/Secure/);
      expect(page.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('keys rate limits by the forwarded client address only when the proxy is trusted', async () => {
    const attempts = async (t: TestApp, client: string) => {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/tokens',
          remoteAddress: '127.0.0.1',
          headers: forwarded('https', client),
          payload: { email: `nobody${i}@example.test`, password: 'wrong password' },
        });
        statuses.push(res.statusCode);
      }
      return statuses;
    };
    // Trusted: each client behind the proxy has its own budget.
    expect((await attempts(trusting, '203.0.113.7')).at(-1)).toBe(429);
    expect((await attempts(trusting, '203.0.113.8'))[0]).toBe(401);
    // Not trusted: the header is ignored, so a forged one does not buy a fresh budget.
    expect((await attempts(direct, '203.0.113.7')).at(-1)).toBe(429);
    expect((await attempts(direct, '203.0.113.9'))[0]).toBe(429);
  });
});

describe('configuration', () => {
  const base = { SESSION_SECRET: 's'.repeat(32) };
  it('reads RENEWALS_INTERVAL_MINUTES, and its first name LISTING_UPKEEP_INTERVAL_MINUTES when it is unset', () => {
    expect(loadConfig(base).renewalsIntervalMinutes).toBe(5);
    expect(loadConfig({ ...base, LISTING_UPKEEP_INTERVAL_MINUTES: '7' }).renewalsIntervalMinutes).toBe(7);
    expect(loadConfig({ ...base, LISTING_UPKEEP_INTERVAL_MINUTES: '7', RENEWALS_INTERVAL_MINUTES: '0' }).renewalsIntervalMinutes).toBe(0);
    expect(() => loadConfig({ ...base, RENEWALS_INTERVAL_MINUTES: '61' })).toThrow(/RENEWALS_INTERVAL_MINUTES/);
  });
  it('reads TRUST_PROXY as off, on, or a list of proxy addresses, and refuses anything else', () => {
    expect(loadConfig(base).trustProxy).toBe(false);
    expect(loadConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ ...base, TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1' }).trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    expect(() => loadConfig({ ...base, TRUST_PROXY: 'yes please' })).toThrow(/TRUST_PROXY/);
    expect(loadConfig({ ...base, HSTS_MAX_AGE: '0' }).hstsMaxAge).toBe(0);
    expect(loadConfig({ ...base, PUBLIC_URL: 'https://devboard.example/' }).publicUrl).toBe('https://devboard.example');
  });
});
