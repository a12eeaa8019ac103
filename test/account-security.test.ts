import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_FAILURES_MAX, LOGIN_WINDOW_MS } from '../src/accounts/service.js';
import { queryRows } from '../src/db/client.js';
import { json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const DAY = 24 * 3600_000;
const me = (auth: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/me', headers: auth });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const newToken = (m: Member, extra: Record<string, unknown> = {}) =>
  t.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { email: m.email, password: m.password, ...extra } });
const tokenRows = async (userId: number) =>
  queryRows<{ id: number; name: string; last_used_at: Date | null; expires_at: Date | null; token_hash: string }>(
    t.database.db,
    `select id, name, last_used_at, expires_at, token_hash from api_tokens where user_id = ${userId} order by id`,
  );
async function browserFor(m: Member, password = m.password) {
  const browser = new FormClient(t.app);
  const res = await browser.submit('/login', '/login', { email: m.email, password });
  expect(res.statusCode).toBe(303);
  return browser;
}
/** The reset link in the newest reset e-mail to `to`, waiting for it to be written. */
async function resetLink(to: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const files = readdirSync(t.mailDir).filter((f) => f.startsWith('password-reset-'));
    const mails = files
      .map((f) => ({ f, n: Number(f.match(/\d+/)![0]), text: readFileSync(path.join(t.mailDir, f), 'utf8') }))
      .filter((m) => m.text.includes(`To: ${to}`))
      .sort((a, b) => b.n - a.n);
    const link = mails[0]?.text.match(/\/password-reset\/([A-Za-z0-9_-]{43})/);
    if (link) return `/password-reset/${link[1]}`;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no reset e-mail to ${to}`);
}
const resetMails = () => readdirSync(t.mailDir).filter((f) => f.startsWith('password-reset-')).length;

describe('API tokens', () => {
  it('have a name, an optional expiry and a last use; are listed without their secret; expire', async () => {
    const m = await member(t.app);
    const res = await newToken(m, { name: 'CI deploys', expires_in_days: 30 });
    expect(res.statusCode).toBe(201);
    const created = json(res);
    expect(created.token).toMatch(/^dvb_/);
    expect(created).toMatchObject({ name: 'CI deploys', last_used_at: null });
    expect(new Date(created.expires_at).getTime()).toBe(t.clock.now().getTime() + 30 * DAY);
    const listed = json(await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: bearer(created.token) })).tokens;
    expect(listed.map((x: { name: string }) => x.name)).toEqual(['CI deploys', 'API token']);
    expect(listed[0]).toMatchObject({ id: created.id, current: true });
    expect(listed[1]).toMatchObject({ current: false, expires_at: null });
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(JSON.stringify(listed)).not.toContain('hash');
    // Only the hash is kept.
    const rows = await tokenRows(m.id);
    expect(rows.find((r) => r.id === created.id)!.token_hash).toBe(createHash('sha256').update(created.token).digest('hex'));

    const expired = t.clock.now().getTime() + 30 * DAY;
    const saved = t.clock.now();
    t.clock.set(new Date(expired - 1000));
    expect((await me(bearer(created.token))).statusCode).toBe(200);
    t.clock.set(new Date(expired));
    expect((await me(bearer(created.token))).statusCode).toBe(401);
    expect((await me(m.auth)).statusCode).toBe(200);
    t.clock.set(saved);
  });

  it('records last use at most once a minute', async () => {
    const m = await member(t.app);
    const lastUsed = async () => {
      const at = (await tokenRows(m.id))[0]!.last_used_at;
      return at === null ? null : new Date(at).getTime();
    };
    expect(await lastUsed()).toBeNull();
    const start = t.clock.now().getTime();
    await me(m.auth);
    expect(await lastUsed()).toBe(start);
    t.clock.advance(59_000);
    await me(m.auth);
    expect(await lastUsed()).toBe(start);
    t.clock.advance(1_000);
    await me(m.auth);
    expect(await lastUsed()).toBe(start + 60_000);
  });

  it('are revoked by their owner only, over the API', async () => {
    const m = await member(t.app);
    const stranger = await member(t.app);
    const second = json(await newToken(m, { name: 'laptop' }));
    const theirs = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${second.id}`, headers: stranger.auth });
    expect(theirs.statusCode).toBe(404);
    expect((await me(bearer(second.token))).statusCode).toBe(200);
    const mine = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${second.id}`, headers: m.auth });
    expect(mine.statusCode).toBe(204);
    expect((await me(bearer(second.token))).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${second.id}`, headers: m.auth })).statusCode).toBe(404);
    const audit = await queryRows(t.database.db, `select 1 from audit_log where action = 'token.revoked' and subject_id = '${m.id}'`);
    expect(audit).toHaveLength(1);
  });

  it('refuses bad options with a message per field and creates nothing', async () => {
    const m = await member(t.app);
    const res = await newToken(m, { name: 'x'.repeat(61), expires_in_days: 0 });
    expect(res.statusCode).toBe(400);
    expect(json(res).error.fields).toEqual({ name: 'At most 60 characters.', expires_in_days: 'At least 1 day.' });
    expect(await tokenRows(m.id)).toHaveLength(1);
  });

  it('are created, listed and revoked on the settings page, the secret shown once', async () => {
    const m = await member(t.app);
    const browser = await browserFor(m);
    const bad = await browser.submit('/settings', '/settings/tokens', { name: 'y'.repeat(61), expires_in_days: '30' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain(`value="${'y'.repeat(61)}"`);
    expect(bad.body).toMatch(/name="name"[^>]*\/>\s*<span class="field-error">At most 60 characters\.<\/span>/);
    expect(bad.body).toContain('<option value="30" selected');
    const created = await browser.submit('/settings', '/settings/tokens', { name: 'Deploy bot', expires_in_days: '7' });
    expect(created.statusCode).toBe(201);
    const secret = created.body.match(/<code class="token">(dvb_[^<]+)<\/code>/)![1]!;
    expect((await me(bearer(secret))).statusCode).toBe(200);
    const page = await browser.get('/settings');
    expect(page.body).toContain('Deploy bot');
    expect(page.body).not.toContain(secret);
    const id = (await tokenRows(m.id)).find((r) => r.name === 'Deploy bot')!.id;
    const revoked = await browser.submit('/settings', `/settings/tokens/${id}/revoke`, {});
    expect(revoked.statusCode).toBe(303);
    expect(revoked.headers.location).toBe('/settings?done=token_revoked');
    expect((await browser.get('/settings?done=token_revoked')).body).toContain('The token was revoked.');
    expect((await me(bearer(secret))).statusCode).toBe(401);
  });
});

