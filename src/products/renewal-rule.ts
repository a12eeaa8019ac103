const HOUR_MS = 3600 * 1000;

/** The reminder goes out in the last day of a period. */
export const REMINDER_LEAD_MS = 24 * HOUR_MS;
/**
 * An auto-renewal is charged in the last hour of the period: the scheduler runs every few minutes,
 * so what was bought never lapses, and paying early loses no time (the new period starts at the old end).
 */
export const RENEWAL_LEAD_MS = HOUR_MS;
/**
 * A period that ended more than a day ago is not renewed (the server was down, or auto-renew was
 * turned on for something that had already lapsed): the buyer pays again themselves.
 */
export const RENEWAL_GRACE_MS = 24 * HOUR_MS;

/** The period ends for which something is due: after `after`, up to and including `through`. */
export interface DueWindow {
  after: Date;
  through: Date;
}

export const reminderWindow = (now: Date): DueWindow => ({ after: now, through: new Date(now.getTime() + REMINDER_LEAD_MS) });
export const renewalWindow = (now: Date): DueWindow => ({
  after: new Date(now.getTime() - RENEWAL_GRACE_MS),
  through: new Date(now.getTime() + RENEWAL_LEAD_MS),
});

export const inWindow = (periodEnd: Date | null, window: DueWindow): boolean =>
  periodEnd !== null && periodEnd.getTime() > window.after.getTime() && periodEnd.getTime() <= window.through.getTime();
