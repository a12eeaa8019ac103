import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/accounts/service.js';
import { appendCredits, type CreditOwner, creditBalance, creditEntriesOf, grantPurchase, spendCredits, takeUpTo } from '../src/credits/ledger.js';
import { creditAccounts, creditEntries } from '../src/credits/schema.js';
import { type Database, queryRows } from '../src/db/client.js';
import { charges, refunds, type User } from '../src/db/schema.js';
import { organizations } from '../src/organizations/schema.js';
import { freshDatabase } from './helpers/db.js';

const at = new Date('2026-03-02T10:00:00Z');
let database: Database;
let buyer: User;
let seq = 0;

beforeAll(async () => {
  database = await freshDatabase();
  buyer = await createUser(database.db, { username: 'buyer', email: 'buyer@example.com', password: 'a long password' });
});
afterAll(() => database.close());

async function charge(): Promise<number> {
  const [row] = await database.db
    .insert(charges)
    .values({ userId: buyer.id, product: 'credits', amount: 2500, currency: 'usd', idempotencyKey: `k${++seq}` })
    .returning({ id: charges.id });
  return row!.id;
}

async function newOrganization(): Promise<CreditOwner> {
  const [org] = await database.db.insert(organizations).values({ slug: `org-${++seq}`, name: 'Org' }).returning({ id: organizations.id });
  return { organizationId: org!.id };
}

const sumOfEntries = async (owner: CreditOwner) => (await creditEntriesOf(database.db, owner)).reduce((sum, e) => sum + e.change, 0);

