const HOUR_MS = 3600 * 1000;

/** The reminder goes out in the last day of a paid week. */
export const REMINDER_LEAD_MS = 24 * HOUR_MS;
/**
 * An auto-renewal is charged in the last hour of the week: the upkeep runs every few minutes, so
 * the listing never leaves /jobs, and paying early loses no time (the new week starts at the old end).
 */
export const RENEWAL_LEAD_MS = HOUR_MS;
/**
 * A week that ended more than a day ago is not renewed (the server was down, or auto-renew was
 * turned on for a listing that had already lapsed): the poster pays again themselves.
 */
export const RENEWAL_GRACE_MS = 24 * HOUR_MS;

/** The `paid_until` values for which something is due: after `after`, up to and including `through`. */
export interface DueWindow {
  after: Date;
  through: Date;
}

export const reminderWindow = (now: Date): DueWindow => ({ after: now, through: new Date(now.getTime() + REMINDER_LEAD_MS) });
export const renewalWindow = (now: Date): DueWindow => ({
  after: new Date(now.getTime() - RENEWAL_GRACE_MS),
  through: new Date(now.getTime() + RENEWAL_LEAD_MS),
});

export const inWindow = (paidUntil: Date | null, window: DueWindow): boolean =>
  paidUntil !== null && paidUntil.getTime() > window.after.getTime() && paidUntil.getTime() <= window.through.getTime();

export interface ListingState {
  jobListing: boolean;
  published: boolean;
  autoRenew: boolean;
  paidUntil: Date | null;
}

/**
 * What the upkeep owes a listing at `now` (the database queries use the same windows, and the keys
 * (listing, paid_until) make each happen at most once per paid week): the reminder while its week
 * has a day or less to run; the renewal, when opted in, from the last hour of the week to a day after.
 */
export function upkeepDue(listing: ListingState, now: Date): { reminder: boolean; renewal: boolean } {
  const live = listing.jobListing && listing.published;
  return {
    reminder: live && inWindow(listing.paidUntil, reminderWindow(now)),
    renewal: live && listing.autoRenew && inWindow(listing.paidUntil, renewalWindow(now)),
  };
}