describe('password change', () => {
  it('needs the current password, ends the other sessions, and keeps tokens unless asked', async () => {
    const m = await member(t.app);
    const elsewhere = await browserFor(m);
    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/me/password', headers: m.auth, payload: { current_password: 'nope', new_password: 'a new password' } });
    expect(wrong.statusCode).toBe(400);
    expect(json(wrong).error.fields).toEqual({ current_password: 'Not your current password.' });
    const short = await t.app.inject({ method: 'POST', url: '/api/v1/me/password', headers: m.auth, payload: { current_password: m.password, new_password: 'short' } });
    expect(json(short).error.fields).toEqual({ new_password: 'At least 8 characters.' });
    expect((await elsewhere.get('/dashboard')).statusCode).toBe(200);

    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/me/password', headers: m.auth, payload: { current_password: m.password, new_password: 'a new password' } });
    expect(ok.statusCode).toBe(200);
    expect((await elsewhere.get('/dashboard')).statusCode).toBe(302);
    expect((await me(m.auth)).statusCode).toBe(200);
    expect((await newToken(m)).statusCode).toBe(401);
    expect((await newToken({ ...m, password: 'a new password' })).statusCode).toBe(201);
  });

  it('revokes the other tokens when asked, keeping the one in use', async () => {
    const m = await member(t.app);
    const other = json(await newToken(m, { name: 'other' })).token as string;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/password',
      headers: m.auth,
      payload: { current_password: m.password, new_password: 'another password', revoke_tokens: true },
    });
    expect(res.statusCode).toBe(200);
    expect((await me(bearer(other))).statusCode).toBe(401);
    expect((await me(m.auth)).statusCode).toBe(200);
  });

  it('counts wrong current passwords like failed logins, so a stolen session cannot guess it', async () => {
    const m = await member(t.app);
    const change = (current: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/me/password', headers: m.auth, payload: { current_password: current, new_password: 'guessed password' } });
    for (let i = 0; i < LOGIN_FAILURES_MAX; i++) expect((await change(`guess ${i}`)).statusCode).toBe(400);
    expect((await change(m.password)).statusCode).toBe(429);
    expect((await newToken(m)).statusCode).toBe(429);
    t.clock.advance(LOGIN_WINDOW_MS);
    expect((await change(m.password)).statusCode).toBe(200);
  });

  it('works on the settings page: errors beside the fields, this session kept, the others ended', async () => {
    const m = await member(t.app);
    const here = await browserFor(m);
    const there = await browserFor(m);
    const wrong = await here.submit('/settings', '/settings/password', { current_password: 'wrong', new_password: 'page password', revoke_tokens: 'on' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toMatch(/name="current_password"[^>]*\/>\s*<span class="field-error">Not your current password\.<\/span>/);
    expect(wrong.body).toMatch(/name="revoke_tokens" checked/);
    const ok = await here.submit('/settings', '/settings/password', { current_password: m.password, new_password: 'page password', revoke_tokens: 'on' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/settings?done=password_changed');
    const after = await here.get('/settings?done=password_changed');
    expect(after.statusCode).toBe(200);
    expect(after.body).toContain('Your password was changed');
    expect((await there.get('/dashboard')).statusCode).toBe(302);
    expect((await me(m.auth)).statusCode).toBe(401);
  });
});

describe('password reset by e-mail', () => {
  it('answers the same whether or not the address has an account, and mails a link only to an account', async () => {
    const m = await member(t.app);
    const browser = new FormClient(t.app);
    const before = resetMails();
    const known = await browser.submit('/password-reset', '/password-reset', { email: m.email });
    const unknown = await browser.submit('/password-reset', '/password-reset', { email: 'nobody-here@example.test' });
    expect(known.statusCode).toBe(200);
    expect(unknown.statusCode).toBe(known.statusCode);
    const strip = (html: string, email: string) => html.replaceAll(email, 'EMAIL').replace(/name="_csrf" value="[^"]+"/, '');
    expect(strip(unknown.body, 'nobody-here@example.test')).toBe(strip(known.body, m.email));
    expect(known.body).toContain('we sent it a link');
    await resetLink(m.email);
    await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(resetMails()).toBe(before + 1);
    // Asking again within the minute sends no second e-mail.
    await browser.submit('/password-reset', '/password-reset', { email: m.email });
    await new Promise((r) => setTimeout(r, 200));
    expect(resetMails()).toBe(before + 1);
    const bad = await browser.submit('/password-reset', '/password-reset', { email: 'not an address' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('value="not an address"');
    expect(bad.body).toContain('<span class="field-error">Not a valid e-mail address.</span>');
  });

  it('sets a new password once, signs in, ends the other sessions and keeps only the hash', async () => {
    const m = await member(t.app);
    const old = await browserFor(m);
    const browser = new FormClient(t.app);
    await browser.submit('/password-reset', '/password-reset', { email: m.email });
    const link = await resetLink(m.email);
    const [stored] = await queryRows<{ token_hash: string }>(t.database.db, `select token_hash from password_resets where user_id = ${m.id}`);
    expect(stored!.token_hash).toBe(createHash('sha256').update(link.split('/').pop()!).digest('hex'));

    const form = await browser.get(link);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(m.username);
    const short = await browser.submit(link, link, { new_password: 'short', revoke_tokens: 'on' });
    expect(short.statusCode).toBe(400);
    expect(short.body).toContain('<span class="field-error">At least 8 characters.</span>');
    expect(short.body).toMatch(/name="revoke_tokens" checked/);
    const done = await browser.submit(link, link, { new_password: 'reset password', revoke_tokens: 'on' });
    expect(done.statusCode).toBe(303);
    expect((await browser.get('/dashboard')).statusCode).toBe(200);
    expect((await old.get('/dashboard')).statusCode).toBe(302);
    expect((await me(m.auth)).statusCode).toBe(401);
    expect((await newToken({ ...m, password: 'reset password' })).statusCode).toBe(201);

    const again = await new FormClient(t.app).get(link);
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('expired or was already used');
    const reuse = await new FormClient(t.app).submit('/password-reset', link, { new_password: 'third password' });
    expect(reuse.statusCode).toBe(400);
    expect((await newToken({ ...m, password: 'third password' })).statusCode).toBe(401);
  });

  it('expires after an hour', async () => {
    const m = await member(t.app);
    const browser = new FormClient(t.app);
    await browser.submit('/password-reset', '/password-reset', { email: m.email });
    const link = await resetLink(m.email);
    t.clock.advance(3600_000);
    const res = await browser.submit('/password-reset', link, { new_password: 'too late password' });
    expect(res.statusCode).toBe(400);
    expect((await newToken({ ...m, password: 'too late password' })).statusCode).toBe(401);
    expect((await browser.get('/password-reset/not-a-token')).statusCode).toBe(400);
  });
});

describe('per-account login throttle', () => {
  const attempt = (m: Member, password: string) => newToken({ ...m, password });

  it(`locks an account after ${LOGIN_FAILURES_MAX} failures in 15 minutes, from any address, until the window passes`, async () => {
    const m = await member(t.app);
    const bystander = await member(t.app);
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN_FAILURES_MAX; i++) statuses.push((await attempt(m, 'wrong password')).statusCode);
    expect(statuses.every((s) => s === 401)).toBe(true);
    const locked = await attempt(m, m.password);
    expect(locked.statusCode).toBe(429);
    expect(json(locked).error.code).toBe('account_locked');
    const page = await new FormClient(t.app).submit('/login', '/login', { email: m.email, password: m.password });
    expect(page.statusCode).toBe(429);
    expect(page.body).toContain(`value="${m.email}"`);
    // Another account is not affected; sessions and tokens already issued keep working.
    expect((await attempt(bystander, bystander.password)).statusCode).toBe(201);
    expect((await me(m.auth)).statusCode).toBe(200);
    // Attempts while locked do not extend the lock.
    t.clock.advance(LOGIN_WINDOW_MS - 1000);
    expect((await attempt(m, m.password)).statusCode).toBe(429);
    t.clock.advance(1000);
    expect((await attempt(m, m.password)).statusCode).toBe(201);
  });

  it('resets on a successful login', async () => {
    const m = await member(t.app);
    for (let i = 0; i < LOGIN_FAILURES_MAX - 1; i++) expect((await attempt(m, 'wrong password')).statusCode).toBe(401);
    expect((await attempt(m, m.password)).statusCode).toBe(201);
    for (let i = 0; i < LOGIN_FAILURES_MAX - 1; i++) expect((await attempt(m, 'wrong password')).statusCode).toBe(401);
    expect((await attempt(m, m.password)).statusCode).toBe(201);
  });

  it('is lifted by a password reset, so an attacker cannot keep the owner out', async () => {
    const m = await member(t.app);
    for (let i = 0; i < LOGIN_FAILURES_MAX; i++) await attempt(m, 'wrong password');
    expect((await attempt(m, m.password)).statusCode).toBe(429);
    const browser = new FormClient(t.app);
    await browser.submit('/password-reset', '/password-reset', { email: m.email });
    const link = await resetLink(m.email);
    expect((await browser.submit(link, link, { new_password: 'unlocked password' })).statusCode).toBe(303);
    expect((await attempt(m, 'unlocked password')).statusCode).toBe(201);
  });
});
