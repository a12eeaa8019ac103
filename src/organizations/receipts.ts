/**
 * Receipts of what an organization paid for (charges.payer_organization_id: by its card, or its
 * credits, or credits bought for it) are made out to it: its legal name, address and tax id, as
 * kept on it and on its Stripe customer.
 */
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type Charge, charges as chargesTable } from '../db/schema.js';
import type { ReceiptParties, ReceiptParty } from '../payments/receipts.js';
import { type Organization, organizations } from './schema.js';

/** An organization's billing details as a receipt prints them: its legal name (else its name), address lines, tax id. */
export function billedTo(organization: Pick<Organization, 'name' | 'legalName' | 'address' | 'taxId'>): NonNullable<ReceiptParty['billedTo']> {
  const a = organization.address;
  const lines = a ? [a.line1, a.line2, [a.postal_code, a.city].filter(Boolean).join(' '), a.state, a.country] : [];
  return {
    name: organization.legalName ?? organization.name,
    lines: [...lines.filter((line): line is string => Boolean(line)), ...(organization.taxId ? [`Tax id (${organization.taxId.type}): ${organization.taxId.value}`] : [])],
  };
}

export const organizationReceiptParties: ReceiptParties = async (db: Db, charges: Charge[]) => {
  const paidByOrganizations = charges.filter((c) => c.payerOrganizationId !== null);
  if (paidByOrganizations.length === 0) return new Map();
  const rows = await db
    .select({ chargeId: chargesTable.id, organization: organizations })
    .from(chargesTable)
    .innerJoin(organizations, eq(organizations.id, chargesTable.payerOrganizationId))
    .where(inArray(chargesTable.id, paidByOrganizations.map((c) => c.id)));
  return new Map(rows.map(({ chargeId, organization }) => [chargeId, { billedTo: billedTo(organization) }]));
};
