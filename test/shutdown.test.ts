import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { member, startTestApp } from './helpers/app.js';

it('answers a checkout in flight when it closes, and ends that connection with it instead of waiting out its keep-alive', async () => {
  const t = await startTestApp();
  let closed = false;
  const agent = new http.Agent({ keepAlive: true });
  try {
    const buyer = await member(t.app);
    // Stripe holds the create-and-confirm while the app is told to close (a deploy's SIGTERM).
    t.stripe.injectFault({ kind: 'slow', when: 'before', delayMs: 500, path: '/v1/payment_intents', method: 'POST', count: 1 });
    const body = JSON.stringify({ product: 'billboard', payment_method: 'pm_card_visa', headline: 'Ship faster', link_url: 'https://acme.example/ci' });
    const answer = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port: (t.app.server.address() as AddressInfo).port,
          method: 'POST',
          path: '/api/v1/charges',
          agent,
          headers: { ...buyer.auth, 'content-type': 'application/json', 'idempotency-key': 'shutdown-test' },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    for (let waited = 0; t.stripe.requestCount('POST /v1/payment_intents') === 0; waited += 10) {
      if (waited > 10_000) throw new Error(`the checkout never reached Stripe: ${JSON.stringify(await Promise.race([answer, 'no answer yet']))}`);
      await new Promise((r) => setTimeout(r, 10));
    }

    // Without `Connection: close` on that answer, close would wait 72 s for the idle connection, past this test's limit.
    await t.close();
    closed = true;
    const res = await answer;
    expect(res.status, res.body).toBe(201);
    expect(res.connection).toBe('close');
    expect(JSON.parse(res.body).charge).toMatchObject({ status: 'succeeded', product: 'billboard' });
  } finally {
    agent.destroy();
    if (!closed) await t.close();
  }
});

it('keeps connections open between answers while it runs', async () => {
  const t = await startTestApp();
  try {
    const res = await fetch(`http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('keep-alive');
  } finally {
    await t.close();
  }
});
