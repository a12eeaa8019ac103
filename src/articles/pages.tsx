import type { ComponentChildren, JSX } from 'preact';
import type { Article } from '../db/schema.js';
import type { Organization } from '../db/organization-schema.js';
import type { ApiError } from '../http/errors.js';
import { articleListing, slot } from '../products/index.js';
import type { ArticlePlace } from '../products/slots.js';
import { ariaInvalid, CsrfField, DataTable, FieldError, Flash, type PageContext, PostButton } from '../web/render.js';
import { excerpt } from './markdown.js';
import { type ArticleWithAuthor, PAGE_SIZE } from './service.js';
import { formatUtc } from '../format.js';

function Tags({ tags }: { tags: string[] }) {
  return (
    <div class="tags">
      {tags.map((t) => (
        <span>#{t}</span>
      ))}
    </div>
  );
}

/** " for Acme" after the author, when posted on an organization's behalf. */
function Behalf({ row }: { row: ArticleWithAuthor }) {
  return row.organization ? (
    <>
      {' for '}
      <strong class="organization" data-organization={row.organization.slug}>
        {row.organization.name}
      </strong>
    </>
  ) : null;
}

function ArticleSummary({ row }: { row: ArticleWithAuthor }) {
  return (
    <article class="card">
      <h3>
        <a href={`/articles/${row.article.id}`}>{row.article.title}</a>
      </h3>
      <p class="muted">
        by {row.author.username}
        <Behalf row={row} />
      </p>
      <p>{excerpt(row.article.bodyHtml)}</p>
      <Tags tags={row.article.tags} />
    </article>
  );
}

/**
 * A page's content with what products draw in the sidebar (billboards) in a column of their own:
 * beside the content on a wide screen, above it on a narrow one, never over it.
 */
function WithSidebar({ sidebar, children }: { sidebar: JSX.Element[]; children: ComponentChildren }) {
  if (sidebar.length === 0) return <>{children}</>;
  return (
    <div class="with-sidebar">
      <aside class="sidebar" aria-label="Sponsored">
        {sidebar}
      </aside>
      <div class="content">{children}</div>
    </div>
  );
}

/** An article's listing state as the products draw it (the job listing's paid week and auto-renew). */
function ListingState({ ctx, article, place }: { ctx: PageContext; article: Article; place: ArticlePlace }) {
  return <>{slot('article.state').map((draw) => draw(ctx, article, place))}</>;
}

export function HomePage({
  articles,
  sidebar,
  featured,
}: { ctx: PageContext; articles: ArticleWithAuthor[]; sidebar: JSX.Element[]; featured: ArticleWithAuthor[] }) {
  return (
    <WithSidebar sidebar={sidebar}>
      <h1>{featured.length > 0 ? 'Articles' : 'Recent articles'}</h1>
      {featured.length > 0 && (
        <section class="featured" aria-labelledby="featured-heading">
          <h2 id="featured-heading">Featured</h2>
          {featured.map((row) => (
            <ArticleSummary row={row} />
          ))}
        </section>
      )}
      {featured.length > 0 && <h2>Recent</h2>}
      {articles.length === 0 && (
        <p class="muted" data-empty="articles">
          Nothing published yet. <a href="/articles/new">Write the first article</a>.
        </p>
      )}
      {articles.map((row) => (
        <ArticleSummary row={row} />
      ))}
    </WithSidebar>
  );
}

