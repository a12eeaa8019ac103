import fc from 'fast-check';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/client.js';
import { auditLog, type ChargeStatus, chargeStatuses, charges, users } from '../src/db/schema.js';
import { canTransition } from '../src/payments/state.js';
import { moveCharge } from '../src/payments/transition.js';
import { freshDatabase } from './helpers/db.js';

/** How far along a charge is; a won dispute (disputed → succeeded or partially_refunded) is the one step back state.ts allows. */
const rank: Record<ChargeStatus, number> = { pending: 0, requires_action: 1, processing: 2, failed: 3, canceled: 4, succeeded: 5, partially_refunded: 6, disputed: 6, refunded: 7 };
const wonDispute = (from: ChargeStatus, to: ChargeStatus) => from === 'disputed' && (to === 'succeeded' || to === 'partially_refunded');

const status = fc.constantFrom(...chargeStatuses);
/** A move: its target, and sometimes a caller's narrower list of states it may come from. */
const move = fc.record({ to: status, from: fc.option(fc.subarray([...chargeStatuses], { minLength: 1 }), { nil: undefined }) });

describe('moveCharge (the one function that moves a charge, on the real database)', () => {
  let database: Database;
  let userId: number;
  let seq = 0;
  beforeAll(async () => {
    database = await freshDatabase();
    const [user] = await database.db.insert(users).values({ username: 'mover', email: 'mover@example.com', passwordHash: 'x' }).returning();
    userId = user!.id;
  });
  afterAll(() => database.close());

  const audits = async (chargeId: number) =>
    database.db
      .select({ action: auditLog.action, before: auditLog.before, after: auditLog.after })
      .from(auditLog)
      .where(and(eq(auditLog.subjectType, 'charge'), eq(auditLog.subjectId, String(chargeId))))
      .orderBy(auditLog.id);
  const stored = async (chargeId: number) => (await database.db.select({ status: charges.status }).from(charges).where(eq(charges.id, chargeId)))[0]!.status;

  it('moves only where state.ts allows (never backward but for a won dispute), each move with exactly one audit row, even when two race', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(move, { minLength: 1, maxLength: 12 }), async (moves) => {
        const [charge] = await database.db
          .insert(charges)
          .values({ userId, product: 'job_listing', amount: 2500, currency: 'usd', idempotencyKey: `move-${++seq}` })
          .returning();
        let current: ChargeStatus = 'pending';
        let moved = 0;
        for (const [i, { to, from }] of moves.entries()) {
          const before = current;
          const expected = canTransition(before, to) && (from === undefined || from.includes(before));
          // Two callers ask for the same move at once: the guard lets one through.
          const request = () => moveCharge(database.db, charge!.id, { to, from, set: { failureMessage: `move ${i}` }, at: new Date(), actor: 'test', before: { status: before }, after: { status: to } });
          const results = await Promise.all([request(), request()]);
          const rows = results.filter((row) => row !== undefined);
          expect(rows.length).toBe(expected ? 1 : 0);
          const now = await stored(charge!.id);
          if (expected) {
            expect(rows[0]).toMatchObject({ id: charge!.id, status: to, failureMessage: `move ${i}` });
            expect(rank[to] >= rank[before] || wonDispute(before, to)).toBe(true);
            expect(now).toBe(to);
            current = to;
            moved++;
          } else {
            expect(now).toBe(current);
          }
          const entries = await audits(charge!.id);
          expect(entries.length).toBe(moved);
          if (expected) expect(entries.at(-1)).toEqual({ action: `charge.${to}`, before: { status: before }, after: { status: to } });
        }
      }),
      { numRuns: 40 },
    );
  });

  it('writes nothing when the guard refuses: no row change, no audit row', async () => {
    const [charge] = await database.db
      .insert(charges)
      .values({ userId, product: 'job_listing', amount: 2500, currency: 'usd', status: 'refunded', idempotencyKey: `move-${++seq}` })
      .returning();
    for (const to of chargeStatuses) {
      expect(await moveCharge(database.db, charge!.id, { to, set: { failureMessage: 'no' }, at: new Date(), actor: 'test' })).toBeUndefined();
    }
    expect((await database.db.select().from(charges).where(eq(charges.id, charge!.id)))[0]).toEqual(charge);
    expect(await audits(charge!.id)).toEqual([]);
  });
});
