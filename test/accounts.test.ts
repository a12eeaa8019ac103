import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD_FILE, ensureAdmin } from '../src/accounts/bootstrap.js';
import { hashPassword } from '../src/accounts/passwords.js';
import { users } from '../src/db/schema.js';
import { freshDatabase } from './helpers/db.js';
import { queryRows } from '../src/db/client.js';
import { admin, json, member, startTestApp, type TestApp } from './helpers/app.js';
import { csrfFrom, FormClient } from './helpers/browser-form.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('sign-up, tokens and /me over the API', () => {
  it('creates a user, issues a token and answers /me', async () => {
    const m = await member(t.app, 'alice');
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: m.auth });
    expect(me.statusCode).toBe(200);
    expect(json(me).user).toEqual({ id: m.id, username: 'alice', email: 'alice@example.test', admin: false, can_post_jobs: false });
  });

  it('refuses a duplicate e-mail or username with 409', async () => {
    await member(t.app, 'bob');
    const sameEmail = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { username: 'bobby', email: 'BOB@example.test', password: 'long enough pw' },
    });
    expect(sameEmail.statusCode).toBe(409);
    expect(json(sameEmail).error.fields).toEqual({ email: 'Already taken.' });
    const sameName = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { username: 'BOB', email: 'other@example.test', password: 'long enough pw' },
    });
    expect(sameName.statusCode).toBe(409);
    expect(json(sameName).error.fields).toEqual({ username: 'Already taken.' });
  });

  it('validates every field with a message each, and writes nothing', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'x', email: 'nope', password: 1 } });
    expect(res.statusCode).toBe(400);
    expect(json(res).error.code).toBe('validation_failed');
    expect(Object.keys(json(res).error.fields).sort()).toEqual(['email', 'password', 'username']);
    expect(await queryRows(t.database.db, `select 1 from users where username = 'x'`)).toHaveLength(0);
  });

  it('rejects a wrong password, an unknown e-mail and a bad token with 401', async () => {
    const m = await member(t.app);
    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { email: m.email, password: 'wrong password' } });
    expect(wrong.statusCode).toBe(401);
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { email: 'ghost@example.test', password: 'whatever1' } });
    expect(unknown.statusCode).toBe(401);
    expect(json(unknown).error.message).toBe(json(wrong).error.message);
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: 'Bearer dvb_not-a-token' } });
    expect(bad.statusCode).toBe(401);
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/me' });
    expect(json(none)).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
  });

  it('stores tokens and sessions hashed, never in clear', async () => {
    const m = await member(t.app);
    const rows = await queryRows<{ token_hash: string }>(t.database.db, `select token_hash from api_tokens where user_id = ${m.id}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).not.toContain(m.token);
  });

  it('answers malformed JSON and oversized bodies with 4xx JSON', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    expect(bad.statusCode).toBe(400);
    expect(json(bad).error.code).toBe('bad_request');
    const big = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { username: 'big', email: 'big@example.test', password: 'x'.repeat(300 * 1024) },
    });
    expect(big.statusCode).toBe(413);
  });
});

describe('the can_post_jobs permission', () => {
  it('is granted and revoked by an admin only', async () => {
    const boss = await admin(t);
    const m = await member(t.app);
    const other = await member(t.app);
    const denied = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/users/${m.id}/permissions`,
      headers: other.auth,
      payload: { can_post_jobs: true },
    });
    expect(denied.statusCode).toBe(403);
    const granted = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/users/${m.id}/permissions`,
      headers: boss.auth,
      payload: { can_post_jobs: true },
    });
    expect(json(granted).user.can_post_jobs).toBe(true);
    const revoked = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/users/${m.id}/permissions`,
      headers: boss.auth,
      payload: { can_post_jobs: false },
    });
    expect(json(revoked).user.can_post_jobs).toBe(false);
    const missing = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/users/999999/permissions',
      headers: boss.auth,
      payload: { can_post_jobs: true },
    });
    expect(missing.statusCode).toBe(404);
    const badBody = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/users/${m.id}/permissions`,
      headers: boss.auth,
      payload: { can_post_jobs: 'yes' },
    });
    expect(badBody.statusCode).toBe(400);
  });

  it('is granted from the admin page with CSRF', async () => {
    const boss = await admin(t);
    const m = await member(t.app);
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: boss.email, password: boss.password });
    const res = await browser.submit('/admin/users', `/admin/users/${m.id}/permissions`, { can_post_jobs: '1' });
    expect(res.statusCode).toBe(303);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: m.auth });
    expect(json(me).user.can_post_jobs).toBe(true);
  });
});

describe('browser sessions', () => {
  it('signs up, logs out and logs in with a fresh session id each time', async () => {
    const browser = new FormClient(t.app);
    const signup = await browser.submit('/signup', '/signup', { username: 'carol', email: 'carol@example.test', password: 'carol password' });
    expect(signup.statusCode).toBe(303);
    expect(signup.headers.location).toBe('/dashboard');
    const cookie = signup.headers['set-cookie'];
    expect(String(cookie)).toMatch(/sid=[^;]+;.*HttpOnly/i);
    expect(String(cookie)).toMatch(/SameSite=Lax/i);
    const firstSid = browser.cookie('sid');
    expect((await browser.get('/dashboard')).statusCode).toBe(200);

    const logout = await browser.submit('/dashboard', '/logout', {});
    expect(logout.statusCode).toBe(303);
    expect(browser.cookie('sid')).toBeUndefined();
    const after = await browser.get('/dashboard');
    expect(after.statusCode).toBe(302);
    expect(after.headers.location).toBe('/login?next=%2Fdashboard');

    const login = await browser.submit('/login', '/login', { email: 'carol@example.test', password: 'carol password', next: '/settings' });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/settings');
    expect(browser.cookie('sid')).toBeDefined();
    expect(browser.cookie('sid')).not.toBe(firstSid);
    // The old session is dead even if someone kept its cookie.
    const replay = await t.app.inject({ method: 'GET', url: '/dashboard', headers: { cookie: `sid=${firstSid}` } });
    expect(replay.statusCode).toBe(302);
  });

  it('drops a pre-set session cookie at login (no fixation)', async () => {
    const m = await member(t.app);
    const browser = new FormClient(t.app);
    const page = await browser.get('/login');
    const res = await t.app.inject({
      method: 'POST',
      url: '/login',
      headers: { cookie: `${browser.cookieHeader}; sid=attacker-chosen`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email: m.email, password: m.password, _csrf: csrfFrom(page.body) }).toString(),
    });
    expect(res.statusCode).toBe(303);
    const sid = (res.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'sid')!.value;
    expect(sid).not.toBe('attacker-chosen');
  });

  it('shows a wrong login on the form, with 401', async () => {
    const browser = new FormClient(t.app);
    const res = await browser.submit('/login', '/login', { email: 'nobody@example.test', password: 'nope nope' });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('Wrong e-mail or password.');
  });

  it('refuses every form POST without a valid CSRF token', async () => {
    const browser = new FormClient(t.app);
    const res = await browser.submit('/signup', '/signup', { username: 'mallory', email: 'm@example.test', password: 'mallory pw' }, false);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('The form expired');
    const forged = await browser.submit('/signup', '/signup', { username: 'mallory', email: 'm@example.test', password: 'mallory pw', _csrf: 'forged' }, false);
    expect(forged.statusCode).toBe(403);
    expect(await queryRows(t.database.db, `select 1 from users where username = 'mallory'`)).toHaveLength(0);
  });

  it('does not accept a session cookie on the JSON API', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/signup', '/signup', { username: 'dave', email: 'dave@example.test', password: 'dave password' });
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: browser.cookieHeader } });
    expect(res.statusCode).toBe(401);
  });

  it('creates an API token from settings, shown once', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/signup', '/signup', { username: 'erin', email: 'erin@example.test', password: 'erin password' });
    const res = await browser.submit('/settings', '/settings/tokens', {});
    expect(res.statusCode).toBe(201);
    const token = res.body.match(/class="token">([^<]+)</)![1]!;
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(json(me).user.username).toBe('erin');
    expect((await browser.get('/settings')).body).not.toContain(token);
  });
});

describe('bootstrap admin', () => {
  it('creates the configured admin once, or a demo admin with a generated password', async () => {
    const configured = await ensureAdmin(t.database.db, { email: 'root@example.test', password: 'root password' }, undefined);
    expect(configured).toEqual({ email: 'root@example.test' });
    const again = await ensureAdmin(t.database.db, { email: 'root@example.test', password: 'root password' }, undefined);
    expect(again).toEqual({ email: 'root@example.test' });
    const token = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { email: 'root@example.test', password: 'root password' } });
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${json(token).token}` } });
    expect(json(me).user.admin).toBe(true);
    // With an admin present no demo admin is made, and no password is kept.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'devboard-admin-'));
    expect(await ensureAdmin(t.database.db, undefined, dataDir)).toEqual({ email: expect.any(String) });
    expect(existsSync(path.join(dataDir, DEMO_ADMIN_PASSWORD_FILE))).toBe(false);
    rmSync(dataDir, { recursive: true });
  });

  it("shows the demo admin's password at every start, from DATA_DIR, until it is changed", async () => {
    const database = await freshDatabase();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'devboard-admin-'));
    try {
      const first = await ensureAdmin(database.db, undefined, dataDir);
      expect(first).toEqual({ email: DEMO_ADMIN_EMAIL, password: expect.stringMatching(/^[\w-]{12}$/) });
      const file = path.join(dataDir, DEMO_ADMIN_PASSWORD_FILE);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(await ensureAdmin(database.db, undefined, dataDir)).toEqual(first);
      await database.db.update(users).set({ passwordHash: await hashPassword('changed by the admin') }).where(eq(users.email, DEMO_ADMIN_EMAIL));
      expect(await ensureAdmin(database.db, undefined, dataDir)).toEqual({ email: DEMO_ADMIN_EMAIL, passwordChanged: true });
    } finally {
      await database.close();
      rmSync(dataDir, { recursive: true });
    }
  });
});
