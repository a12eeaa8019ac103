import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

let t: TestApp;
let ada: Member;
let bob: Member;
let eve: Member;
const browsers: Record<string, FormClient> = {};

beforeAll(async () => {
  t = await startTestApp();
  [ada, bob, eve] = [await member(t.app, 'pada'), await member(t.app, 'pbob'), await member(t.app, 'peve')];
  for (const m of [ada, bob, eve]) {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: m.email, password: m.password });
    browsers[m.username] = browser;
  }
});
afterAll(() => t.close());

const api = (who: Member, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => t.app.inject({ method, url, headers: who.auth, ...(payload ? { payload } : {}) });

describe('organization pages', () => {
  it('creates an organization from its form, keeping what was typed on an error', async () => {
    const page = await browsers.pada!.get('/organizations');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('You belong to no organization yet.');
    expect(page.body).toContain('<label>Name <input');

    const bad = await browsers.pada!.submit('/organizations', '/organizations', { name: 'Pixel Works', slug: 'Pixel Works' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('value="Pixel Works"');
    expect(bad.body).toMatch(/id="slug-error">Lowercase letters/);

    const created = await browsers.pada!.submit('/organizations', '/organizations', { name: 'Pixel Works', slug: 'pixel' });
    expect(created.statusCode).toBe(303);
    expect(created.headers.location).toBe('/organizations/pixel?done=created');
    const shown = await browsers.pada!.get(created.headers.location as string);
    expect(shown.body).toContain('Organization created: you are its first admin.');
    expect(shown.body).toContain('Add a member');
    expect(shown.body).toContain('Billing details');

    const taken = await browsers.pbob!.submit('/organizations', '/organizations', { name: 'Other', slug: 'pixel' });
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toMatch(/id="slug-error">Already taken/);
    expect((await browsers.pada!.get('/organizations')).body).toMatch(/href="\/organizations\/pixel">Pixel Works<\/a>[\s\S]*admin/);
  });

  it('adds a member by username (e-mailed a link to the page), and shows an unknown one beside its field', async () => {
    const unknown = await browsers.pada!.submit('/organizations/pixel', '/organizations/pixel/members', { username: 'nobody-here', role: 'member' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toMatch(/id="username-error">No member has that username/);
    expect(unknown.body).toContain('value="nobody-here"');

    const added = await browsers.pada!.submit('/organizations/pixel', '/organizations/pixel/members', { username: 'pbob', role: 'member' });
    expect(added.statusCode).toBe(303);
    expect((await browsers.pada!.get(added.headers.location as string)).body).toContain('Member added: they were e-mailed.');
    const mail = readdirSync(t.mailDir)
      .filter((f) => f.startsWith('organization-'))
      .map((f) => readFileSync(path.join(t.mailDir, f), 'utf8'))
      .find((m) => m.includes('To: pbob@example.test'));
    expect(mail).toContain('/organizations/pixel');

    // A member sees the members and can leave, but has no admin forms.
    const asBob = await browsers.pbob!.get('/organizations/pixel');
    expect(asBob.statusCode).toBe(200);
    expect(asBob.body).toContain('pada');
    expect(asBob.body).toContain('Leave');
    expect(asBob.body).not.toContain('Add a member');
    expect(asBob.body).not.toContain('Billing details');
    const refused = await browsers.pbob!.submit('/organizations/pixel', '/organizations/pixel/members', { username: 'peve', role: 'admin' });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('Only the organization');
  });

  it('saves billing details from the form, each bad field shown beside it and nothing saved', async () => {
    const fields = { name: 'Pixel Works', legal_name: 'Pixel Works GmbH', line1: 'Hauptstr. 1', line2: '', city: 'Berlin', postal_code: '10115', state: '', country: 'de', tax_id_type: 'eu_vat', tax_id_value: 'DE123456789' };
    const bad = await browsers.pada!.submit('/organizations/pixel', '/organizations/pixel/billing', { ...fields, country: 'Germany' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/id="country-error">A two-letter country code/);
    expect(bad.body).toContain('value="Pixel Works GmbH"');
    expect(json(await api(ada, 'GET', '/api/v1/organizations/pixel')).organization.legal_name).toBeNull();

    const saved = await browsers.pada!.submit('/organizations/pixel', '/organizations/pixel/billing', fields);
    expect(saved.statusCode).toBe(303);
    const page = await browsers.pada!.get(saved.headers.location as string);
    expect(page.body).toContain('Billing details saved');
    expect(page.body).toContain('value="Hauptstr. 1"');
    expect(json(await api(ada, 'GET', '/api/v1/organizations/pixel')).organization).toMatchObject({
      legal_name: 'Pixel Works GmbH',
      address: { line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE' },
      tax_id: { type: 'eu_vat', value: 'DE123456789' },
    });
    expect(page.body).toContain('Saved cards');
  });

  it('shows nothing of an organization to a member of another one (404), and keeps the last admin (409)', async () => {
    await api(eve, 'POST', '/api/v1/organizations', { name: 'Eve Co', slug: 'eve-co' });
    for (const url of ['/organizations/pixel', '/organizations/nope']) expect((await browsers.peve!.get(url)).statusCode, url).toBe(404);
    for (const action of ['/organizations/pixel/members', '/organizations/pixel/billing', '/organizations/pixel/members/pbob/remove']) {
      const res = await browsers.peve!.submit('/organizations', action, { username: 'peve', role: 'admin', name: 'Mine' });
      expect(res.statusCode, action).toBe(404);
    }
    expect((await browsers.peve!.get('/organizations')).body).not.toContain('Pixel Works');

    const lastAdmin = await browsers.pada!.submit('/organizations/pixel', '/organizations/pixel/members/pada/remove', {});
    expect(lastAdmin.statusCode).toBe(409);
    expect(lastAdmin.body).toContain('needs an admin');
  });

  it('lets a member leave and an admin remove one, each confirmed', async () => {
    await api(ada, 'POST', '/api/v1/organizations/pixel/members', { username: 'peve', role: 'member' });
    const removed = await browsers.pada!.submit('/organizations/pixel', '/organizations/pixel/members/peve/remove', {});
    expect(removed.headers.location).toBe('/organizations/pixel?done=member_removed');
    expect((await browsers.pada!.get(removed.headers.location as string)).body).toContain('Member removed.');

    const left = await browsers.pbob!.submit('/organizations/pixel', '/organizations/pixel/members/pbob/remove', {});
    expect(left.headers.location).toBe('/organizations?done=left');
    expect((await browsers.pbob!.get(left.headers.location as string)).body).toContain('You left the organization.');
    expect((await browsers.pbob!.get('/organizations/pixel')).statusCode).toBe(404);
  });

  it('links the organizations page from the settings', async () => {
    expect((await browsers.pada!.get('/settings')).body).toContain('href="/organizations"');
  });
});
