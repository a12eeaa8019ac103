import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_POSTER, DEMO_RECRUITER, seedDemoData } from '../src/demo.js';
import { queryRows } from '../src/db/client.js';
import { json, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('demo data', () => {
  it('has an organization with two members and a paid job listing on its behalf, shown on /jobs', async () => {
    await seedDemoData(t.database.db, (markdown, authorId) => t.app.markdown.render(markdown, authorId), t.clock, t.app.payments.checkout, pino({ level: 'silent' }));
    const token = json(await t.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { email: DEMO_RECRUITER.email, password: DEMO_RECRUITER.password } })).token;
    const members = json(await t.app.inject({ method: 'GET', url: '/api/v1/organizations/acme/members', headers: { authorization: `Bearer ${token}` } })).members;
    expect(members.map((m: { username: string; role: string }) => [m.username, m.role])).toEqual([
      [DEMO_POSTER.username, 'admin'],
      [DEMO_RECRUITER.username, 'member'],
    ]);
    const jobs = json(await t.app.inject({ method: 'GET', url: '/api/v1/jobs' })).jobs;
    expect(jobs.find((j: { title: string }) => j.title.startsWith('Senior TypeScript'))).toMatchObject({ paid: true, organization: { slug: 'acme', name: 'Acme' } });
    expect(jobs.find((j: { title: string }) => j.title.startsWith('Platform Engineer'))).toMatchObject({ paid: true, organization: null });
  });

  it("has Acme's credits: 10 bought by card at its own Stripe customer, one spent on its listing, as its ledger says", async () => {
    const token = json(await t.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { email: DEMO_RECRUITER.email, password: DEMO_RECRUITER.password } })).token;
    const ledger = json(await t.app.inject({ method: 'GET', url: '/api/v1/credits?organization=acme', headers: { authorization: `Bearer ${token}` } }));
    expect(ledger.balance).toBe(9);
    expect(ledger.entries.map((e: { reason: string; change: number; by: string }) => [e.reason, e.change, e.by])).toEqual([
      ['purchase', 10, DEMO_POSTER.username],
      ['spend', -1, DEMO_POSTER.username],
    ]);
    const [purchase] = await queryRows<{ amount: number; status: string; customer: string | null }>(
      t.database.db,
      `select c.amount::int as amount, c.status, o.stripe_customer_key is not null as customer from charges c, organizations o where c.id = ${ledger.entries[0].charge_id} and o.slug = 'acme'`,
    );
    expect(purchase).toMatchObject({ amount: 23250, status: 'succeeded', customer: true });
    const [spend] = await queryRows<{ product: string; status: string; intent: string | null }>(
      t.database.db,
      `select product, status, stripe_charge_key as intent from charges where id = ${ledger.entries[1].charge_id}`,
    );
    expect(spend).toEqual({ product: 'job_listing', status: 'succeeded', intent: null });
  });
});
