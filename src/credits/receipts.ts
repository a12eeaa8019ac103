/**
 * How a charge paid with credits was paid, read from the credits ledger: how many credits, and whose,
 * instead of a card; and credits bought for an organization are billed to it. (Anything else an
 * organization paid for is billed to it by src/organizations/receipts.ts.)
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { Charge } from '../db/schema.js';
import { billedTo } from '../organizations/receipts.js';
import { organizations } from '../organizations/schema.js';
import type { ReceiptParties, ReceiptParty } from '../payments/receipts.js';
import { creditAccounts, creditEntries } from './schema.js';

export const creditReceiptParties: ReceiptParties = async (db: Db, charges: Charge[]) => {
  const parties = new Map<number, ReceiptParty>();
  if (charges.length === 0) return parties;
  const rows = await db
    .select({ chargeId: creditEntries.chargeId, reason: creditEntries.reason, change: creditEntries.change, organization: organizations })
    .from(creditEntries)
    .innerJoin(creditAccounts, eq(creditAccounts.id, creditEntries.accountId))
    .leftJoin(organizations, eq(organizations.id, creditAccounts.organizationId))
    .where(and(inArray(creditEntries.chargeId, charges.map((c) => c.id)), inArray(creditEntries.reason, ['purchase', 'spend'])));
  for (const { chargeId, reason, change, organization } of rows) {
    const credits = Math.abs(change);
    parties.set(chargeId!, {
      // Credits bought for an organization are billed to it, whoever's card paid (Stripe's hosted page pays as the buyer).
      ...(organization && reason === 'purchase' ? { billedTo: billedTo(organization) } : {}),
      ...(reason === 'spend' ? { paidWith: `${credits} credit${credits === 1 ? '' : 's'}${organization ? ` of ${organization.name}` : ''}` } : {}),
    });
  }
  return parties;
};
