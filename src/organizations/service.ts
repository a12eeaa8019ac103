/**
 * organizations: companies whose members share one card, one invoice address and one balance of
 * credits. An organization is created by a member, who becomes its first admin; admins manage its
 * members and billing details and pay for it (it is a Payer, with its own Stripe customer). To anyone
 * who is not a member, an organization does not exist (404).
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { applyOrganizationCanPostJobs, requestOrganizationPermission } from '../accounts/permission-requests.js';
import type { PermissionRequest } from '../db/permission-schema.js';
import { audit, userActor } from '../audit/log.js';
import type { Db, Executor } from '../db/client.js';
import { type User, users } from '../db/schema.js';
import { ApiError, forbidden, notFound } from '../http/errors.js';
import type { Mailer } from '../mail/mailer.js';
import { listPayerCards, type SavedCard } from '../payments/cards.js';
import type { Payer } from '../payments/payer.js';
import { isProviderUnavailable, providerUnavailable, type StripeGateway } from '../payments/stripe.js';
import type Stripe from 'stripe';
import { keepBillingAtStripe, organizationPayer } from './payer.js';
import { type Organization, type OrganizationRole, organizationMembers, organizationRoles, organizations } from './schema.js';

const name = z.string().trim().min(1).max(100);
const optionalText = (max: number) => z.string().trim().min(1).max(max).optional();

export const memberInput = z.strictObject({ username: z.string().trim().min(1).max(30), role: z.enum(organizationRoles) });

/** Billing details as Stripe keeps them on a customer: `null` clears one, a missing key leaves it. */
export const billingInput = z.strictObject({
  name: name.optional(),
  legal_name: z.string().trim().min(1).max(200).nullable().optional(),
  address: z
    .strictObject({
      line1: optionalText(200),
      line2: optionalText(200),
      city: optionalText(100),
      postal_code: optionalText(20),
      state: optionalText(100),
      country: z.string().regex(/^[A-Z]{2}$/, 'A two-letter country code (ISO 3166-1), like DE or US.'),
    })
    .nullable()
    .optional(),
  tax_id: z
    .strictObject({
      type: z.string().regex(/^[a-z]{2}_[a-z]{2,5}$/, 'A Stripe tax id type, like eu_vat or us_ein.'),
      value: z.string().trim().min(1).max(50),
    })
    .nullable()
    .optional(),
});
export type BillingInput = z.infer<typeof billingInput>;

/** An organization as its members see it, with the caller's role when given. */
export const organizationJson = (org: Organization, role?: OrganizationRole) => ({
  id: org.id,
  slug: org.slug,
  name: org.name,
  legal_name: org.legalName,
  address: org.address,
  tax_id: org.taxId,
  can_post_jobs: org.canPostJobs,
  created_at: org.createdAt,
  ...(role ? { role } : {}),
});

export interface Membership {
  organization: Organization;
  role: OrganizationRole;
}

const slugTaken = () => new ApiError(409, 'slug_taken', 'That address is already taken by another organization.', { slug: 'Already taken.' });

/** Creates an organization whose first admin is its creator; a slug already taken is a 409. */
export async function createOrganization(db: Db, creator: User, input: { name: string; slug: string }, now: Date): Promise<Membership> {
  return db.transaction(async (tx) => {
    const [organization] = await tx.insert(organizations).values({ slug: input.slug, name: input.name, createdAt: now }).onConflictDoNothing().returning();
    if (!organization) throw slugTaken();
    await tx.insert(organizationMembers).values({ organizationId: organization.id, userId: creator.id, role: 'admin', createdAt: now });
    await audit(tx, { actor: userActor(creator.id), action: 'organization.created', subjectType: 'organization', subjectId: organization.id, after: { slug: input.slug, name: input.name } }, now);
    return { organization, role: 'admin' };
  });
}

/** The organization and the user's role in it; 404 when it does not exist or the user is not a member. */
export async function membership(db: Executor, user: Pick<User, 'id'>, orgSlug: string): Promise<Membership> {
  const [found] = await db
    .select({ organization: organizations, role: organizationMembers.role })
    .from(organizations)
    .innerJoin(organizationMembers, and(eq(organizationMembers.organizationId, organizations.id), eq(organizationMembers.userId, user.id)))
    .where(eq(organizations.slug, orgSlug));
  if (!found) throw notFound('No such organization.');
  return found;
}

