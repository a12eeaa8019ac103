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

export function sendPage(reply: FastifyReply, ctx: PageContext, title: string, body: VNode, status = 200) {
  const html = renderToString(
    <Layout ctx={ctx} title={title}>
      {body}
    </Layout>,
  );
  return reply.status(status).type('text/html; charset=utf-8').send(`<!doctype html>${html}`);
}

export function CsrfField({ ctx }: { ctx: PageContext }) {
  return <input type="hidden" name="_csrf" value={ctx.csrf} />;
}

function Layout({ ctx, title, children }: { ctx: PageContext; title: string; children: ComponentChildren }) {
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
        <main>{children}</main>
      </body>
    </html>
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

/** A field's error, shown beside the field. */
export function FieldError({ error, field }: { error?: { fields?: Record<string, string> }; field: string }) {
  const message = error?.fields?.[field];
  return message ? <span class="field-error">{message}</span> : null;
}

