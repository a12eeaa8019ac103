import { inWindow, reminderWindow, renewalWindow } from '../renewal-rule.js';

// The windows are every renewable product's (renewal-rule.ts); the listing's tests read them here.
export { REMINDER_LEAD_MS, RENEWAL_GRACE_MS, RENEWAL_LEAD_MS } from '../renewal-rule.js';

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
