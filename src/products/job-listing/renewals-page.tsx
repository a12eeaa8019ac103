import { and, count, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { articles, users } from '../../db/schema.js';
import { formatUtc } from '../../format.js';
import { ScrollX } from '../../web/render.js';
import type { AdminView } from '../slots.js';
import { listingRenewals } from './schema.js';

/** The latest renewals and their outcomes, for the admin's view. */
async function recentRenewals(db: Db, limit = 100) {
  return db
    .select({ renewal: listingRenewals, title: articles.title, username: users.username })
    .from(listingRenewals)
    .innerJoin(articles, eq(articles.id, listingRenewals.articleId))
    .innerJoin(users, eq(users.id, listingRenewals.userId))
    .orderBy(desc(listingRenewals.createdAt))
    .limit(limit);
}

/** How many listings have auto-renew on. */
async function autoRenewCount(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(articles).where(and(eq(articles.jobListing, true), eq(articles.autoRenew, true)));
  return row?.n ?? 0;
}

type RenewalRow = Awaited<ReturnType<typeof recentRenewals>>[number];

const renewalOutcomeWords: Record<RenewalRow['renewal']['outcome'], string> = {
  pending: 'In progress',
  renewed: 'Renewed',
  authentication_required: 'Needs authentication: lapsed',
  declined: 'Declined: lapsed',
  no_card: 'No saved card: lapsed',
  not_allowed: 'Not allowed: lapsed',
};

/** Job listings' auto-renewals, newest first: one row per listing and paid week, with what happened. */
function RenewalsPage({ rows, autoRenewOn }: { rows: RenewalRow[]; autoRenewOn: number }) {
  return (
    <>
      <h1>Listing renewals</h1>
      <p class="muted">
        {autoRenewOn} job listing{autoRenewOn === 1 ? ' has' : 's have'} auto-renew on. Each is charged off-session once per paid week, in its last hour; the poster is e-mailed when it does not go through.
      </p>
      {rows.length === 0 ? (
        <p class="muted">No renewals yet.</p>
      ) : (
        <ScrollX label="Renewals">
          <table>
            <thead>
              <tr>
                <th>Week ending</th>
                <th>Listing</th>
                <th>Poster</th>
                <th>Outcome</th>
                <th>Charge</th>
                <th>Poster e-mailed</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ renewal: r, title, username }) => (
                <tr data-renewal={`${r.articleId}`} data-outcome={r.outcome}>
                  <td>{formatUtc(r.paidUntil)}</td>
                  <td>
                    <a href={`/articles/${r.articleId}`}>{title}</a>
                  </td>
                  <td>{username}</td>
                  <td>
                    {renewalOutcomeWords[r.outcome]}
                    {r.failureMessage && <span class="muted"> ({r.failureMessage})</span>}
                  </td>
                  <td>{r.chargeId ? <a href={`/admin/finance/charges/${r.chargeId}`}>#{r.chargeId}</a> : '—'}</td>
                  <td>{r.notifiedAt ? formatUtc(r.notifiedAt) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollX>
      )}
    </>
  );
}

/** The admin's view of auto-renewals: /admin/renewals and /api/v1/admin/renewals. */
export const renewalsView: AdminView = {
  name: 'renewals',
  title: 'Listing renewals',
  async page(db: Db) {
    const [rows, on] = await Promise.all([recentRenewals(db), autoRenewCount(db)]);
    return <RenewalsPage rows={rows} autoRenewOn={on} />;
  },
  async json(db: Db) {
    return {
      renewals: (await recentRenewals(db)).map(({ renewal: r, title, username }) => ({
        article_id: r.articleId,
        title,
        poster: username,
        paid_until: r.paidUntil,
        outcome: r.outcome,
        charge_id: r.chargeId,
        failure_message: r.failureMessage,
        notified_at: r.notifiedAt,
        created_at: r.createdAt,
        finished_at: r.finishedAt,
      })),
      auto_renew_on: await autoRenewCount(db),
    };
  },
};
