import { and, eq, gt, or, type SQL } from 'drizzle-orm';
import { articles } from '../../db/schema.js';
import { isPaid } from './paid-window.js';

/**
 * Whether an article is public ("live"): published and, for a job listing, paid. An unpaid
 * listing gets no free exposure: it is on no public list, and its page is for its author and
 * admins only. The pure rule and its SQL form below say the same; change them together.
 */
export const isLive = (a: { published: boolean; jobListing: boolean; paidUntil: Date | null }, now: Date): boolean =>
  a.published && (!a.jobListing || isPaid(a.paidUntil, now));

/** A live job listing, in the form /jobs' partial indexes serve (published and job_listing, then paid_until). */
export const liveJobListing = (now: Date | SQL): SQL => and(eq(articles.published, true), eq(articles.jobListing, true), gt(articles.paidUntil, now))!;

/** isLive as a WHERE condition on `articles` (`now` a value, or a placeholder of a prepared statement). */
export const liveArticle = (now: Date | SQL): SQL => or(and(eq(articles.published, true), eq(articles.jobListing, false)), liveJobListing(now))!;