/** As membership, and a 403 unless the user is one of its admins. */
export async function adminMembership(db: Executor, user: User, orgSlug: string): Promise<Membership> {
  const found = await membership(db, user, orgSlug);
  if (found.role !== 'admin') throw forbidden("Only the organization's admins can do this.");
  return found;
}

/** The caller's organizations, with their role in each, by name. */
export async function myOrganizations(db: Db, user: User): Promise<Membership[]> {
  return db
    .select({ organization: organizations, role: organizationMembers.role })
    .from(organizationMembers)
    .innerJoin(organizations, eq(organizations.id, organizationMembers.organizationId))
    .where(eq(organizationMembers.userId, user.id))
    .orderBy(asc(organizations.name), asc(organizations.id));
}

/**
 * Changes the name and billing details (admins), audited, and keeps them on the organization's
 * Stripe customer (made now if it has none). The row stays locked while Stripe is told, so two
 * changes at once reach Stripe in the order they are saved; if Stripe refuses or cannot be reached,
 * nothing is saved.
 */
export async function updateOrganization(db: Db, stripe: Stripe, actor: User, orgSlug: string, input: BillingInput, now: Date): Promise<Organization> {
  const { organization } = await adminMembership(db, actor, orgSlug);
  const customer = await organizationPayer(organization)
    .customerFor(db, stripe)
    .catch((error: unknown) => {
      throw isProviderUnavailable(error) ? providerUnavailable('the billing details were not changed — try again.') : error;
    });
  return db.transaction(async (tx) => {
    await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, organization.id)).for('update');
    const { organization: before } = await adminMembership(tx, actor, orgSlug);
    const changes = {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.legal_name !== undefined ? { legalName: input.legal_name } : {}),
      ...(input.address !== undefined ? { address: input.address } : {}),
      ...(input.tax_id !== undefined ? { taxId: input.tax_id } : {}),
    };
    if (Object.keys(changes).length === 0) return before;
    const [after] = await tx.update(organizations).set(changes).where(eq(organizations.id, before.id)).returning();
    await audit(
      tx,
      { actor: userActor(actor.id), action: 'organization.updated', subjectType: 'organization', subjectId: before.id, before: organizationJson(before), after: organizationJson(after!) },
      now,
    );
    await keepBillingAtStripe(stripe, customer, after!);
    return after!;
  });
}

/** Its members, admins first, then by username. */
export async function listMembers(db: Db, user: User, orgSlug: string) {
  const { organization } = await membership(db, user, orgSlug);
  return db
    .select({ username: users.username, role: organizationMembers.role, joined_at: organizationMembers.createdAt })
    .from(organizationMembers)
    .innerJoin(users, eq(users.id, organizationMembers.userId))
    .where(eq(organizationMembers.organizationId, organization.id))
    .orderBy(asc(organizationMembers.role), asc(sql`lower(${users.username})`));
}

const memberByUsername = async (db: Executor, username: string) => {
  const [user] = await db.select().from(users).where(sql`lower(${users.username}) = lower(${username})`);
  return user;
};

/** Adds a member with a role (admins); an unknown username is a 404, someone already in it a 409. */
export async function addMember(db: Db, actor: User, orgSlug: string, input: z.infer<typeof memberInput>, now: Date) {
  return db.transaction(async (tx) => {
    const { organization } = await adminMembership(tx, actor, orgSlug);
    const member = await memberByUsername(tx, input.username);
    if (!member) throw new ApiError(404, 'not_found', 'No member has that username.', { username: 'No member has that username.' });
    const [added] = await tx
      .insert(organizationMembers)
      .values({ organizationId: organization.id, userId: member.id, role: input.role, createdAt: now })
      .onConflictDoNothing()
      .returning();
    if (!added) throw new ApiError(409, 'already_member', `${member.username} is already a member of ${organization.name}.`, { username: 'Already a member.' });
    await audit(tx, { actor: userActor(actor.id), action: 'organization.member_added', subjectType: 'organization', subjectId: organization.id, after: { user_id: member.id, role: input.role } }, now);
    return { organization, member, role: input.role, joinedAt: added.createdAt };
  });
}

