/**
 * articles: what members write and read — articles, job listings and /jobs, the home page (with what
 * products draw there, through the slots of src/products/index.ts), the dashboard and the editor.
 * Routes here; views in pages.tsx; queries in service.ts.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { JSX } from 'preact';
import { z } from 'zod';
import { requireUser } from '../accounts/request-user.js';
import { BEARER, errorResponses } from '../http/api.js';
import { ApiError, idParam, parseInput } from '../http/errors.js';
import { perMemberLimit } from '../http/rate-limits.js';
import { listCards } from '../payments/cards.js';
import { CheckoutForm } from '../payments/pages.js';
import { hostedPage } from '../payments/ways-to-pay/hosted-page.js';
import { allowStripe } from '../payments/plugin.js';
import { articleListing, slot } from '../products/index.js';
import type { Expiring } from '../products/slots.js';
import { doneMessage, type PageContext, pageContext, type RenderedBody, renderBody, sendPage } from '../web/render.js';
import { JobPermissionBox } from '../accounts/permission-pages.js';
import { latestRequest } from '../accounts/permission-requests.js';
import { ExpiringCache } from '../cache.js';
import type { User } from '../db/schema.js';
import { myOrganizations } from '../organizations/service.js';
import { ArticleEditor, ArticlePage, DashboardPage, HomePage, JobsPage } from './pages.js';
import {
  articleInput,
  articleJson,
  articlePatch,
  articleSchema,
  createArticle,
  getArticle,
  getEditableArticle,
  type ArticleWithAuthor,
  type JobsListing,
  jobJson,
  jobSchema,
  listArticlesBy,
  listJobs,
  PAGE_SIZE,
  pageInput,
  liveArticles,
  recentArticles,
  updateArticle,
} from './service.js';

const checkbox = z.preprocess((v) => v === 'on' || v === '1' || v === 'true', z.boolean());
/** The editor form's fields, mapped onto the JSON API's input. */
const articleForm = z
  .object({
    title: z.string(),
    body_markdown: z.string(),
    tags: z.string().default(''),
    job_listing: checkbox,
    published: checkbox,
    // "myself" is an empty choice: posted as the author's own (absent: the form offered no choice).
    organization: z
      .string()
      .optional()
      .transform((v) => (v === undefined ? undefined : v || null)),
  })
  .transform((f) => parseInput(articleInput, f));
/** Confirmations on the Write page after a redirect (fixed texts). */
const WRITE_DONE = { permission_requested: 'Your request was sent. An admin will answer by e-mail; until then you can write articles.' } as const;
const DASHBOARD_DONE = {
  published: 'Published: the article is public now (a job listing only while it is paid: until then only you and admins see it).',
  unpublished: 'Unpublished: the article is a draft again, seen only by you.',
} as const;
const publishedForm = z.object({ published: z.enum(['0', '1']).transform((v) => v === '1') });
const listQuery = z.object({ mine: z.enum(['0', '1']).optional() });
const autoRenewInput = z.object({ enabled: z.boolean({ error: 'Send true or false.' }) }).strict();
const autoRenewForm = z.object({ enabled: z.enum(['0', '1']).transform((v) => v === '1'), back: z.enum(['dashboard', 'edit']).default('dashboard') });
/** `?auto_renew=on&article=7` after the switch: the page confirms it. */
const autoRenewShown = z.object({ auto_renew: z.enum(['on', 'off']).optional(), article: z.coerce.number().int().positive().optional() });

