/**
 * web: the page layout, shared page pieces and form helpers (this file), the stylesheet and favicon
 * (assets/), and the browser scripts (client/), bundled at start.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren, VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { User } from '../db/schema.js';

/** What every page needs: who is looking, a CSRF token for its forms, and the app's "now". */
export interface PageContext {
  user: User | null;
  csrf: string;
  now: Date;
  /** Extra script URLs this page loads (all same-origin or the configured Stripe.js). */
  scripts?: string[];
}

/** The CSRF token is made on first use: a page without forms (most anonymous reads) skips the work and the cookie. */
export function pageContext(request: FastifyRequest, reply: FastifyReply): PageContext {
  let csrf: string | undefined;
  return {
    user: request.user,
    now: request.server.clock.now(),
    get csrf() {
      csrf ??= request.server.csrf.token(request, reply);
      return csrf;
    },
  };
}

/** A page body rendered once, to be sent to many visitors: it must not depend on who is looking. */
export interface RenderedBody {
  html: string;
}

export function renderBody(body: VNode): RenderedBody {
  return { html: renderToString(body) };
}

/**
 * The layout before and after the body, for a visitor nobody is signed in as on a page without
 * scripts: the same for all of them, so rendered once per title (titles of such pages are the
 * app's own; bounded all the same).
 */
const anonymousLayouts = new Map<string, readonly [string, string]>();
const BODY_MARK = '<!--body-->';
function anonymousLayout(ctx: PageContext, title: string): readonly [string, string] {
  let parts = anonymousLayouts.get(title);
  if (!parts) {
    const [before, after] = renderToString(<Layout ctx={ctx} title={title} body={{ html: BODY_MARK }} />).split(BODY_MARK);
    parts = [`<!doctype html>${before}`, after!];
    if (anonymousLayouts.size < 64) anonymousLayouts.set(title, parts);
  }
  return parts;
}

/** `body` is rendered here, or was rendered before (renderBody) and is sent as it is. */
export function sendPage(reply: FastifyReply, ctx: PageContext, title: string, body: VNode | RenderedBody, status = 200) {
  const send = (html: string) => reply.status(status).type('text/html; charset=utf-8').send(html);
  if ('html' in body && !ctx.user && !ctx.scripts) {
    const [before, after] = anonymousLayout(ctx, title);
    return send(before + body.html + after);
  }
  return send(`<!doctype html>${renderToString(<Layout ctx={ctx} title={title} body={body} />)}`);
}

export function CsrfField({ ctx }: { ctx: PageContext }) {
  return <input type="hidden" name="_csrf" value={ctx.csrf} />;
}