/** The same for every visitor (no ctx): rendered once and reused while its listing is cached. */
export function JobsPage({
  jobs,
  page,
  total,
  sidebar,
}: { jobs: ArticleWithAuthor[]; page: number; total: number; sidebar: JSX.Element[] }) {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <WithSidebar sidebar={sidebar}>
      <h1>Jobs</h1>
      <p>
        <a href="/charges/new?product=billboard">Advertise here</a>
      </p>
      <p class="muted">
        {total} live listing{total === 1 ? '' : 's'}. Listings stay here for a week after each payment.
      </p>
      {total === 0 && (
        <p class="muted" data-empty="jobs">
          No job listings right now. Hiring? <a href="/articles/new">Write a listing</a>, tick "This is a job listing", and pay for a week on /jobs.
        </p>
      )}
      {jobs.map((row) => (
        <ArticleSummary row={row} />
      ))}
      <nav class="pager">
        {page > 1 && <a href={`/jobs?page=${page - 1}`}>← Newer</a>}
        <span>
          Page {page} of {pages}
        </span>
        {page < pages && <a href={`/jobs?page=${page + 1}`}>Older →</a>}
      </nav>
    </WithSidebar>
  );
}

export function ArticlePage({ ctx, row }: { ctx: PageContext; row: ArticleWithAuthor }) {
  const a = row.article;
  const mine = ctx.user?.id === a.userId;
  const page = slot('article.page');
  return (
    <article class="card">
      {page.map((draw) => draw.notice?.(ctx, a))}
      <h1>{a.title}</h1>
      <p class="muted">
        by {row.author.username}
        <Behalf row={row} />
        {a.publishedAt && ` · ${formatUtc(a.publishedAt)}`}
        {!a.published && ' · draft'}
      </p>
      <Tags tags={a.tags} />
      {page.map((draw) => draw.badges?.(ctx, a))}
      {/* body_html is produced by renderMarkdown, which sanitises it. */}
      <div class="body" dangerouslySetInnerHTML={{ __html: a.bodyHtml }} />
      {mine && (
        <p>
          <a href={`/articles/${a.id}/edit`}>Edit</a>
          {page.map((draw) => draw.actions?.(ctx, a))}
        </p>
      )}
    </article>
  );
}

export function DashboardPage({ ctx, articles, done, notice }: { ctx: PageContext; articles: ArticleWithAuthor[]; done?: string; notice?: JSX.Element }) {
  const canPostJobs = ctx.user?.admin || ctx.user?.canPostJobs;
  if (articles.length === 0) {
    return (
      <>
        <h1>Your articles</h1>
        <Flash message={done} />
        <div class="card" data-empty="dashboard">
          <h2>Welcome to DevBoard</h2>
          <p>You have not written anything yet. Your articles and job listings appear here, with what each listing has been paid until.</p>
          <p>
            <a href="/articles/new">Write your first article</a>
          </p>
          <p class="muted">
            {canPostJobs
              ? 'You can post job listings: tick "This is a job listing" when you write one, then pay for a week on /jobs.'
              : 'Want to post job listings? Ask for the permission on the Write page.'}
          </p>
        </div>
      </>
    );
  }
  return (
    <>
      <h1>Your articles</h1>
      <Flash message={done} />
      {notice}
      <p>
        <a href="/articles/new">Write a new article</a>
      </p>
      <DataTable
        label="Your articles"
        cards
        rows={articles.map((row) => row.article)}
        columns={[
          { heading: 'Title', label: '', cell: (article) => <a href={`/articles/${article.id}`}>{article.title}</a> },
          // "published" only when the public sees it: a published listing that is not paid is not.
          { heading: 'State', cell: (article) => (!article.published ? 'draft' : articleListing.isLive(article, ctx.now) ? 'published' : 'published, not live') },
          { heading: 'Listing', cell: (article) => (article.jobListing ? <ListingState ctx={ctx} article={article} place="dashboard" /> : <span class="muted">article</span>) },
          {
            heading: '',
            cell: (article) => (
              <>
                <a href={`/articles/${article.id}/edit`}>Edit</a>{' '}
                <PostButton ctx={ctx} action={`/articles/${article.id}/published`} fields={{ published: article.published ? '0' : '1' }} class="link">
                  {article.published ? 'Unpublish' : 'Publish'}
                </PostButton>
              </>
            ),
          },
        ]}
      />
    </>
  );
}

