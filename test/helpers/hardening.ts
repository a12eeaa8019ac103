import { afterAll, beforeAll } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { type Member, member, startTestApp, type TestApp } from './app.js';

/**
 * The hardening tests' app, for one test file, with a member who writes (`writer`); and the helpers
 * those tests share. Read `s.t` and `s.writer` inside tests.
 */
export function hardeningSuite() {
  const s = {} as { t: TestApp; writer: Member };
  beforeAll(async () => {
    s.t = await startTestApp();
    s.writer = await member(s.t.app);
  });
  afterAll(() => s.t.close());

  const countArticles = async () => (await queryRows<{ n: number }>(s.t.database.db, 'select count(*)::int as n from articles'))[0]!.n;
  const postArticle = (body: string, app = s.t.app, who = s.writer) =>
    app.inject({ method: 'POST', url: '/api/v1/articles', headers: who.auth, payload: { title: 'Stress', body_markdown: body } });

  return { s, countArticles, postArticle };
}
