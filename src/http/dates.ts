import { z } from 'zod';

/** Dates a member or admin sends (filters, exports, a reconcile window): bounded, so no query runs over a range PostgreSQL cannot hold. */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(3000, 0, 1);
/** Whether `t` (ms) is a date filters and exports can mean: from 1970 to 2999 (PostgreSQL and ISO strings end far earlier than JS dates). */
export const plausibleTime = (t: number) => t >= EARLIEST && t < LATEST;
const OUT_OF_RANGE = 'A date from 1970-01-01 to 2999-12-31.';

/** A date (YYYY-MM-DD, the whole day) or an instant; `to` is inclusive of its day. */
export const dateParam = z
  .string()
  .max(40)
  .refine((s) => !Number.isNaN(Date.parse(s)), 'Not a date.')
  .refine((s) => plausibleTime(Date.parse(s)), OUT_OF_RANGE);

/** An instant in the same range, for JSON inputs (`since`). */
export const plausibleDate = z.coerce.date().refine((d) => plausibleTime(d.getTime()), OUT_OF_RANGE);
