import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { admin, json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

let t: TestApp;
let boss: Member;
let bossBrowser: FormClient;

beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
  bossBrowser = new FormClient(t.app);
  await bossBrowser.submit('/login', '/login', { email: boss.email, password: boss.password });
});
afterAll(() => t.close());

async function signedIn(m: Member): Promise<FormClient> {
  const browser = new FormClient(t.app);
  await browser.submit('/login', '/login', { email: m.email, password: m.password });
  return browser;
}

const requestsOf = (userId: number) => queryRows<{ id: number; status: string; note: string }>(t.database.db, `select id, status, note from permission_requests where user_id = ${userId} order by id`);
const auditOf = (action: string) => queryRows<{ subject_id: string; actor: string }>(t.database.db, `select subject_id, actor from audit_log where action = '${action}' order by id`);
const mailsFor = (requestId: number) => readdirSync(t.mailDir).filter((f) => f.startsWith(`permission-request-${requestId}-`));
const canPost = async (userId: number) => (await queryRows<{ can_post_jobs: boolean }>(t.database.db, `select can_post_jobs from users where id = ${userId}`))[0]!.can_post_jobs;

describe('asking for the permission to post jobs', () => {
  it('tells a member on the Write page how to ask, takes the request, and says it was sent', async () => {
    const m = await member(t.app);
    const browser = await signedIn(m);
    const write = await browser.get('/articles/new');
    expect(write.body).toContain('Ask to post job listings');
    expect(write.body).not.toContain('name="job_listing"');

    const sent = await browser.submit('/articles/new', '/permission-requests', { note: 'We are hiring two backend engineers.' });
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toBe('/articles/new?done=permission_requested');
    const after = await browser.get(sent.headers.location as string);
    expect(after.body).toContain('Your request was sent.');
    expect(after.body).toContain('data-permission="pending"');
    const rows = await requestsOf(m.id);
    expect(rows).toEqual([{ id: expect.any(Number), status: 'pending', note: 'We are hiring two backend engineers.' }]);
    expect((await auditOf('permission.requested')).map((a) => a.subject_id)).toContain(String(rows[0]!.id));
  });

  it('refuses an empty or too long note with the note kept and its error beside it, writing nothing', async () => {
    const m = await member(t.app);
    const browser = await signedIn(m);
    const empty = await browser.submit('/articles/new', '/permission-requests', { note: '   ' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toMatch(/<span class="field-error" id="note-error">Say in a few words what you will post.<\/span>/);
    const long = 'x'.repeat(501);
    const tooLong = await browser.submit('/articles/new', '/permission-requests', { note: long });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toContain(`>${long}</textarea>`);
    expect(tooLong.body).toContain('At most 500 characters.');
    const api = await t.app.inject({ method: 'POST', url: '/api/v1/me/permission-requests', headers: m.auth, payload: { note: 42 } });
    expect(api.statusCode).toBe(400);
    expect(json(api).error.fields).toHaveProperty('note');
    expect(await requestsOf(m.id)).toEqual([]);
  });

  it('keeps one pending request per member, in the database too', async () => {
    const m = await member(t.app);
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/me/permission-requests', headers: m.auth, payload: { note: 'first' } });
    expect(first.statusCode).toBe(201);
    const second = await t.app.inject({ method: 'POST', url: '/api/v1/me/permission-requests', headers: m.auth, payload: { note: 'second' } });
    expect(second.statusCode).toBe(409);
    expect(json(second).error.code).toBe('request_pending');
    // Two at once: the partial unique index lets one through.
    const racer = await member(t.app);
    const raced = await Promise.all(
      [1, 2, 3].map((n) => t.app.inject({ method: 'POST', url: '/api/v1/me/permission-requests', headers: racer.auth, payload: { note: `try ${n}` } })),
    );
    expect(raced.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    expect(await requestsOf(racer.id)).toHaveLength(1);
    await expect(queryRows(t.database.db, `insert into permission_requests (user_id, note) values (${m.id}, 'direct')`)).rejects.toThrow();
  });

  it('refuses a request from someone who can already post jobs', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/me/permission-requests', headers: boss.auth, payload: { note: 'me too' } });
    expect(res.statusCode).toBe(409);
    expect(json(res).error.code).toBe('already_allowed');
  });
});

describe('answering a request', () => {
  it('lists pending requests for admins, approves one with a confirmation, e-mails the member, and the member can post jobs', async () => {
    const m = await member(t.app);
    const created = json(await t.app.inject({ method: 'POST', url: '/api/v1/me/permission-requests', headers: m.auth, payload: { note: 'Hiring <b>now</b>' } }));
    const id = created.permission_request.id as number;
    const page = await bossBrowser.get('/admin/permission-requests');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(m.username);
    expect(page.body).toContain('Hiring &lt;b>now&lt;/b>');
    expect(page.body).not.toContain('<b>now');
    expect((await bossBrowser.get('/admin/finance')).body).toContain('href="/admin/permission-requests"');

    const approved = await bossBrowser.submit('/admin/permission-requests', `/admin/permission-requests/${id}`, { decision: 'approve' });
    expect(approved.statusCode).toBe(303);
    expect(approved.headers.location).toBe('/admin/permission-requests?done=approved');
    expect((await bossBrowser.get(approved.headers.location as string)).body).toContain('Approved: the member can post job listings now');
    expect(await canPost(m.id)).toBe(true);
    expect((await requestsOf(m.id))[0]!.status).toBe('approved');
    expect((await auditOf('permission_request.approved')).find((a) => a.subject_id === String(id))?.actor).toBe(`user:${boss.id}`);
    expect((await auditOf('permission.granted')).map((a) => a.subject_id)).toContain(String(m.id));
    const mails = mailsFor(id);
    expect(mails).toEqual([`permission-request-${id}-approved.eml`]);
    const eml = readFileSync(path.join(t.mailDir, mails[0]!), 'utf8');
    expect(eml).toContain(`To: ${m.email}`);
    expect(eml).toContain('You can now post job listings');
    expect(eml).toContain('/articles/new');

    const listing = await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: m.auth, payload: { title: 'Now hiring', body_markdown: 'x', job_listing: true } });
    expect(listing.statusCode).toBe(201);
  });

  it('declines with an e-mail; the member may ask again', async () => {
    const m = await member(t.app);
    const id = json(await t.app.inject({ method: 'POST', url: '/api/v1/me/permission-requests', headers: m.auth, payload: { note: 'spam?' } })).permission_request.id as number;
    const declined = await t.app.inject({ method: 'POST', url: `/api/v1/admin/permission-requests/${id}`, headers: boss.auth, payload: { decision: 'decline' } });
    expect(declined.statusCode).toBe(200);
    expect(json(declined)).toMatchObject({ permission_request: { status: 'declined' }, changed: true, mailed: true });
    expect(await canPost(m.id)).toBe(false);
    expect(readFileSync(path.join(t.mailDir, `permission-request-${id}-declined.eml`), 'utf8')).toContain('declined your request');
    const browser = await signedIn(m);
    expect((await browser.get('/articles/new')).body).toContain('data-permission="declined"');
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/me/permission-requests', headers: m.auth, payload: { note: 'We are a real company.' } });
    expect(again.statusCode).toBe(201);
  });

  it('is harmless when the same answer comes twice, and refuses the other answer after one', async () => {
    const m = await member(t.app);
    const id = json(await t.app.inject({ method: 'POST', url: '/api/v1/me/permission-requests', headers: m.auth, payload: { note: 'twice' } })).permission_request.id as number;
    const answers = await Promise.all(
      [1, 2].map(() => t.app.inject({ method: 'POST', url: `/api/v1/admin/permission-requests/${id}`, headers: boss.auth, payload: { decision: 'approve' } })),
    );
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200]);
    expect(answers.map((r) => json(r).changed).sort()).toEqual([false, true]);
    const again = await bossBrowser.submit('/admin/permission-requests', `/admin/permission-requests/${id}`, { decision: 'approve' });
    expect(again.headers.location).toBe('/admin/permission-requests?done=already_approved');
    expect(mailsFor(id)).toHaveLength(1);
    expect((await auditOf('permission_request.approved')).filter((a) => a.subject_id === String(id))).toHaveLength(1);
    const other = await t.app.inject({ method: 'POST', url: `/api/v1/admin/permission-requests/${id}`, headers: boss.auth, payload: { decision: 'decline' } });
    expect(other.statusCode).toBe(409);
    expect((await requestsOf(m.id))[0]!.status).toBe('approved');
    expect(await canPost(m.id)).toBe(true);
  });

  it('lets no member approve, and refuses bad decisions and ids with 4xx, changing nothing', async () => {
    const m = await member(t.app);
    const id = json(await t.app.inject({ method: 'POST', url: '/api/v1/me/permission-requests', headers: m.auth, payload: { note: 'let me in' } })).permission_request.id as number;
    const self = await t.app.inject({ method: 'POST', url: `/api/v1/admin/permission-requests/${id}`, headers: m.auth, payload: { decision: 'approve' } });
    expect(self.statusCode).toBe(403);
    const browser = await signedIn(m);
    const form = await browser.submit('/articles/new', `/admin/permission-requests/${id}`, { decision: 'approve' });
    expect(form.statusCode).toBe(403);
    expect((await browser.get('/admin/permission-requests')).statusCode).toBe(403);
    const noCsrf = await bossBrowser.submit('/admin/permission-requests', `/admin/permission-requests/${id}`, { decision: 'approve' }, false);
    expect(noCsrf.statusCode).toBe(403);
    const bad = await bossBrowser.submit('/admin/permission-requests', `/admin/permission-requests/${id}`, { decision: 'maybe' });
    expect(bad.statusCode).toBe(400);
    const badApi = await t.app.inject({ method: 'POST', url: `/api/v1/admin/permission-requests/${id}`, headers: boss.auth, payload: {} });
    expect(badApi.statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/admin/permission-requests/999999', headers: boss.auth, payload: { decision: 'approve' } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/admin/permission-requests/abc', headers: boss.auth, payload: { decision: 'approve' } })).statusCode).toBe(400);
    expect((await requestsOf(m.id))[0]!.status).toBe('pending');
    expect(await canPost(m.id)).toBe(false);
    expect(mailsFor(id)).toEqual([]);
  });

  it('closes a pending request when an admin grants the permission on the users page', async () => {
    const m = await member(t.app);
    await t.app.inject({ method: 'POST', url: '/api/v1/me/permission-requests', headers: m.auth, payload: { note: 'granted elsewhere' } });
    const res = await bossBrowser.submit('/admin/users', `/admin/users/${m.id}/permissions`, { can_post_jobs: '1' });
    expect(res.headers.location).toBe('/admin/users?done=granted');
    expect((await bossBrowser.get('/admin/users?done=granted')).body).toContain('Permission granted');
    expect((await requestsOf(m.id))[0]!.status).toBe('approved');
    const list = json(await t.app.inject({ method: 'GET', url: '/api/v1/admin/permission-requests', headers: boss.auth }));
    expect(list.permission_requests.map((r: { user_id: number }) => r.user_id)).not.toContain(m.id);
  });
});

describe('the request form for someone who may already post', () => {
  it('says so instead of offering the form again', async () => {
    const res = await bossBrowser.submit('/articles/new', '/permission-requests', { note: 'me' });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('You can already post job listings.');
    expect(res.body).not.toContain('name="note"');
  });
});
