import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { requireAdmin, requireUser } from '../accounts/request-user.js';
import { ApiError, notFound } from '../http/errors.js';
import { BEARER, errorResponses, timestamp } from '../http/api.js';
import { membership } from '../organizations/service.js';
import { organizations } from '../organizations/schema.js';
import { users } from '../db/schema.js';
import { adjustCredits, creditBalance, type CreditOwner, creditEntriesOf } from './ledger.js';
import { type CreditPagesOptions, creditPages } from './page-routes.js';
import { creditQuantity, pricesJson, quote } from './prices.js';
import { creditReasons } from './schema.js';

const line = z.object({ quantity: z.number().int(), unit_amount: z.number().int(), amount: z.number().int() });

const entrySchema = z.object({
  at: timestamp,
  change: z.number().int().meta({ description: 'Credits added (positive) or taken (negative).' }),
  reason: z.enum(creditReasons),
  charge_id: z.number().int().optional().meta({ description: 'The purchase (purchase, refund, dispute) or the charge the credits paid (spend).' }),
  note: z.string().optional(),
  by: z.string().nullable().meta({ description: 'The username of who made the change.' }),
});

/**
 * The credits API: the price list and quotes, open to anyone (the page shows the quote before paying),
 * and a balance with its ledger; and their pages (page-routes.tsx), which read the same.
 */
export const creditsPlugin: FastifyPluginAsync<CreditPagesOptions> = async (parent, options) => {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  await parent.register(creditPages, options);

  app.get(
    '/api/v1/credits/prices',
    {
      schema: {
        tags: ['credits'],
        summary: 'Credit prices: graduated tiers, and what a week of each product costs in credits',
        response: {
          200: z.object({
            currency: z.string(),
            tiers: z.array(z.object({ up_to: z.number().int().nullable(), unit_amount: z.number().int() })),
            products: z.array(z.object({ product: z.string(), credits: z.number().int() })),
          }),
        },
      },
    },
    async () => pricesJson(),
  );

  app.get(
    '/api/v1/credits/quote',
    {
      schema: {
        tags: ['credits'],
        summary: 'What a quantity of credits costs, line by tier (422 outside 1 to 1000)',
        querystring: z.object({ quantity: z.coerce.number() }),
        response: { 200: z.object({ quantity: z.number().int(), amount: z.number().int(), currency: z.string(), lines: z.array(line) }), ...errorResponses(400, 422) },
      },
    },
    async (request) => quote(creditQuantity(request.query.quantity)),
  );

  app.get(
    '/api/v1/credits',
    {
      schema: {
        tags: ['credits'],
        security: BEARER,
        summary: 'Your credits, or an organization’s: the balance and every entry of its ledger, oldest first',
        description: 'With `organization` (a slug), that organization’s credits, for its members (404 for anyone else). The balance is always the sum of the entries.',
        querystring: z.object({ organization: z.string().max(40).optional() }),
        response: { 200: z.object({ balance: z.number().int(), entries: z.array(entrySchema) }), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const slug = request.query.organization;
      const owner: CreditOwner = slug ? { organizationId: (await membership(parent.db, user, slug)).organization.id } : { userId: user.id };
      return { balance: await creditBalance(parent.db, owner), entries: await creditEntriesOf(parent.db, owner) };
    },
  );

  app.post(
    '/api/v1/admin/credits',
    {
      schema: {
        tags: ['credits'],
        security: BEARER,
        summary: 'Grant or revoke credits (site admins), with a note that says why',
        description: 'To a member (`user_id`) or an organization (its slug). A positive `change` grants, a negative one revokes (409 `insufficient_credits` beyond the balance). Audited.',
        body: z
          .strictObject({
            user_id: z.number().int().positive().max(2147483647).optional(),
            organization: z.string().max(40).optional(),
            change: z.number().int().min(-1_000_000).max(1_000_000).refine((n) => n !== 0, 'Not zero.'),
            note: z.string().trim().min(1, 'Say why.').max(500),
          })
          .refine((b) => (b.user_id === undefined) !== (b.organization === undefined), { message: 'Name a user_id or an organization, not both.', path: ['user_id'] }),
        response: { 201: z.object({ balance: z.number().int() }), ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const admin = requireAdmin(request);
      const { user_id, organization, change, note } = request.body;
      let owner: CreditOwner;
      if (organization) {
        const [org] = await parent.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, organization));
        if (!org) throw notFound('No such organization.');
        owner = { organizationId: org.id };
      } else {
        const [user] = await parent.db.select({ id: users.id }).from(users).where(eq(users.id, user_id!));
        if (!user) throw notFound('No such user.');
        owner = { userId: user.id };
      }
      const outcome = await adjustCredits(parent.db, admin, owner, change, note, parent.clock.now());
      if (outcome.outcome !== 'applied') throw new ApiError(409, 'insufficient_credits', `The balance is ${outcome.balance}: that many cannot be revoked.`, undefined, { balance: outcome.balance });
      return reply.status(201).send({ balance: outcome.balance });
    },
  );
};
