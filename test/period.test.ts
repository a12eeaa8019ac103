import fc from 'fast-check';
import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, queryRows } from '../src/db/client.js';
import { type Period, period, WEEK, WEEK_MS } from '../src/products/period.js';
import { freshDatabase } from './helpers/db.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
// Sixty weeks from T0 cross both daylight-saving changes of the session's zone below.
const instant = fc.integer({ min: 0, max: 60 * WEEK_MS }).map((ms) => new Date(T0 + ms));
const length = fc.oneof(fc.constant(WEEK), fc.integer({ min: 1, max: 60 * 24 * 3600e3 }).map(period));

const at = (d: Date | null) => sql`${d?.toISOString() ?? null}::timestamptz`;
const epochMs = (e: SQL) => sql`(extract(epoch from ${e}) * 1000)::bigint::text`;

describe('a period: the SQL expression and the TypeScript fold agree to the millisecond', () => {
  let database: Database;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(() => database.close());

  /** Extends from `currentEnd` by each payment in turn, in SQL, in a session whose zone has daylight saving. */
  async function inSql(p: Period, paidAts: Date[], currentEnd: Date | null) {
    const fold = (times: Date[], end: Date | null) => times.reduce<SQL>((e, t) => p.extendSql(at(t), e), at(end));
    const sorted = [...paidAts].sort((a, b) => a.getTime() - b.getTime());
    const [row] = await database.db.transaction(async (tx) => {
      await tx.execute(sql`set local time zone 'America/New_York'`);
      return queryRows<{ extended: string | null; ended: string | null }>(
        tx,
        sql`select ${epochMs(fold(paidAts, currentEnd))} as extended, ${epochMs(fold(sorted, null))} as ended`,
      );
    });
    const ms = (v: string | null | undefined) => (v == null ? null : Number(v));
    return { extended: ms(row?.extended), ended: ms(row?.ended) };
  }

  it('for random payment times, current ends and lengths', async () => {
    await fc.assert(
      fc.asyncProperty(length, fc.array(instant, { maxLength: 10 }), fc.option(instant, { nil: null }), async (p, paidAts, currentEnd) => {
        const extended = paidAts.reduce<Date | null>((end, t) => p.extend(t, end), currentEnd);
        expect(await inSql(p, paidAts, currentEnd)).toEqual({
          extended: extended?.getTime() ?? null,
          ended: p.endAfter(paidAts)?.getTime() ?? null,
        });
      }),
      { numRuns: 60 },
    );
  });
});