function Layout({ ctx, title, body }: { ctx: PageContext; title: string; body: VNode | RenderedBody }) {
  const user = ctx.user;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · DevBoard`}</title>
        <link rel="stylesheet" href="/assets/app.css" />
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        {ctx.scripts?.map((src) => <script src={src} defer />)}
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">
            DevBoard
          </a>
          <nav>
            <a href="/jobs">Jobs</a>
            {user ? (
              <>
                <a href="/dashboard">Dashboard</a>
                <a href="/articles/new">Write</a>
                <a href="/settings">Settings</a>
                {user.admin && <a href="/admin/finance">Admin</a>}
                <form method="post" action="/logout" class="inline">
                  <CsrfField ctx={ctx} />
                  <button type="submit" class="link">
                    Log out {user.username}
                  </button>
                </form>
              </>
            ) : (
              <>
                <a href="/login">Log in</a>
                <a href="/signup">Sign up</a>
              </>
            )}
          </nav>
        </header>
        {'html' in body ? <main dangerouslySetInnerHTML={{ __html: body.html }} /> : <main>{body}</main>}
        <footer class="site">
          <a href="/api/docs">API reference</a>
        </footer>
      </body>
    </html>
  );
}

/** A form of one button, inline in text or a table cell: POSTs the CSRF token and the given hidden fields. */
export function PostButton({ ctx, action, fields, class: buttonClass, label, formClass, children }: { ctx: PageContext; action: string; fields?: Record<string, string>; class?: string; label?: string; formClass?: string; children: ComponentChildren }) {
  return (
    <form method="post" action={action} class={formClass ? `inline ${formClass}` : 'inline'}>
      <CsrfField ctx={ctx} />
      {Object.entries(fields ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={buttonClass} aria-label={label}>
        {children}
      </button>
    </form>
  );
}

/** One column of a DataTable: its heading and, for each row, its cell and the cell's attributes. */
export interface Column<T> {
  heading: ComponentChildren;
  /** What labels the cell when rows are cards: the heading when it is text, unless '' is given. */
  label?: string;
  cell: (row: T) => ComponentChildren;
  attrs?: (row: T) => Record<string, string | number | undefined>;
}

/** A column's label on a card; '' (none) for a column that speaks for itself, like a title or a button. */
const cardLabel = (c: Column<never>) => (c.label ?? (typeof c.heading === 'string' ? c.heading : '')) || undefined;

/**
 * The site's table of rows, inside a ScrollX: one column per entry. `cards` turns each row into a card
 * on a narrow screen, each cell labelled by its column's heading (stylesheet: table.cards-when-narrow).
 */
export function DataTable<T>({
  label,
  rows,
  columns,
  cards,
  class: className,
  rowAttrs,
  empty,
}: {
  label: string;
  rows: readonly T[];
  columns: ReadonlyArray<Column<T>>;
  cards?: boolean;
  class?: string;
  rowAttrs?: (row: T) => Record<string, string | number | undefined>;
  /** A row said in place of none. */
  empty?: ComponentChildren;
}) {
  return (
    <ScrollX label={label}>
      <table class={[className, cards && 'cards-when-narrow'].filter(Boolean).join(' ') || undefined}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th>{c.heading}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && empty && (
            <tr>
              <td colSpan={columns.length} class="muted">
                {empty}
              </td>
            </tr>
          )}
          {rows.map((row) => (
            <tr {...rowAttrs?.(row)}>
              {columns.map((c) => (
                <td data-label={cards ? cardLabel(c) : undefined} {...c.attrs?.(row)}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollX>
  );
}

/** A wide table scrolls inside this box, never the page; keyboards can focus it to scroll. */
export function ScrollX({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus for keyboards to scroll it (WCAG 2.1.1, axe scrollable-region-focusable).
    <section class="scroll-x" tabIndex={0} aria-label={label}>
      {children}
    </section>
  );
}

export function ErrorList({ fields }: { fields?: Record<string, string> }) {
  if (!fields) return null;
  return (
    <ul class="errors">
      {Object.entries(fields).map(([field, message]) => (
        <li>
          <strong>{field}</strong>: {message}
        </li>
      ))}
    </ul>
  );
}

/** What was typed in a form field, to put back in it when the form is sent back with an error. */
export function typed(values: unknown, key: string): string {
  const v = (values as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'string' ? v : '';
}

/** The error of a field, or of a part of it (`tags.2` for `tags`). */
export function fieldMessage(error: { fields?: Record<string, string> } | undefined, field: string): string | undefined {
  const fields = error?.fields;
  if (!fields) return undefined;
  return fields[field] ?? Object.entries(fields).find(([key]) => key.startsWith(`${field}.`))?.[1];
}

/** `aria-invalid` for a field: 'true' when it has an error, else absent. */
export const ariaInvalid = (error: { fields?: Record<string, string> } | undefined, field: string) => (fieldMessage(error, field) ? 'true' : undefined);

/** A field's error, shown beside the field. */
export function FieldError({ error, field, id }: { error?: { fields?: Record<string, string> }; field: string; id?: string }) {
  const message = fieldMessage(error, field);
  return message ? (
    <span class="field-error" id={id}>
      {message}
    </span>
  ) : null;
}

/**
 * A one-shot confirmation carried by a redirect (`?done=card_removed`): the key picks one of the
 * page's fixed texts; nothing from the URL is ever shown.
 */
export function doneMessage<K extends string>(query: unknown, messages: Record<K, string>): string | undefined {
  const done = (query as { done?: unknown } | undefined)?.done;
  return typeof done === 'string' && Object.hasOwn(messages, done) ? messages[done as K] : undefined;
}

/** A confirmation after a state change, announced to screen readers. */
export function Flash({ message }: { message?: string }) {
  return message ? (
    <p class="flash" role="status">
      {message}
    </p>
  ) : null;
}

const coreAdminPages: Array<[href: string, label: string]> = [
  ['/admin/finance', 'Ledger'],
  ['/admin/disputes', 'Disputes'],
  ['/admin/payment-mismatches', 'Payment mismatches'],
  ['/admin/webhooks', 'Failed webhooks'],
  ['/admin/reconcile', 'Reconciliation'],
  ['/admin/audit', 'Audit log'],
  ['/admin/users', 'Users'],
  ['/admin/permission-requests', 'Permission requests'],
];
/** The views products bring (renewals, a product's own), by href: linked after the core's pages. */
const viewPages = new Map<string, string>();

/** Links the products' admin views (`/admin/<name>`) in the menu; the finance room registers them. */
export function linkAdminViews(views: ReadonlyArray<{ name: string; title: string }>): void {
  for (const view of views) viewPages.set(`/admin/${view.name}`, view.title);
}

/** The admin pages' own navigation. */
export function AdminNav() {
  return (
    <nav class="admin-nav" aria-label="Admin">
      {[...coreAdminPages, ...viewPages].map(([href, label]) => (
        <>
          <a href={href}>{label}</a>{' '}
        </>
      ))}
    </nav>
  );
}

/** A Stripe object's id, linked to where a person can look at it (the gateway's objectUrl). */
export function StripeObject({ id, url }: { id: string | null; url: (id: string) => string }) {
  return id ? (
    <a href={url(id)} rel="noreferrer" data-stripe-object={id}>
      {id}
    </a>
  ) : null;
}