describe('the credits ledger', () => {
  it("grants a purchase's credits once per charge, whoever races to settle it", async () => {
    const owner = await newOrganization();
    const chargeId = await charge();
    const outcomes = await Promise.all([1, 2, 3].map(() => grantPurchase(database.db, owner, { chargeId, credits: 10, byUserId: buyer.id, at })));
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['applied', 'duplicate', 'duplicate']);
    expect(await creditBalance(database.db, owner)).toBe(10);
    expect(await creditEntriesOf(database.db, owner)).toEqual([{ at, change: 10, reason: 'purchase', charge_id: chargeId, by: 'buyer' }]);
  });

  it('gives exactly 5 of 20 simultaneous spends against a balance of 5', async () => {
    const owner = await newOrganization();
    await grantPurchase(database.db, owner, { chargeId: await charge(), credits: 5, byUserId: buyer.id, at });
    const spends = await Promise.all(Array.from({ length: 20 }, () => charge()));
    const outcomes = await Promise.all(spends.map((chargeId) => spendCredits(database.db, owner, { chargeId, credits: 1, byUserId: buyer.id, at })));
    expect(outcomes.filter((o) => o.outcome === 'applied')).toHaveLength(5);
    expect(outcomes.filter((o) => o.outcome === 'insufficient')).toHaveLength(15);
    expect(await creditBalance(database.db, owner)).toBe(0);
    expect(await sumOfEntries(owner)).toBe(0);
  });

  it('refuses a spend twice for one charge as a duplicate, leaving the caller’s transaction usable', async () => {
    const owner = await newOrganization();
    await grantPurchase(database.db, owner, { chargeId: await charge(), credits: 3, byUserId: buyer.id, at });
    const chargeId = await charge();
    const result = await database.db.transaction(async (tx) => {
      const first = await spendCredits(tx, owner, { chargeId, credits: 1, byUserId: buyer.id, at });
      const second = await spendCredits(tx, owner, { chargeId, credits: 1, byUserId: buyer.id, at });
      return [first.outcome, second.outcome, await creditBalance(tx, owner)];
    });
    expect(result).toEqual(['applied', 'duplicate', 2]);
  });

  it('is enforced by the database: no negative balance, no edited or deleted entry, a note on every admin grant', async () => {
    const owner = await newOrganization();
    await grantPurchase(database.db, owner, { chargeId: await charge(), credits: 2, byUserId: buyer.id, at });
    await expect(database.db.update(creditAccounts).set({ balance: -1 }).where(eq(creditAccounts.organizationId, (owner as { organizationId: number }).organizationId))).rejects.toThrow();
    await expect(database.db.update(creditEntries).set({ change: 100 })).rejects.toThrow();
    await expect(database.db.delete(creditEntries)).rejects.toThrow();
    await expect(appendCredits(database.db, owner, { change: 5, reason: 'grant', at })).rejects.toThrow();
    expect((await appendCredits(database.db, owner, { change: 5, reason: 'grant', note: 'Conference sponsor', byUserId: buyer.id, at })).balance).toBe(7);
    expect(await appendCredits(database.db, owner, { change: -8, reason: 'revoke', note: 'Too many', byUserId: buyer.id, at })).toEqual({ outcome: 'insufficient', balance: 7 });
    expect(await sumOfEntries(owner)).toBe(7);
  });

  it('takes credits back once and gives them back once per refund row, whoever races; takeUpTo stops at zero', async () => {
    const owner = await newOrganization();
    const chargeId = await charge();
    await grantPurchase(database.db, owner, { chargeId, credits: 4, byUserId: buyer.id, at });
    const [refund] = await database.db.insert(refunds).values({ chargeId, amount: 1000, currency: 'usd', status: 'requested', createdAt: at, updatedAt: at }).returning();
    const entry = { reason: 'refund', chargeId, refundId: refund!.id, at } as const;
    const taken = await Promise.all([1, 2, 3].map(() => appendCredits(database.db, owner, { ...entry, change: -2 })));
    expect(taken.map((o) => o.outcome).sort()).toEqual(['applied', 'duplicate', 'duplicate']);
    const given = await Promise.all([1, 2].map(() => appendCredits(database.db, owner, { ...entry, change: 2 })));
    expect(given.map((o) => o.outcome).sort()).toEqual(['applied', 'duplicate']);
    expect(await creditBalance(database.db, owner)).toBe(4);
    expect(await takeUpTo(database.db, owner, 6, { reason: 'dispute', chargeId, at, note: (n) => `${n} frozen` })).toEqual({ taken: 4, balance: 0 });
    expect(await takeUpTo(database.db, owner, 1, { reason: 'dispute', chargeId, at, note: (n) => `${n} frozen` })).toEqual({ taken: 0, balance: 0 });
    expect((await creditEntriesOf(database.db, owner)).at(-1)).toMatchObject({ reason: 'dispute', change: -4, note: '4 frozen' });
    expect(await sumOfEntries(owner)).toBe(0);
  });

  it("keeps a member's balance apart from an organization's", async () => {
    const member: CreditOwner = { userId: buyer.id };
    expect(await creditBalance(database.db, member)).toBe(0);
    await grantPurchase(database.db, member, { chargeId: await charge(), credits: 4, byUserId: buyer.id, at });
    expect(await creditBalance(database.db, member)).toBe(4);
    expect(await creditEntriesOf(database.db, member)).toHaveLength(1);
  });

  it('always has a balance equal to the sum of its entries, never below zero, whatever happens in whatever order', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('purchase' as const), credits: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ kind: fc.constant('spend' as const), credits: fc.integer({ min: 1, max: 10 }) }),
      fc.record({ kind: fc.constant('revoke' as const), credits: fc.integer({ min: 1, max: 10 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const owner = await newOrganization();
        let expected = 0;
        for (const s of steps) {
          const chargeId = await charge();
          const result =
            s.kind === 'purchase'
              ? await grantPurchase(database.db, owner, { chargeId, credits: s.credits, byUserId: buyer.id, at })
              : s.kind === 'spend'
                ? await spendCredits(database.db, owner, { chargeId, credits: s.credits, byUserId: buyer.id, at })
                : await appendCredits(database.db, owner, { change: -s.credits, reason: 'revoke', note: 'test', byUserId: buyer.id, at });
          const change = s.kind === 'purchase' ? s.credits : -s.credits;
          if (expected + change >= 0) {
            expect(result.outcome).toBe('applied');
            expected += change;
          } else expect(result.outcome).toBe('insufficient');
          expect(result.balance).toBe(expected);
        }
        expect(await creditBalance(database.db, owner)).toBe(expected);
        expect(await sumOfEntries(owner)).toBe(expected);
      }),
      { numRuns: 15 },
    );
    const [drift] = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from ${creditAccounts} a where a.balance <> (select coalesce(sum(change), 0) from ${creditEntries} e where e.account_id = a.id)`,
    );
    expect(drift!.n).toBe(0);
  });
});
