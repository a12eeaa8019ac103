import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_POSTER, DEMO_RECRUITER, seedDemoData } from '../src/demo.js';
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
});
