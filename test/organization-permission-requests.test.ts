import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { admin, json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

let t: TestApp;
let boss: Member;
let ada: Member;
let bob: Member;
let eve: Member;
let bossBrowser: FormClient;

beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
  [ada, bob, eve] = [await member(t.app, 'pada'), await member(t.app, 'pbob'), await member(t.app, 'peve')];
  for (const [name, slug] of [
    ['Ask Co', 'ask-co'],
    ['No Co', 'no-co'],
    ['Page Co', 'page-co'],
    ['Grant Co', 'grant-co'],
  ]) {
    await call(ada, 'POST', '/api/v1/organizations', { name, slug });
    await call(ada, 'POST', `/api/v1/organizations/${slug}/members`, { username: 'pbob', role: 'member' });
  }
  bossBrowser = await signedIn(boss);
});
afterAll(() => t.close());

const call = (who: Member, method: 'GET' | 'POST', url: string, payload?: object) => t.app.inject({ method, url, headers: who.auth, ...(payload ? { payload } : {}) });
const ask = (who: Member, slug: string, note: unknown = 'We hire Rust engineers.') => call(who, 'POST', `/api/v1/organizations/${slug}/permission-requests`, { note });
async function signedIn(m: Member): Promise<FormClient> {
  const browser = new FormClient(t.app);
  await browser.submit('/login', '/login', { email: m.email, password: m.password });
  return browser;
}
const requestsFor = (slug: string) =>
  queryRows<{ id: number; user_id: number; status: string; note: string }>(
    t.database.db,
    `select r.id, r.user_id, r.status, r.note from permission_requests r join organizations o on o.id = r.organization_id where o.slug = '${slug}' order by r.id`,
  );
const orgCanPost = async (slug: string) => (await queryRows<{ can_post_jobs: boolean }>(t.database.db, `select can_post_jobs from organizations where slug = '${slug}'`))[0]!.can_post_jobs;
const userCanPost = async (id: number) => (await queryRows<{ can_post_jobs: boolean }>(t.database.db, `select can_post_jobs from users where id = ${id}`))[0]!.can_post_jobs;
const audits = (action: string, subjectType: string) =>
  queryRows<{ subject_id: string; actor: string }>(t.database.db, `select subject_id, actor from audit_log where action = '${action}' and subject_type = '${subjectType}' order by id`);
const mail = (id: number, status: string) => readFileSync(path.join(t.mailDir, `permission-request-${id}-${status}.eml`), 'utf8');
const jobListing = (who: Member, organization: string) =>
  call(who, 'POST', '/api/v1/articles', { title: 'Rust engineer', body_markdown: 'Remote.', published: true, job_listing: true, organization });

