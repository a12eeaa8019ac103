import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import MarkdownIt from 'markdown-it';
import { excerpt, MarkdownRefused, renderMarkdown, windowBlockquotes } from '../src/articles/markdown.js';
import { MarkdownRenderer } from '../src/articles/renderer.js';
import { ApiError } from '../src/http/errors.js';
import { json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';
import { hardeningSuite } from './helpers/hardening.js';

// Article rendering under attack: pathological bodies, deadlines, queues and shares. The other
// hardening tests are in hardening.test.ts.
const { s, countArticles, postArticle } = hardeningSuite();
let t: TestApp;
let writer: Member;
beforeAll(() => {
  ({ t, writer } = s);
});

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
    // 4 MB of `![` (forty times the article limit) costs seconds; a short body, a millisecond.
    const renderer = new MarkdownRenderer({ deadlineMs: 1_000 });
    try {
      const slow = await renderer.render('!['.repeat(2_000_000)).catch((error: unknown) => error);
      expect(slow).toBeInstanceOf(ApiError);
      expect((slow as ApiError).status).toBe(400);
      expect((slow as ApiError).fields?.body_markdown).toMatch(/Too complex to render in time/);
      expect(await renderer.render('*fine*')).toBe('<p><em>fine</em></p>\n');
    } finally {
      await renderer.close();
    }
  });

  it('refuses renders beyond its queue with a 503 rather than queueing without end', async () => {
    const renderer = new MarkdownRenderer({ maxQueue: 1 });
    try {
      const [first, second] = await Promise.allSettled([renderer.render('one'), renderer.render('two')]);
      expect(first).toEqual({ status: 'fulfilled', value: '<p>one</p>\n' });
      expect(second.status === 'rejected' && (second.reason as ApiError).status).toBe(503);
    } finally {
      await renderer.close();
    }
  });

  it("refuses an author's renders beyond their share with a 429, and serves another author's body before theirs", async () => {
    const renderer = new MarkdownRenderer({ workers: 1, perAuthor: 4 });
    try {
      const list = '- a\n'.repeat(25_000);
      const finished: string[] = [];
      const flood = Array.from({ length: 5 }, (_, i) => renderer.render(list, 1).then(() => finished.push(`flood ${i}`)));
      const [fifth] = await Promise.allSettled([flood[4]!]);
      expect(fifth.status === 'rejected' && fifth.reason).toMatchObject({ status: 429, code: 'rendering_busy' });
      expect((fifth as PromiseRejectedResult).reason.message).toMatch(/^You have 4 articles being rendered already\./);
      // Another member's one line goes before the flood's bodies still waiting.
      const victim = renderer.render('one line', 2).then((html) => finished.push('victim') && html);
      expect(await victim).toBe('<p>one line</p>\n');
      await Promise.allSettled(flood.slice(0, 4));
      expect(finished.indexOf('victim')).toBeLessThanOrEqual(1);
      // Their share is free again once their bodies are saved.
      expect(await renderer.render('again', 1)).toBe('<p>again</p>\n');
    } finally {
      await renderer.close();
    }
  }, 60_000);

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
  it('excerpts words as they read: inline markup joins, blocks are apart', () => {
    expect(excerpt(renderMarkdown('# Hello\n\nSee [acme.example](https://acme.example). **Bold**ly `on`e.\n\n- one\n- two'))).toBe('Hello See acme.example. Boldly one. one two');
  });

  it('renders block quotes exactly as markdown-it does, in linear time', () => {
    const options = { html: true, linkify: false, typographer: false } as const;
    const plain = new MarkdownIt('default', options);
    // A window of one line makes nearly every quote fill its window and be parsed again.
    const windowed = new MarkdownIt('default', options);
    windowBlockquotes(windowed, 1);
    const line = fc.constantFrom('> a', '>     code', '>\t  - a', '> - a', '>', 'a', '', '    code', '- a', '  - b', '[r]: /u', '[r]', '> [s]: /v', '[s]', '```', '> ```', '# h', '> > a', 'b |c', '-|-', '===', '1. a');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
        const doc = lines.join('\n');
        expect(windowed.render(doc)).toBe(plain.render(doc));
      }),
      { numRuns: 2000 },
    );
  });

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
      // Found by this property: every quote scanned the rest of the document (see windowBlockquotes).
      { numRuns: 40, examples: [[{ pattern: ['[a]: b\n', '>', '\t', '  - a\n'], prefix: '', size: 58_454 }], [{ pattern: ['a\n', '>', '    ', ' b\n'], prefix: '', size: 100_000 }]] },
    );
  }, 120_000);
});