export function ArticleEditor({
  ctx,
  row,
  error,
  values,
  saved,
  payment,
  done,
  notice,
  permission,
  organizations = [],
}: {
  ctx: PageContext;
  row?: ArticleWithAuthor;
  error?: ApiError;
  values?: unknown;
  saved?: boolean;
  payment?: JSX.Element;
  /** A confirmation carried by the redirect that led here. */
  done?: string;
  /** Auto-renew switched on or off, naming the listing. */
  notice?: JSX.Element;
  /** How a member who cannot post jobs asks for it (the new-article page). */
  permission?: JSX.Element;
  /** The organizations it may be posted on behalf of (the author's); none, no choice is offered. */
  organizations?: Array<Pick<Organization, 'slug' | 'name' | 'canPostJobs'>>;
}) {
  const a = row?.article;
  // Sent back with an error, the form shows exactly what was sent (an unticked box stays unticked).
  const v = values === undefined ? undefined : (values as Record<string, string | undefined>);
  const ticked = (name: 'job_listing' | 'published', saved: boolean | undefined) => (v ? v[name] === 'on' : (saved ?? false));
  const canPostJobs = ctx.user?.admin || ctx.user?.canPostJobs;
  return (
    <>
      <Flash message={done} />
      <div class="card">
        <h1>{a ? 'Edit article' : 'Write an article'}</h1>
        {saved && a && (
          <p class="flash" role="status">
            Saved. <a href={`/articles/${a.id}`}>{articleListing.isLive(a, ctx.now) ? 'See it published' : 'Preview it'}</a>
          </p>
        )}
        {notice}
        {error && <p class="flash-error">{error.message}</p>}
        {row && (
          <div class="listing-state">
            <ListingState ctx={ctx} article={row.article} place="edit" />
          </div>
        )}
        <form method="post" action={a ? `/articles/${a.id}` : '/articles'} class="stack">
          <CsrfField ctx={ctx} />
          <label>
            Title <input type="text" name="title" value={v ? (v.title ?? '') : (a?.title ?? '')} required maxLength={200} aria-invalid={ariaInvalid(error, 'title')} aria-describedby="title-error" />
            <FieldError error={error} field="title" id="title-error" />
          </label>
          <label>
            Body (Markdown){' '}
            <textarea name="body_markdown" aria-invalid={ariaInvalid(error, 'body_markdown')} aria-describedby="body-error">
              {v ? (v.body_markdown ?? '') : (a?.bodyMarkdown ?? '')}
            </textarea>
            <FieldError error={error} field="body_markdown" id="body-error" />
          </label>
          <label>
            Tags (comma separated){' '}
            <input type="text" name="tags" value={v ? (v.tags ?? '') : (a?.tags.join(', ') ?? '')} aria-invalid={ariaInvalid(error, 'tags')} aria-describedby="tags-error" />
            <FieldError error={error} field="tags" id="tags-error" />
          </label>
          {organizations.length > 0 && (
            <label>
              On behalf of{' '}
              <select name="organization" aria-invalid={ariaInvalid(error, 'organization')} aria-describedby="organization-error">
                <option value="">myself</option>
                {organizations.map((o) => (
                  <option value={o.slug} selected={(v ? v.organization : row?.organization?.slug) === o.slug}>
                    {o.name}
                  </option>
                ))}
              </select>
              <FieldError error={error} field="organization" id="organization-error" />
            </label>
          )}
          {(canPostJobs || organizations.some((o) => o.canPostJobs) || a?.jobListing) && (
            <label class="check">
              <input type="checkbox" name="job_listing" checked={ticked('job_listing', a?.jobListing)} /> This is a job listing
              <FieldError error={error} field="job_listing" />
            </label>
          )}
          <label class="check">
            <input type="checkbox" name="published" checked={ticked('published', a?.published)} /> Published
          </label>
          <button type="submit">Save</button>
        </form>
        {payment}
      </div>
      {permission}
    </>
  );
}
