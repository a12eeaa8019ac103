import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses } from '../http/api.js';
import { creditQuantity, pricesJson, quote } from './prices.js';

const line = z.object({ quantity: z.number().int(), unit_amount: z.number().int(), amount: z.number().int() });

/** The credits API's price list and quotes, open to anyone (the page shows the quote before paying). */
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
};