export const articlesPlugin: FastifyPluginAsync<{ rateLimits: boolean }> = async (app, options) => {
  const now = () => app.clock.now();
  const render = (markdown: string, authorId: number) => app.markdown.render(markdown, authorId);
  // Each write renders Markdown on the shared workers: a member gets a few a minute, not the workers.
  const writes = perMemberLimit(options.rateLimits, 20);
  // Each cached page also keeps its API body serialised: every listed job stays paid until the entry expires.
  const jobsCache = new ExpiringCache<JobsListing & { body: string }>();
  const jobsPage = (at: Date, page: number) =>
    jobsCache.get(page, at, async () => {
      const listing = await listJobs(app.db, at, page);
      const body = JSON.stringify({ jobs: listing.jobs.map((row) => jobJson(row, at)), page, total: listing.total });
      return { value: { ...listing, body }, expiresAt: listing.earliestExpiry };
    });
  // The page's body is the same for every visitor: rendered once per cached listing and sidebar, it
  // lives exactly as long as both entries do (a new entry, after a change or an expiry, is a new key).
  const jobsBodies = new WeakMap<JobsListing, { sidebar: JSX.Element[]; body: RenderedBody }>();
  const jobsBody = (listing: JobsListing, page: number, sidebar: JSX.Element[]) => {
    const rendered = jobsBodies.get(listing);
    if (rendered?.sidebar === sidebar) return rendered.body;
    const body = renderBody(<JobsPage jobs={listing.jobs} page={page} total={listing.total} sidebar={sidebar} />);
    jobsBodies.set(listing, { sidebar, body });
    return body;
  };
  const earliest = (dates: Array<Date | null>) => dates.reduce<Date | null>((m, d) => (d !== null && (m === null || d < m) ? d : m), null);
  /** Every product's drawing into a slot, together: stale when the first of them is. */
  const together = async <T,>(drawn: Promise<Expiring<T[]>>[]): Promise<Expiring<T[]>> => {
    const all = await Promise.all(drawn);
    return { value: all.flatMap((d) => d.value), expiresAt: earliest(all.map((d) => d.expiresAt)) };
  };
  const sidebarCache = new ExpiringCache<JSX.Element[]>();
  const sidebar = (at: Date) => sidebarCache.get('sidebar', at, () => together(slot('sidebar').map((draw) => draw(app.db, at))));

  const featuredCache = new ExpiringCache<ArticleWithAuthor[]>();
  const featured = (at: Date) =>
    featuredCache.get('home', at, async () => {
      const pinned = await together(slot('home.top').map((draw) => draw(app.db, at)));
      const value = await liveArticles(app.db, pinned.value, at);
      // Stale when a pin ends, or when a pinned job listing's paid week does.
      const ends = [pinned.expiresAt, ...value.map(({ article: a }) => (a.jobListing ? a.paidUntil : null))];
      return { value, expiresAt: earliest(ends) };
    });

  // ---- JSON API ----
  const api = app.withTypeProvider<ZodTypeProvider>();
  const articleAnswer = z.object({ article: articleSchema });

  api.post(
    '/api/v1/articles',
    {
      ...writes,
      schema: {
        tags: ['articles'],
        summary: 'Write an article or a job listing',
        description:
          'A job listing needs the permission to post jobs, yours or that of the organization it is posted on behalf of (`organization`: one you belong to, else 404), and is public only once paid (`POST /api/v1/charges` with its product).',
        security: BEARER,
        body: articleInput,
        response: { 201: articleAnswer, ...errorResponses(400, 401, 403, 404, 429, 503) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      return reply.status(201).send({ article: articleJson(await createArticle(app.db, render, user, request.body, now()), now()) });
    },
  );

  api.get(
    '/api/v1/articles/:id',
    {
      schema: {
        tags: ['articles'],
        summary: 'One article',
        description: 'A draft, or an unpaid job listing, is found only by its author and admins.',
        params: idParam,
        response: { 200: articleAnswer, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const at = now();
      return { article: articleJson(await getArticle(app.db, request.params.id, at, request.user ?? undefined), at) };
    },
  );

  api.patch(
    '/api/v1/articles/:id',
    {
      ...writes,
      schema: {
        tags: ['articles'],
        summary: 'Change an article (its author or an admin)',
        security: BEARER,
        params: idParam,
        body: articlePatch,
        response: { 200: articleAnswer, ...errorResponses(400, 401, 403, 404, 429, 503) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return { article: articleJson(await updateArticle(app.db, render, user, request.params.id, request.body, now()), now()) };
    },
  );

  api.get(
    '/api/v1/articles',
    {
      schema: {
        tags: ['articles'],
        summary: 'Recent public articles, or yours',
        description: '`mine=1` lists your own, drafts included (needs a token).',
        querystring: listQuery,
        response: { 200: z.object({ articles: z.array(articleSchema) }), ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const at = now();
      const rows = request.query.mine === '1' ? await listArticlesBy(app.db, requireUser(request).id) : await recentArticles(app.db, at);
      return { articles: rows.map((row) => articleJson(row, at)) };
    },
  );

  api.get(
    '/api/v1/jobs',
    {
      schema: {
        tags: ['articles'],
        summary: 'Paid job listings, most recently bumped first',
        description: `${PAGE_SIZE} a page.`,
        querystring: pageInput,
        response: { 200: z.object({ jobs: z.array(jobSchema), page: z.number().int(), total: z.number().int() }), ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      // Sent as kept in the cache, already serialised (a string skips the serialiser; the tests check its shape).
      const { body } = await jobsPage(now(), request.query.page);
      return reply.type('application/json; charset=utf-8').send(body as never);
    },
  );

  api.post(
    '/api/v1/articles/:id/auto-renew',
    {
      ...writes,
      schema: {
        tags: ['articles'],
        summary: 'Turn a job listing’s auto-renewal on or off (its author)',
        description: 'Renews the paid week with the saved card before it ends.',
        security: BEARER,
        params: idParam,
        body: autoRenewInput,
        response: { 200: z.object({ article: z.object({ id: z.number().int(), auto_renew: z.boolean() }) }), ...errorResponses(400, 401, 404, 422, 429) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const saved = await articleListing.setAutoRenew(app.db, user, request.params.id, request.body.enabled, now());
      return { article: { id: saved.id, auto_renew: saved.autoRenew } };
    },
  );

  /** The confirmation a page shows after the auto-renew switch, when `article` is one of `rows`. */
  const autoRenewNotice = (query: unknown, rows: Array<{ article: { id: number; title: string } }>) => {
    const shown = autoRenewShown.safeParse(query);
    const row = shown.success && shown.data.auto_renew ? rows.find((r) => r.article.id === shown.data.article) : undefined;
    if (!row || !shown.success) return undefined;
    return articleListing.autoRenewNotice(row.article.title, shown.data.auto_renew === 'on', app.payments.catalog);
  };

  // ---- Pages ----
  app.get('/', async (request, reply) => {
    const ctx = pageContext(request, reply);
    const [articles, boards, pinned] = await Promise.all([recentArticles(app.db, ctx.now), sidebar(ctx.now), featured(ctx.now)]);
    return sendPage(reply, ctx, 'Home', <HomePage ctx={ctx} articles={articles} sidebar={boards} featured={pinned} />);
  });

  app.get('/jobs', async (request, reply) => {
    const { page } = parseInput(pageInput, request.query);
    const ctx = pageContext(request, reply);
    const [listing, boards] = await Promise.all([jobsPage(ctx.now, page), sidebar(ctx.now)]);
    return sendPage(reply, ctx, 'Jobs', jobsBody(listing, page, boards));
  });

  app.get('/dashboard', async (request, reply) => {
    const user = requireUser(request);
    const ctx = pageContext(request, reply);
    const done = doneMessage(request.query, DASHBOARD_DONE);
    const articles = await listArticlesBy(app.db, user.id);
    return sendPage(reply, ctx, 'Dashboard', <DashboardPage ctx={ctx} articles={articles} done={done} notice={autoRenewNotice(request.query, articles)} />);
  });

  app.post('/articles/:id/auto-renew', writes, async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    const form = parseInput(autoRenewForm, request.body);
    const saved = await articleListing.setAutoRenew(app.db, user, id, form.enabled, now());
    const shown = `auto_renew=${saved.autoRenew ? 'on' : 'off'}&article=${id}`;
    return reply.redirect(form.back === 'edit' ? `/articles/${id}/edit?${shown}` : `/dashboard?${shown}`, 303);
  });

  /** A member who cannot post jobs is told how to ask, and where their request stands. */
  const permissionBox = async (ctx: PageContext, user: User) =>
    user.admin || user.canPostJobs ? undefined : <JobPermissionBox ctx={ctx} latest={await latestRequest(app.db, user.id)} />;

  /** What the editor offers under "On behalf of": the author's organizations, and the one it has if the author has left it. */
  const behalfChoices = async (user: User, row?: ArticleWithAuthor) => {
    if (row && row.article.userId !== user.id) return [];
    const mine = (await myOrganizations(app.db, user)).map((m) => m.organization);
    const current = row?.organization;
    return current && !mine.some((o) => o.slug === current.slug) ? [...mine, { ...current, canPostJobs: false }] : mine;
  };

  app.get('/articles/new', async (request, reply) => {
    const user = requireUser(request);
    const ctx = pageContext(request, reply);
    const done = doneMessage(request.query, WRITE_DONE);
    return sendPage(reply, ctx, 'Write', <ArticleEditor ctx={ctx} done={done} permission={await permissionBox(ctx, user)} organizations={await behalfChoices(user)} />);
  });

  app.post('/articles', writes, async (request, reply) => {
    const user = requireUser(request);
    const ctx = pageContext(request, reply);
    try {
      const input = parseInput(articleForm, request.body);
      const { article } = await createArticle(app.db, render, user, input, now());
      return reply.redirect(`/articles/${article.id}/edit?saved=1`, 303);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return sendPage(
        reply,
        ctx,
        'Write',
        <ArticleEditor ctx={ctx} error={error} values={request.body} permission={await permissionBox(ctx, user)} organizations={await behalfChoices(user)} />,
        error.status,
      );
    }
  });

  app.get('/articles/:id', async (request, reply) => {
    const { id } = parseInput(idParam, request.params);
    const ctx = pageContext(request, reply);
    const row = await getArticle(app.db, id, ctx.now, request.user ?? undefined);
    return sendPage(reply, ctx, row.article.title, <ArticlePage ctx={ctx} row={row} />);
  });

  app.get('/articles/:id/edit', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    const row = await getEditableArticle(app.db, id, user, now());
    const saved = (request.query as { saved?: string }).saved === '1';
    const { stripe, catalog } = app.payments;
    // A saved job listing that is not paid offers "Publish and pay" inline: the same checkout form.
    const offerPayment = row.article.jobListing && row.article.userId === user.id && !articleListing.isPaid(row.article.paidUntil, now());
    const ctx = { ...pageContext(request, reply), scripts: offerPayment ? [stripe.jsUrl, '/assets/checkout.js'] : [] };
    let payment: JSX.Element | undefined;
    if (offerPayment) {
      allowStripe(reply, stripe.origins);
      payment = (
        <CheckoutForm
          ctx={ctx}
          product={catalog.get(articleListing.product)}
          subjectId={id}
          subjectTitle={row.article.title}
          cards={await listCards(stripe, user)}
          idempotencyKey={randomUUID()}
          publishableKey={stripe.publishableKey}
          submitLabel={row.article.published ? undefined : 'Publish and pay'}
          hostedCheckout={app.payments.checkout.offers(hostedPage.id)}
          otherWays={await app.payments.checkout.choices(user, articleListing.product, id)}
        />
      );
    }
    return sendPage(
      reply,
      ctx,
      'Edit',
      <ArticleEditor ctx={ctx} row={row} saved={saved} payment={payment} notice={autoRenewNotice(request.query, [row])} organizations={await behalfChoices(user, row)} />,
    );
  });

  app.post('/articles/:id', writes, async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    const ctx = pageContext(request, reply);
    try {
      const input = parseInput(articleForm, request.body);
      await updateArticle(app.db, render, user, id, input, now());
      return reply.redirect(`/articles/${id}/edit?saved=1`, 303);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status === 404) throw error;
      const row = await getEditableArticle(app.db, id, user, now());
      return sendPage(reply, ctx, 'Edit', <ArticleEditor ctx={ctx} row={row} error={error} values={request.body} organizations={await behalfChoices(user, row)} />, error.status);
    }
  });

  app.post('/articles/:id/published', writes, async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    const { published } = parseInput(publishedForm, request.body);
    await updateArticle(app.db, render, user, id, { published }, now());
    return reply.redirect(`/dashboard?done=${published ? 'published' : 'unpublished'}`, 303);
  });
};
