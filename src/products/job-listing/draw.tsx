import type { Article } from '../../db/schema.js';
import { formatUtc } from '../../format.js';
import { CsrfField, type PageContext } from '../../web/render.js';
import type { ArticlePlace } from '../slots.js';
import { isLive } from './live.js';
import { isPaid } from './paid-window.js';

/** "Paid until …" or "Not paid — Pay to list on /jobs", as the author sees it. */
export function PaidState({ article: a, now }: { article: Article; now: Date }) {
  if (!a.jobListing) return null;
  if (isPaid(a.paidUntil, now)) {
    // Paying again adds a week after the current one and bumps the listing to the top.
    return (
      <span class="paid-state">
        <span class="badge paid">Paid until {formatUtc(a.paidUntil!)}</span>{' '}
        <a href={`/charges/new?product=job_listing&article_id=${a.id}`} data-extend>
          Extend a week
        </a>
      </span>
    );
  }
  return (
    <span class="badge unpaid">
      Not paid — <a href={`/charges/new?product=job_listing&article_id=${a.id}`}>Pay to list on /jobs</a>
    </span>
  );
}

/**
 * A job listing's auto-renew switch for its author: the state in words and one button that flips
 * it (a POST with CSRF; the page it returns to confirms the change).
 */
function AutoRenewForm({ ctx, article: a, back }: { ctx: PageContext; article: Article; back: ArticlePlace }) {
  if (!a.jobListing || ctx.user?.id !== a.userId) return null;
  return (
    <form method="post" action={`/articles/${a.id}/auto-renew`} class="inline auto-renew" data-auto-renew={a.autoRenew ? 'on' : 'off'}>
      <CsrfField ctx={ctx} />
      <input type="hidden" name="enabled" value={a.autoRenew ? '0' : '1'} />
      <input type="hidden" name="back" value={back} />
      <span class={a.autoRenew ? 'badge paid' : 'badge'}>Auto-renew {a.autoRenew ? 'on' : 'off'}</span>{' '}
      <button type="submit" class="link">
        {a.autoRenew ? 'Turn off auto-renew' : 'Turn on auto-renew'}
      </button>
    </form>
  );
}

/** The listing's state and its auto-renew switch, in its row on the dashboard and on its edit page. */
export function ListingState({ ctx, article, place }: { ctx: PageContext; article: Article; place: ArticlePlace }) {
  return (
    <>
      <PaidState article={article} now={ctx.now} /> <AutoRenewForm ctx={ctx} article={article} back={place} />
    </>
  );
}

/** What the page says after auto-renew was switched for one of the listed articles. */
export function AutoRenewNotice({ title, on, price }: { title: string; on: boolean; price: string }) {
  return (
    <p class="flash" role="status">
      {on
        ? `Auto-renew is on for “${title}”: in the last hour of each paid week, ${price} is charged to the card you last paid for it with, for another week. If that card is declined or needs your bank's confirmation, the listing lapses and we e-mail you a link to pay.`
        : `Auto-renew is off for “${title}”: it will not be charged again, and leaves /jobs when its paid week ends.`}
    </p>
  );
}

/** Why a job listing its author or an admin is looking at is hidden from everyone else; its author can pay from here. */
export function NotLiveNotice({ ctx, article }: { ctx: PageContext; article: Article }) {
  if (!article.jobListing || isLive(article, ctx.now)) return null;
  return (
    <div class="flash-error" role="status" data-live="no">
      <p>
        <strong>Not live: pay to publish.</strong> Until it is paid, this job listing is on no public list and its page is seen only by its author and admins.
      </p>
      {ctx.user?.id === article.userId && (
        <form method="get" action="/charges/new" class="inline">
          <input type="hidden" name="product" value="job_listing" />
          <input type="hidden" name="article_id" value={String(article.id)} />
          <button type="submit">Pay to publish</button>
        </form>
      )}
    </div>
  );
}
