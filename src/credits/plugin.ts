import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { errors, unprocessable, withZodRoutes } from '../http/zod-routes.js';
import { MAX_CREDITS_PER_PURCHASE, pricesJson, quote } from './prices.js';

const line = z.object({ quantity: z.number().int(), unit_amount: z.number().int(), amount: z.number().int() });

/** The credits API's price list and quotes, open to anyone (the page shows the quote before paying). */
export const creditsPlugin: FastifyPluginAsync = async (parent) => {
  const app = withZodRoutes(parent);

  app.get(
    '/api/v1/credits/prices',
    {
      schema: {
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
        querystring: z.object({ quantity: z.coerce.number() }),
        response: { 200: z.object({ quantity: z.number().int(), amount: z.number().int(), currency: z.string(), lines: z.array(line) }), ...errors(400, 422) },
      },
    },
    async (request) => {
      const { quantity } = request.query;
      if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_CREDITS_PER_PURCHASE) {
        throw unprocessable('quantity', `A whole number of credits from 1 to ${MAX_CREDITS_PER_PURCHASE}.`);
      }
      return quote(quantity);
    },
  );
};
