import { and, count, desc, eq, inArray, min, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { type Article, articles, type User, users } from '../db/schema.js';
import { organizations } from '../db/organization-schema.js';
import { timestamp } from '../http/api.js';
import { ApiError, forbidden, notFound } from '../http/errors.js';
import { membership } from '../organizations/service.js';
import { articleListing as listing } from '../products/index.js';
import { listingsChanged } from '../cache.js';
import { excerpt } from './markdown.js';

/** Markdown to sanitised HTML, rendered within the author's share (MarkdownRenderer.render in the app). */
export type RenderMarkdown = (markdown: string, authorId: number) => Promise<string>;

export const PAGE_SIZE = 20;

const tag = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]{0,29}$/, 'Tags are 1–30 letters, digits or dashes.');

const tagsInput = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(/[,\s]+/).filter(Boolean) : v),
  z.array(tag).max(5, 'At most 5 tags.'),
);

export const articleInput = z.object({
  title: z.string().trim().min(1, 'Enter a title.').max(200, 'At most 200 characters.'),
  body_markdown: z.string().max(100_000, 'At most 100,000 characters.'),
  tags: tagsInput.optional(),
  job_listing: z.boolean().optional(),
  published: z.boolean().optional(),
  organization: z
    .string()
    .max(200)
    .nullable()
    .optional()
    .meta({ description: 'Post on behalf of one of your organizations (its slug); `null` posts as yourself.' }),
});
export type ArticleInput = z.infer<typeof articleInput>;
export const articlePatch = articleInput.partial();
export type ArticlePatch = z.infer<typeof articlePatch>;

/** The organization an article is posted on behalf of, as the public sees it. */
export interface ArticleOrganization {
  slug: string;
  name: string;
}

export interface ArticleWithAuthor {
  article: Article;
  author: { id: number; username: string };
  organization: ArticleOrganization | null;
}

const authorSchema = z.object({ id: z.number().int(), username: z.string() });
const organizationSchema = z.object({ slug: z.string(), name: z.string() }).nullable().meta({ description: 'The organization it is posted on behalf of; null when none.' });

export const articleSchema = z.object({
  id: z.number().int(),
  title: z.string(),
  body_markdown: z.string(),
  body_html: z.string().meta({ description: 'The Markdown rendered and sanitised.' }),
  tags: z.array(z.string()),
  job_listing: z.boolean(),
  published: z.boolean(),
  published_at: timestamp.nullable(),
  live: z.boolean().meta({ description: 'Public now: published, and for a job listing also paid.' }),
  paid: z.boolean(),
  paid_until: timestamp.nullable(),
  bumped_at: timestamp.nullable(),
  auto_renew: z.boolean(),
  author: authorSchema,
  organization: organizationSchema,
  url: z.string().meta({ description: 'The article’s page, a path on this site.' }),
  created_at: timestamp,
  updated_at: timestamp,
});

