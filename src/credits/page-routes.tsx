import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { requireUser } from '../accounts/request-user.js';
import { charges, type User } from '../db/schema.js';
import { ApiError, parseInput } from '../http/errors.js';
import { type Membership, membership, myOrganizations } from '../organizations/service.js';
import type { PaymentsOptions } from '../payments/plugin.js';
import { pageContext, sendPage } from '../web/render.js';
import { creditBalance, type CreditOwner, creditEntriesOf } from './ledger.js';
import { CreditsOnBillingPage, CreditsPage } from './pages.js';
import { creditQuantity, type Quote, quote } from './prices.js';

export interface CreditPagesOptions {
  /** The product that sells credits, bought at the generic checkout (`/charges/new?product=…`). */
  purchaseProduct: string;
}

const pageQuery = z.object({
  organization: z.string().max(40).optional(),
  quantity: z.string().max(20).optional(),
});
const slugParams = z.object({ slug: z.string().max(40) });

/** The quantity typed in the buy form, as a number: 'abc' or '' stays NaN, which creditQuantity refuses. */
const typedQuantity = (typed: string) => (/^\s*\d+\s*$/.test(typed) ? Number(typed) : Number.NaN);

/**
 * The credits pages: `/credits` (the member's own balance and ledger, and their organizations'),
 * `/credits?organization=slug` and `/organizations/:slug/credits` (the organization's, to its members
 * only: 404 for anyone else), with the buy form and its quote. They read what the JSON API reads.
 */
export const creditPages: FastifyPluginAsync<CreditPagesOptions> = async (app, options) => {
  const show = async (request: FastifyRequest, reply: FastifyReply, user: User, slug: string | undefined, typed: string | undefined) => {
    const organization: Membership | undefined = slug ? await membership(app.db, user, slug) : undefined;
    const owner: CreditOwner = organization ? { organizationId: organization.organization.id } : { userId: user.id };
    const [balance, entries, memberships] = await Promise.all([creditBalance(app.db, owner), creditEntriesOf(app.db, owner), myOrganizations(app.db, user)]);
    const chargeIds = entries.flatMap((e) => (e.charge_id === undefined ? [] : [e.charge_id]));
    const own = chargeIds.length
      ? await app.db.select({ id: charges.id }).from(charges).where(and(inArray(charges.id, chargeIds), eq(charges.userId, user.id)))
      : [];
    let error: ApiError | undefined;
    let shown: Quote | undefined;
    // Only who may buy is quoted: the member's own credits, or an organization's for its admins.
    if (typed !== undefined && (!organization || organization.role === 'admin')) {
      try {
        shown = quote(creditQuantity(typedQuantity(typed)));
      } catch (failure) {
        if (!(failure instanceof ApiError)) throw failure;
        error = failure;
      }
    }
    const ctx = pageContext(request, reply);
    const productNames = new Map(app.payments.catalog.list().map((p) => [p.id, p.name]));
    const title = organization ? `${organization.organization.name}: credits` : 'Credits';
    return sendPage(
      reply,
      ctx,
      title,
      <CreditsPage
        ctx={ctx}
        organization={organization}
        balance={balance}
        entries={entries}
        ownCharges={new Set(own.map((c) => c.id))}
        memberships={memberships}
        productNames={productNames}
        buy={{ quantity: typed ?? '', organization: slug ?? '', error, quote: shown }}
        checkout={{ href: '/charges/new', product: options.purchaseProduct }}
      />,
      error?.status ?? 200,
    );
  };

  app.get('/credits', async (request, reply) => {
    const user = requireUser(request);
    const query = parseInput(pageQuery, request.query);
    return show(request, reply, user, query.organization || undefined, query.quantity);
  });

  app.get('/organizations/:slug/credits', async (request, reply) => {
    const user = requireUser(request);
    const { slug } = parseInput(slugParams, request.params);
    return show(request, reply, user, slug, parseInput(pageQuery, request.query).quantity);
  });
};

/** The billing page's section with the member's credits first (their balance, linked to /credits), then `section`. */
export const withCreditsOnBillingPage =
  (section: NonNullable<PaymentsOptions['billingSection']>): NonNullable<PaymentsOptions['billingSection']> =>
  async (db, ctx, user, query) => (
    <>
      <CreditsOnBillingPage balance={await creditBalance(db, { userId: user.id })} />
      {await section(db, ctx, user, query)}
    </>
  );
