import { afterAll, beforeAll, beforeEach } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { admin, grantJobs, json, type Member, member, startTestApp, type TestApp } from './app.js';

/**
 * The checkout tests' app, for one test file: an admin (`boss`) and a member allowed to post jobs
 * (`poster`), with the local Stripe's faults and request counts cleared before each test; and the
 * small helpers those tests share. Read `s.t`, `s.boss` and `s.poster` inside tests.
 */
export function checkoutSuite() {
  const s = {} as { t: TestApp; boss: Member; poster: Member };
  beforeAll(async () => {
    s.t = await startTestApp();
    s.boss = await admin(s.t);
    s.poster = await member(s.t.app);
    await grantJobs(s.t, s.boss, s.poster.id);
  });
  afterAll(() => s.t.close());
  beforeEach(() => {
    s.t.stripe.clearFaults();
    s.t.stripe.requestCounts.clear();
  });

  let keySeq = 0;
  const newKey = () => `test-key-${++keySeq}-${Math.random().toString(36).slice(2)}`;

  async function listing(owner: Member = s.poster, published = true) {
    const res = await s.t.app.inject({
      method: 'POST',
      url: '/api/v1/articles',
      headers: owner.auth,
      payload: { title: `Job ${++keySeq}`, body_markdown: 'We are hiring.', job_listing: true, published },
    });
    return json(res).article as { id: number; title: string };
  }

  function pay(who: Member, payload: Record<string, unknown>, key: string | null = newKey()) {
    return s.t.app.inject({
      method: 'POST',
      url: '/api/v1/charges',
      headers: { ...who.auth, ...(key ? { 'idempotency-key': key } : {}) },
      payload,
    });
  }

  const jobIds = async () => json(await s.t.app.inject({ method: 'GET', url: '/api/v1/jobs' })).jobs.map((j: { id: number }) => j.id);
  const count = async (sql: string) => (await queryRows<{ n: number }>(s.t.database.db, `select count(*)::int as n from ${sql}`))[0]!.n;

  return { s, newKey, listing, pay, jobIds, count };
}