export function articleJson({ article: a, author, organization }: ArticleWithAuthor, now: Date): z.output<typeof articleSchema> {
  return {
    id: a.id,
    title: a.title,
    body_markdown: a.bodyMarkdown,
    body_html: a.bodyHtml,
    tags: a.tags,
    job_listing: a.jobListing,
    published: a.published,
    published_at: a.publishedAt,
    live: listing.isLive(a, now),
    paid: listing.isPaid(a.paidUntil, now),
    paid_until: a.paidUntil,
    bumped_at: a.bumpedAt,
    auto_renew: a.autoRenew,
    author,
    organization,
    url: `/articles/${a.id}`,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}

export const jobSchema = z.object({
  id: z.number().int(),
  title: z.string(),
  tags: z.array(z.string()),
  excerpt: z.string().meta({ description: 'The start of the listing, as plain text.' }),
  author: authorSchema,
  organization: organizationSchema,
  url: z.string(),
  paid: z.boolean(),
  paid_until: timestamp.nullable(),
  bumped_at: timestamp.nullable(),
});

export function jobJson({ article: a, author, organization }: ArticleWithAuthor, now: Date): z.output<typeof jobSchema> {
  return {
    id: a.id,
    title: a.title,
    tags: a.tags,
    excerpt: excerpt(a.bodyHtml),
    author,
    organization,
    url: `/articles/${a.id}`,
    paid: listing.isPaid(a.paidUntil, now),
    paid_until: a.paidUntil,
    bumped_at: a.bumpedAt,
  };
}

const canPostJobs = (user: User) => user.admin || user.canPostJobs;
const jobPermissionError = () =>
  forbidden('Only members with permission to post jobs, or members of an organization allowed to post them, can create job listings. Ask an admin for access.');

const withAuthor = { article: articles, author: { id: users.id, username: users.username }, organization: { slug: organizations.slug, name: organizations.name } };
/** Articles with their author and the organization they are posted on behalf of, if any. */
const selectArticles = (db: Db) =>
  db.select(withAuthor).from(articles).innerJoin(users, eq(users.id, articles.userId)).leftJoin(organizations, eq(organizations.id, articles.organizationId));

/**
 * The organization an article is to be posted on behalf of: one its author belongs to (404
 * otherwise, as the organization is to anyone outside it). `null` posts it as the author's own.
 */
async function onBehalfOf(db: Db, authorId: number, slug: string | null) {
  if (slug === null) return null;
  const { organization } = await membership(db, { id: authorId }, slug).catch((error: unknown) => {
    throw error instanceof ApiError && error.status === 404
      ? new ApiError(404, 'not_found', 'No such organization among yours.', { organization: 'You are not a member of an organization with this address.' })
      : error;
  });
  return organization;
}

export async function createArticle(db: Db, render: RenderMarkdown, user: User, input: ArticleInput, now: Date): Promise<ArticleWithAuthor> {
  const organization = await onBehalfOf(db, user.id, input.organization ?? null);
  if (input.job_listing && !canPostJobs(user) && !organization?.canPostJobs) throw jobPermissionError();
  const bodyHtml = await render(input.body_markdown, user.id);
  const [article] = await db
    .insert(articles)
    .values({
      userId: user.id,
      title: input.title,
      bodyMarkdown: input.body_markdown,
      bodyHtml,
      tags: input.tags ?? [],
      jobListing: input.job_listing ?? false,
      published: input.published ?? false,
      publishedAt: input.published ? now : null,
      organizationId: organization?.id ?? null,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  listingsChanged();
  return { article: article!, author: { id: user.id, username: user.username }, organization: organization && { slug: organization.slug, name: organization.name } };
}

/** An article the viewer may see: live ones (isLive), or their own, or any for an admin. */
export async function getArticle(db: Db, id: number, now: Date, viewer?: User): Promise<ArticleWithAuthor> {
  const [row] = await selectArticles(db).where(eq(articles.id, id));
  if (!row || !(listing.isLive(row.article, now) || viewer?.admin || viewer?.id === row.article.userId)) {
    throw notFound('No such article.');
  }
  return row;
}

/** An article the user may change (their own, or any for an admin); others' are 404 or 403. */
export async function getEditableArticle(db: Db, id: number, user: User, now: Date): Promise<ArticleWithAuthor> {
  const row = await getArticle(db, id, now, user);
  if (row.article.userId !== user.id && !user.admin) throw forbidden('You can only edit your own articles.');
  return row;
}

/**
 * Changes an article. `organization` moves it to another of its author's organizations, or (null)
 * back to the author's own; a job listing needs the permission to post jobs, the editor's own or
 * its organization's, when it becomes one or changes organization.
 */
export async function updateArticle(
  db: Db,
  render: RenderMarkdown,
  user: User,
  id: number,
  patch: ArticlePatch,
  now: Date,
): Promise<ArticleWithAuthor> {
  const { article, author, organization: before } = await getEditableArticle(db, id, user, now);
  const moving = patch.organization !== undefined && patch.organization !== (before?.slug ?? null);
  const organization = moving ? await onBehalfOf(db, article.userId, patch.organization!) : undefined;
  const becomesListing = patch.job_listing === true && !article.jobListing;
  const listingMoves = moving && (patch.job_listing ?? article.jobListing);
  if ((becomesListing || listingMoves) && !canPostJobs(user)) {
    // On behalf of the organization it moves to, or else the one it already has.
    const kept = organization === undefined && article.organizationId !== null;
    const [behalf] = kept ? await db.select().from(organizations).where(eq(organizations.id, article.organizationId!)) : [organization];
    if (!behalf?.canPostJobs) throw jobPermissionError();
  }
  // Rendered before the transaction opens: a slow body holds no row lock.
  const bodyHtml = patch.body_markdown === undefined ? undefined : await render(patch.body_markdown, user.id);
  return db.transaction(async (tx) => {
    await listing.beforeSave(tx, id);
    const publishing = patch.published === true && !article.published;
    const [saved] = await tx
      .update(articles)
      .set({
        ...(patch.title !== undefined && { title: patch.title }),
        ...(patch.body_markdown !== undefined && { bodyMarkdown: patch.body_markdown, bodyHtml }),
        ...(patch.tags !== undefined && { tags: patch.tags }),
        ...(patch.job_listing !== undefined && { jobListing: patch.job_listing }),
        ...(patch.published !== undefined && { published: patch.published }),
        ...(publishing && { publishedAt: now }),
        ...(organization !== undefined && { organizationId: organization?.id ?? null }),
        updatedAt: now,
      })
      .where(eq(articles.id, id))
      .returning();
    listingsChanged();
    return { article: saved!, author, organization: organization === undefined ? before : organization && { slug: organization.slug, name: organization.name } };
  });
}

export async function listArticlesBy(db: Db, userId: number): Promise<ArticleWithAuthor[]> {
  return selectArticles(db)
    .where(eq(articles.userId, userId))
    .orderBy(desc(articles.id));
}

/** Live articles by id, in the order of `ids`. */
export async function liveArticles(db: Db, ids: number[], now: Date): Promise<ArticleWithAuthor[]> {
  if (ids.length === 0) return [];
  const rows = await selectArticles(db)
    .where(and(inArray(articles.id, ids), listing.liveArticle(now)));
  return ids.flatMap((id) => rows.filter((r) => r.article.id === id));
}

export async function recentArticles(db: Db, now: Date, limit = 20): Promise<ArticleWithAuthor[]> {
  return selectArticles(db)
    .where(listing.liveArticle(now))
    .orderBy(sql`${articles.publishedAt} desc nulls last`, desc(articles.id))
    .limit(limit);
}

/**
 * Published job listings paid beyond `now`, most recently bumped first. The week's end is in
 * the WHERE clause, so a listing leaves /jobs the moment it expires with no job to run.
 */
export interface JobsListing {
  jobs: ArticleWithAuthor[];
  total: number;
  /** The earliest paid_until among all live listings: the page is stale from then on. */
  earliestExpiry: Date | null;
}

export async function listJobs(db: Db, now: Date, page: number): Promise<JobsListing> {
  const [jobs, [totalRow]] = await Promise.all([
    selectArticles(db)
      .where(listing.liveListing(now))
      .orderBy(desc(articles.bumpedAt), desc(articles.id))
      .limit(PAGE_SIZE)
      .offset((page - 1) * PAGE_SIZE),
    db.select({ total: count(), earliest: min(articles.paidUntil) }).from(articles).where(listing.liveListing(now)),
  ]);
  return { jobs, total: totalRow?.total ?? 0, earliestExpiry: totalRow?.earliest ?? null };
}

export const pageInput = z.object({ page: z.coerce.number().int().min(1).max(10_000).default(1) });