/** Tells a new member which organization added them, by whom and as what, through the site's mail path. */
export async function mailNewMember(mailer: Mailer, added: { organization: Organization; member: User; role: OrganizationRole; joinedAt: Date }, by: User): Promise<void> {
  const { organization, member, role } = added;
  await mailer.send(
    {
      from: mailer.settings.from ?? 'DevBoard <accounts@devboard.local>',
      to: member.email,
      subject: `You are now ${role === 'admin' ? 'an admin' : 'a member'} of ${organization.name} on DevBoard`,
      text: [
        `Hello ${member.username},`,
        `${by.username} added you to ${organization.name} as ${role === 'admin' ? 'an admin: you can manage its members and billing details and pay for it' : 'a member'}.`,
        `Its page, with its members${role === 'admin' ? ' and billing details' : ''}:`,
        `${mailer.settings.baseUrl ?? ''}/organizations/${organization.slug}`,
      ].join('\n'),
    },
    `organization-${organization.id}-member-${member.id}-${added.joinedAt.getTime()}`,
  );
}

/**
 * Removes a member (admins), or the caller leaves; the last admin is a 409. The organization's row
 * is locked before anything is read, so two admins removing each other at once are one after the
 * other: the second is no longer a member (404) and the organization keeps an admin.
 */
export async function removeMember(db: Db, actor: User, orgSlug: string, username: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, orgSlug)).for('update');
    const { organization, role } = await membership(tx, actor, orgSlug);
    const leaving = username.toLowerCase() === actor.username.toLowerCase();
    if (!leaving && role !== 'admin') throw forbidden("Only the organization's admins can remove members.");
    const member = await memberByUsername(tx, username);
    const [target] = member
      ? await tx
          .select({ role: organizationMembers.role })
          .from(organizationMembers)
          .where(and(eq(organizationMembers.organizationId, organization.id), eq(organizationMembers.userId, member.id)))
      : [];
    if (!member || !target) throw notFound('No such member.');
    if (target.role === 'admin') {
      const [{ admins }] = (await tx
        .select({ admins: sql<number>`count(*)::int` })
        .from(organizationMembers)
        .where(and(eq(organizationMembers.organizationId, organization.id), eq(organizationMembers.role, 'admin')))) as [{ admins: number }];
      if (admins <= 1) throw new ApiError(409, 'last_admin', `${organization.name} needs an admin: add another admin before ${leaving ? 'leaving' : 'removing this one'}.`);
    }
    await tx.delete(organizationMembers).where(and(eq(organizationMembers.organizationId, organization.id), eq(organizationMembers.userId, member.id)));
    await audit(tx, { actor: userActor(actor.id), action: 'organization.member_removed', subjectType: 'organization', subjectId: organization.id, before: { user_id: member.id, role: target.role } }, now);
  });
}

/**
 * A site admin grants or revokes an organization's permission to post job listings (audited);
 * granting also closes its pending request.
 */
export async function setOrganizationCanPostJobs(db: Db, admin: User, orgSlug: string, canPostJobs: boolean, now: Date): Promise<Organization> {
  return db.transaction(async (tx) => {
    const [found] = await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, orgSlug));
    if (!found) throw notFound('No such organization.');
    return applyOrganizationCanPostJobs(tx, admin.id, found.id, canPostJobs, now);
  });
}

/** One of its admins asks a site admin to let the organization post job listings (403 for its other members, 404 for anyone else). */
export async function askOrganizationPermission(db: Db, user: User, orgSlug: string, note: string, now: Date): Promise<{ request: PermissionRequest; organization: Organization }> {
  const { organization } = await adminMembership(db, user, orgSlug);
  return { request: await requestOrganizationPermission(db, user, organization, note, now), organization };
}

/**
 * The organization as the payer of a purchase by card: its admins hold its pay rights (403 for its
 * other members, 404 for anyone else); it pays with its own Stripe customer and the cards saved there.
 */
export async function payingOrganization(db: Executor, user: User, orgSlug: string): Promise<Payer> {
  return organizationPayer((await adminMembership(db, user, orgSlug)).organization);
}

/** The organization's saved cards, to its admins. */
export async function organizationCards(db: Db, stripe: StripeGateway, user: User, orgSlug: string): Promise<SavedCard[]> {
  const { organization } = await adminMembership(db, user, orgSlug);
  return listPayerCards(stripe, organizationPayer(organization));
}
