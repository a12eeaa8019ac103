/**
 * Who a receipt is made out to, read from the credits ledger: a purchase of credits for an
 * organization, and a week paid with an organization's credits, are billed to the organization (its
 * legal name, address and tax id, as kept on it and on its Stripe customer); a charge paid with
 * credits says so (how many, and whose) instead of a card.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { Charge } from '../db/schema.js';
import { type Organization, organizations } from '../organizations/schema.js';
import type { ReceiptParties, ReceiptParty } from '../payments/receipts.js';
import { creditAccounts, creditEntries } from './schema.js';

/** An organization's billing details as a receipt prints them: its legal name (else its name), address lines, tax id. */
export function billedTo(organization: Pick<Organization, 'name' | 'legalName' | 'address' | 'taxId'>): NonNullable<ReceiptParty['billedTo']> {
  const a = organization.address;
  const lines = a ? [a.line1, a.line2, [a.postal_code, a.city].filter(Boolean).join(' '), a.state, a.country] : [];
  return {
    name: organization.legalName ?? organization.name,
    lines: [...lines.filter((line): line is string => Boolean(line)), ...(organization.taxId ? [`Tax id (${organization.taxId.type}): ${organization.taxId.value}`] : [])],
  };
}

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
      ...(organization ? { billedTo: billedTo(organization) } : {}),
      ...(reason === 'spend' ? { paidWith: `${credits} credit${credits === 1 ? '' : 's'}${organization ? ` of ${organization.name}` : ''}` } : {}),
    });
  }
  return parties;
};
