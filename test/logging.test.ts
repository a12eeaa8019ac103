import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startupBanner } from '../src/operations/banner.js';
import { createLogger } from '../src/operations/logging.js';
import { startTestApp } from './helpers/app.js';

/** Logs one request-shaped entry and returns what was written. */
async function written(terminal: boolean): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk) => {
    text += chunk;
  });
  const logger = createLogger('info', terminal, out);
  logger.info({ req: { method: 'GET', url: '/password-reset/s3cr3t-token?x=1', ip: '127.0.0.1' } }, 'request completed');
  logger.flush();
  await new Promise((resolve) => setImmediate(resolve));
  return text;
}

describe('logs', () => {
  it('are one JSON object a line when not on a terminal, with no reset link secret', async () => {
    const text = await written(false);
    const entry = JSON.parse(text.trim().split('\n')[0]!);
    expect(entry).toMatchObject({ level: 30, msg: 'request completed', req: { method: 'GET', url: '/password-reset/[redacted]', remoteAddress: '127.0.0.1' } });
    expect(text).not.toContain('s3cr3t');
  });

  it('are lines a person reads on a terminal', async () => {
    const text = await written(true);
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: request completed/);
    expect(text).toContain('/password-reset/[redacted]');
    expect(text).not.toContain('s3cr3t');
  });
});

describe('the start-up banner', () => {
  const facts = { url: 'http://127.0.0.1:3000', database: 'embedded PGlite in .data/pglite', stripe: 'local Stripe on http://127.0.0.1:5555', mail: '.eml files in .data/mail' };

  it("shows the URL and the demo admin's credentials", () => {
    const banner = startupBanner({ ...facts, admin: { email: 'admin@devboard.local', password: 'pw-123' } });
    expect(banner).toContain('DevBoard is running at http://127.0.0.1:3000');
    expect(banner).toContain('admin@devboard.local / pw-123');
  });

  it('shows no password once the demo admin changed it, nor for a configured admin', () => {
    expect(startupBanner({ ...facts, admin: { email: 'admin@devboard.local', passwordChanged: true } })).toContain('its password was changed');
    const configured = startupBanner({ ...facts, admin: { email: 'root@example.test' } });
    expect(configured).toContain('Admin     root@example.test\n');
  });
});

describe('request logs', () => {
  it('are one line per request: method, path, status, time; no query string, no reset secret', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk) => {
      text += chunk;
    });
    const t = await startTestApp({ logger: createLogger('info', false, out) });
    try {
      await t.app.inject({ method: 'GET', url: '/healthz' });
      await t.app.inject({ method: 'GET', url: '/password-reset/s3cr3t-token' });
      await t.app.inject({ method: 'GET', url: '/charges/1/return?payment_intent_client_secret=pi_1_secret_s3cr3t' });
      await t.app.inject({ method: 'GET', url: '/no/such/page?token=s3cr3t' });
    } finally {
      await t.close();
    }
    const requests = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.req || entry.reqId);
    expect(requests.map((e) => [e.msg, e.req?.method, e.req?.url, e.res?.statusCode])).toEqual([
      ['request', 'GET', '/healthz', 200],
      ['request', 'GET', '/password-reset/[redacted]', expect.any(Number)],
      ['request', 'GET', '/charges/1/return', expect.any(Number)],
      ['request', 'GET', '/no/such/page', 404],
    ]);
    for (const entry of requests) expect(entry.responseTime).toBeGreaterThanOrEqual(0);
    expect(text).not.toContain('s3cr3t');
  });
});
