import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser } from '../accounts/request-user.js';
import { BEARER, errorResponses, timestamp } from '../http/api.js';
import { membership } from '../organizations/service.js';
import { creditBalance, type CreditOwner, creditEntriesOf } from './ledger.js';
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

/** The credits API: the price list and quotes, open to anyone (the page shows the quote before paying), and a balance with its ledger. */
export const creditsPlugin: FastifyPluginAsync = async (parent) => {
  const app = parent.withTypeProvider<ZodTypeProvider>();

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
};
