import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarkdownRefused, renderMarkdown } from '../src/articles/markdown.js';
import { MarkdownRenderer } from '../src/articles/renderer.js';
import { queryRows } from '../src/db/client.js';
import { ApiError } from '../src/http/errors.js';
import { json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { csrfFrom, FormClient } from './helpers/browser-form.js';

let t: TestApp;
let writer: Member;
beforeAll(async () => {
  t = await startTestApp();
  writer = await member(t.app);
});
afterAll(() => t.close());

const countArticles = async () => (await queryRows<{ n: number }>(t.database.db, 'select count(*)::int as n from articles'))[0]!.n;
const postArticle = (body: string, app = t.app, who = writer) =>
  app.inject({ method: 'POST', url: '/api/v1/articles', headers: who.auth, payload: { title: 'Stress', body_markdown: body } });

describe('article rendering', () => {
  it('keeps the server answering while a pathological body renders, and saves it', async () => {
    // 100,000 characters of `_a`: the old renderer's time grew with the square of this (seconds),
    // and every request, /healthz included, waited for it.
    const saving = postArticle('_a'.repeat(50_000));
    let slowest = 0;
    let done = false;
    void saving.finally(() => {
      done = true;
    });
    while (!done) {
      const started = performance.now();
      const health = await t.app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(200);
      slowest = Math.max(slowest, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const res = await saving;
    expect([201, 400]).toContain(res.statusCode);
    expect(slowest).toBeLessThan(1_000);
  });

  it('renders 99,000 ">" (a stack overflow and a 500 before) as a bounded quote', async () => {
    const res = await postArticle('>'.repeat(99_000));
    expect(res.statusCode).toBe(201);
    expect(json(res).article.body_html).toContain('<blockquote>');
  });

  it('refuses markup nested too deep with a 400 beside the field, and writes nothing', async () => {
    const before = await countArticles();
    for (const body of ['<a>'.repeat(30_000), '<div>\n'.repeat(2_000), `${'*'.repeat(20_000)}a${'*'.repeat(20_000)}`]) {
      const res = await postArticle(body);
      expect(res.statusCode).toBe(400);
      expect(json(res).error.fields.body_markdown).toMatch(/Nested more than 500 levels/);
    }
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: writer.email, password: writer.password });
    const page = await browser.submit('/articles/new', '/articles', { title: 'Deep', body_markdown: '<b>'.repeat(1_000) });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('Nested more than 500 levels');
    expect(await countArticles()).toBe(before);
  });

  it('stops a render that outlives its deadline, refuses the body, and renders the next one', async () => {
    const renderer = new MarkdownRenderer({ deadlineMs: 20 });
    try {
      const slow = await renderer.render('*a'.repeat(50_000)).catch((error: unknown) => error);
      expect(slow).toBeInstanceOf(ApiError);
      expect((slow as ApiError).status).toBe(400);
      expect((slow as ApiError).fields?.body_markdown).toMatch(/Too complex to render in time/);
      expect(await renderer.render('*fine*')).toBe('<p><em>fine</em></p>\n');
    } finally {
      await renderer.close();
    }
  });

  it('limits article writes per member', async () => {
    const limited = await startTestApp({ rateLimits: true });
    try {
      const [busy, other] = [await member(limited.app), await member(limited.app)];
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++) statuses.push((await postArticle(`Post ${i}`, limited.app, busy)).statusCode);
      expect(statuses.slice(0, 20).every((s) => s === 201)).toBe(true);
      const refused = await postArticle('one more', limited.app, busy);
      expect(refused.statusCode).toBe(429);
      expect(json(refused).error.code).toBe('rate_limited');
      expect((await postArticle('meanwhile', limited.app, other)).statusCode).toBe(201);
    } finally {
      await limited.close();
    }
  });

  /**
   * No body up to the 100,000-character limit costs more than 100 ms + 20 ms per KB of CPU (process
   * CPU time, which a loaded machine inflates far less than wall time). Measured on the shared
   * 2-core machine at a load average of 13–15, 400 runs of these recipes at 60 KB: at most 10 ms per
   * KB; marked took 1 s for 20 KB of `_a`, growing with the square of the size.
   */
  it('renders any adversarial body in time linear in its size, and sanitised', () => {
    const units = [
      '_a', '*a', '**a', '***', '_', '*', '~~a', '[', '![', '[a](', '](', '[a]: b\n', '>', '> ', '`', '``a', '\\', '&#', '&amp;',
      '- ', '  - a\n', '1. ', '\n', '\n\n', '    ', '\t', '#', '|a', '|-', 'a|b\n', '<a>', '</a>', '<a href="x">', '<b>', '<div>\n',
      '<!--', '-->', '<script>', '<img src=x onerror=alert(1)>', 'www.a.b ', 'http://a.b/', '<http://', 'javascript:',
    ];
    // A recipe rather than the body itself, so that a failure reports a readable counterexample.
    const recipe = fc.record({
      pattern: fc.array(fc.constantFrom(...units), { minLength: 1, maxLength: 4 }),
      prefix: fc.constantFrom('', 'a|b\n-|-\n', '- a\n  - b\n', '> '),
      size: fc.integer({ min: 1_000, max: 100_000 }),
    });
    fc.assert(
      fc.property(recipe, ({ pattern, prefix, size }) => {
        const unit = pattern.join('');
        const markdown = (prefix + unit.repeat(Math.ceil(size / unit.length))).slice(0, size);
        const started = process.cpuUsage();
        let html = '';
        try {
          html = renderMarkdown(markdown);
        } catch (error) {
          if (!(error instanceof MarkdownRefused)) throw error;
        }
        const cpu = process.cpuUsage(started);
        const ms = (cpu.user + cpu.system) / 1000;
        expect(ms).toBeLessThan(100 + (20 * markdown.length) / 1024);
        // Markup the sanitiser must have removed (escaped text like `&lt;img onerror=` is harmless).
        expect(html).not.toMatch(/<(script|iframe)|<[^>]*\son\w+\s*=|<[^>]*javascript:/i);
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});

describe('CSRF tokens', () => {
  const post = (cookie: string, url: string, fields: Record<string, string>) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(fields).toString(),
    });
  const signedIn = async (who: Member) => {
    const browser = new FormClient(t.app);
    const res = await browser.submit('/login', '/login', { email: who.email, password: who.password });
    expect(res.statusCode).toBe(303);
    return browser;
  };
  /** The victim's session cookie with every other cookie (and the token) of the attacker's browser. */
  const planted = (victim: FormClient, attacker: FormClient) =>
    [`sid=${victim.cookie('sid')}`, ...attacker.cookieHeader.split('; ').filter((c) => c && !c.startsWith('sid='))].join('; ');
  const refusedAsForged = (res: { statusCode: number; body: string }) => {
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('The form expired or was not sent from this site');
  };

  it('refuses a token from another session, signed in or not, even with its cookies planted', async () => {
    const victim = await signedIn(writer);
    const before = (await queryRows<{ n: number }>(t.database.db, `select count(*)::int as n from api_tokens where user_id = ${writer.id}`))[0]!.n;
    const otherMember = await signedIn(await member(t.app));
    const stranger = new FormClient(t.app);
    for (const attacker of [otherMember, stranger]) {
      const token = csrfFrom((await attacker.get(attacker === stranger ? '/login' : '/settings')).body);
      refusedAsForged(await post(planted(victim, attacker), '/settings/tokens', { _csrf: token }));
      const json = await t.app.inject({
        method: 'POST',
        url: '/articles',
        headers: { cookie: planted(victim, attacker), 'x-csrf-token': token, 'content-type': 'application/json' },
        payload: { title: 'Forged', body_markdown: 'x' },
      });
      expect(json.statusCode).toBe(403);
    }
    const after = (await queryRows<{ n: number }>(t.database.db, `select count(*)::int as n from api_tokens where user_id = ${writer.id}`))[0]!.n;
    expect(after).toBe(before);
    // The victim's own token still works.
    expect((await victim.submit('/settings', '/settings/tokens', {})).statusCode).toBe(201);
  });

  it('rotates at login and at logout: a token from before no longer works', async () => {
    const browser = new FormClient(t.app);
    const beforeLogin = csrfFrom((await browser.get('/login')).body);
    expect(browser.cookie('psid')).toBeTruthy();
    const login = await post(browser.cookieHeader, '/login', { _csrf: beforeLogin, email: writer.email, password: writer.password });
    expect(login.statusCode).toBe(303);
    const cleared = (login.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'psid');
    expect(cleared?.value).toBe('');
    const sid = (login.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'sid')!.value;
    // The browser now holds the new session; its pre-session is gone (as a browser would drop it).
    const session = `sid=${sid}`;
    refusedAsForged(await post(`${session}; psid=${browser.cookie('psid')}`, '/settings/tokens', { _csrf: beforeLogin }));
    const signedInToken = csrfFrom((await t.app.inject({ method: 'GET', url: '/settings', headers: { cookie: session } })).body);
    expect(signedInToken).not.toBe(beforeLogin);
    expect((await post(session, '/settings/tokens', { _csrf: signedInToken })).statusCode).toBe(201);
    expect((await post(session, '/logout', { _csrf: signedInToken })).statusCode).toBe(303);
    // Logged in again: the token of the ended session is refused.
    const again = await signedIn(writer);
    refusedAsForged(await post(again.cookieHeader, '/settings/tokens', { _csrf: signedInToken }));
  });
});