describe("an organization admin asks for the organization's permission to post jobs", () => {
  it('takes the request (201, audited), the site admin sees it with the organization and approves: the organization can post, its member posts for it, the admin who asked is e-mailed', async () => {
    expect((await jobListing(bob, 'ask-co')).statusCode).toBe(403);
    const asked = await ask(ada, 'ask-co');
    expect(asked.statusCode).toBe(201);
    const created = json(asked).permission_request;
    expect(created).toMatchObject({ user_id: ada.id, status: 'pending', note: 'We hire Rust engineers.', organization: { slug: 'ask-co', name: 'Ask Co' }, decided_at: null });
    expect((await audits('permission.requested', 'permission_request')).map((a) => a.subject_id)).toContain(String(created.id));

    const list = json(await call(boss, 'GET', '/api/v1/admin/permission-requests')).permission_requests;
    expect(list.find((r: { id: number }) => r.id === created.id)).toMatchObject({ username: ada.username, organization: { slug: 'ask-co', name: 'Ask Co' } });
    const page = await bossBrowser.get('/admin/permission-requests');
    expect(page.body).toContain('for the organization Ask Co');
    expect(page.body).toContain('aria-label="Approve Ask Co"');

    const approved = await bossBrowser.submit('/admin/permission-requests', `/admin/permission-requests/${created.id}`, { decision: 'approve' });
    expect(approved.headers.location).toBe('/admin/permission-requests?done=organization_approved');
    expect((await bossBrowser.get(approved.headers.location as string)).body).toContain("the organization's members can post job listings on its behalf now");
    expect(await orgCanPost('ask-co')).toBe(true);
    expect(await userCanPost(ada.id)).toBe(false);
    expect((await requestsFor('ask-co')).map((r) => r.status)).toEqual(['approved']);
    expect((await audits('permission.granted', 'organization')).at(-1)?.actor).toBe(`user:${boss.id}`);
    const eml = mail(created.id, 'approved');
    expect(eml).toContain(`To: ${ada.email}`);
    expect(eml).toContain('Ask Co can now post job listings');

    expect((await jobListing(bob, 'ask-co')).statusCode).toBe(201);
    const again = await ask(ada, 'ask-co');
    expect(again.statusCode).toBe(409);
    expect(json(again).error.code).toBe('already_allowed');
  });

  it('refuses its members (403) and anyone else (404), a second pending request (409) and a bad note (400), writing nothing', async () => {
    expect((await ask(bob, 'no-co')).statusCode).toBe(403);
    expect((await ask(eve, 'no-co')).statusCode).toBe(404);
    expect((await ask(eve, 'no-such-co')).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/organizations/no-co/permission-requests', payload: { note: 'x' } })).statusCode).toBe(401);
    for (const note of ['   ', 'x'.repeat(501), 42]) {
      const bad = await ask(ada, 'no-co', note);
      expect(bad.statusCode).toBe(400);
      expect(json(bad).error.fields).toHaveProperty('note');
    }
    expect(await requestsFor('no-co')).toEqual([]);

    // Two at once: the partial unique index lets one through; the admin's own request is another matter.
    const raced = await Promise.all([1, 2, 3].map((n) => ask(ada, 'no-co', `try ${n}`)));
    expect(raced.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    expect(raced.map((r) => json(r).error?.code).filter(Boolean)).toEqual(['request_pending', 'request_pending']);
    expect(await requestsFor('no-co')).toHaveLength(1);
    expect((await call(ada, 'POST', '/api/v1/me/permission-requests', { note: 'for myself' })).statusCode).toBe(201);
  });

  it('declines with an e-mail naming the organization; it cannot post and its admin may ask again', async () => {
    const [pending] = await requestsFor('no-co');
    const declined = await call(boss, 'POST', `/api/v1/admin/permission-requests/${pending!.id}`, { decision: 'decline' });
    expect(declined.statusCode).toBe(200);
    expect(json(declined)).toMatchObject({ permission_request: { status: 'declined', organization: { slug: 'no-co' } }, user: { username: ada.username }, changed: true, mailed: true });
    expect(await orgCanPost('no-co')).toBe(false);
    const eml = mail(pending!.id, 'declined');
    expect(eml).toContain(`To: ${ada.email}`);
    expect(eml).toContain('declined your request for No Co');
    // The admin's own request is still waiting: deciding for the organization did not touch it.
    const own = json(await call(boss, 'GET', '/api/v1/admin/permission-requests')).permission_requests.filter((r: { user_id: number }) => r.user_id === ada.id);
    expect(own.map((r: { organization: unknown }) => r.organization)).toEqual([null]);
    const browser = await signedIn(ada);
    expect((await browser.get('/organizations/no-co')).body).toContain('data-permission="declined"');
    expect((await ask(ada, 'no-co', 'We are a real company.')).statusCode).toBe(201);
  });

  it('closes its pending request when a site admin grants the permission on the organization, leaving the asker\'s own request alone', async () => {
    expect((await ask(ada, 'grant-co')).statusCode).toBe(201);
    expect((await call(boss, 'POST', '/api/v1/admin/organizations/grant-co/permissions', { can_post_jobs: true })).statusCode).toBe(200);
    expect((await requestsFor('grant-co')).map((r) => r.status)).toEqual(['approved']);
    const pending = json(await call(boss, 'GET', '/api/v1/admin/permission-requests')).permission_requests;
    expect(pending.filter((r: { organization: { slug: string } | null }) => r.organization?.slug === 'grant-co')).toEqual([]);
    expect(pending.filter((r: { user_id: number; organization: unknown }) => r.user_id === ada.id && r.organization === null)).toHaveLength(1);
  });
});

describe("the organization's page", () => {
  it('offers its admins the form, keeps the typed note with its error beside it, confirms, then shows the request waiting', async () => {
    const browser = await signedIn(ada);
    const page = await browser.get('/organizations/page-co');
    expect(page.body).toContain('Ask to post job listings');
    expect(page.body).toContain('action="/organizations/page-co/permission-requests"');

    const long = 'y'.repeat(501);
    const tooLong = await browser.submit('/organizations/page-co', '/organizations/page-co/permission-requests', { note: long });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toContain(`>${long}</textarea>`);
    expect(tooLong.body).toMatch(/<span class="field-error" id="note-error">At most 500 characters.<\/span>/);
    const empty = await browser.submit('/organizations/page-co', '/organizations/page-co/permission-requests', { note: '  ' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Say in a few words what you will post.');
    expect(await requestsFor('page-co')).toEqual([]);

    const sent = await browser.submit('/organizations/page-co', '/organizations/page-co/permission-requests', { note: 'Two backend roles.' });
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toBe('/organizations/page-co?done=permission_requested');
    const after = await browser.get(sent.headers.location as string);
    expect(after.body).toContain('Asked: a site admin will answer');
    expect(after.body).toContain('data-permission="pending"');
    expect(after.body).not.toContain('action="/organizations/page-co/permission-requests"');

    const twice = await browser.submit('/organizations/page-co', '/organizations/page-co/permission-requests', { note: 'Again.' });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('Someone already asked for Page Co');
    expect(await requestsFor('page-co')).toHaveLength(1);
  });

  it('shows no form to its members, refuses theirs (403), and shows none once it can post', async () => {
    const browser = await signedIn(bob);
    expect((await browser.get('/organizations/page-co')).body).not.toContain('Ask to post job listings');
    const refused = await browser.submit('/organizations/page-co', '/organizations/page-co/permission-requests', { note: 'me' });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain("Only the organization's admins can do this.");
    const outsider = await signedIn(eve);
    expect((await outsider.submit('/organizations', '/organizations/page-co/permission-requests', { note: 'me' })).statusCode).toBe(404);
    const adaBrowser = await signedIn(ada);
    const allowed = await adaBrowser.get('/organizations/ask-co');
    expect(allowed.body).toContain('Its members can post job listings on its behalf.');
    expect(allowed.body).not.toContain('Ask to post job listings');
    const already = await adaBrowser.submit('/organizations/ask-co', '/organizations/ask-co/permission-requests', { note: 'again' });
    expect(already.statusCode).toBe(409);
    expect(already.body).toContain('Ask Co can already post job listings.');
  });
});
