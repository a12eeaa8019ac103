import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser } from '../accounts/request-user.js';
import type { Charge } from '../db/schema.js';
import { BEARER, errorResponses } from '../http/api.js';
import { parseInput } from '../http/errors.js';
import { perMemberLimit } from '../http/rate-limits.js';
import { doneMessage, pageContext, sendPage } from '../web/render.js';
import { listCards, removeCard, savedCardSchema } from './cards.js';
import { BillingPage } from './pages.js';
import type { PaymentsOptions } from './plugin.js';

const pmParam = z.object({ id: z.string().max(255) });
const BILLING_DONE = { card_removed: 'The card was removed; it will not be offered at checkout again.' } as const;

/** The buyer's billing: saved cards (listed from Stripe, removable) and the billing page with their charges. */
export const billingRoutes: FastifyPluginAsync<PaymentsOptions> = async (app, options) => {
  const { charges, catalog, stripe } = app.payments;
  const perUser = perMemberLimit(options.rateLimits, 30);
  const api = app.withTypeProvider<ZodTypeProvider>();
  const buyer = { tags: ['payments'], security: BEARER };

  api.get(
    '/api/v1/payment_methods',
    { ...perUser, schema: { ...buyer, summary: 'Your saved cards', response: { 200: z.object({ payment_methods: z.array(savedCardSchema) }), ...errorResponses(401, 429, 503) } } },
    async (request) => ({ payment_methods: await listCards(stripe, requireUser(request)) }),
  );

  api.delete(
    '/api/v1/payment_methods/:id',
    {
      ...perUser,
      schema: { ...buyer, summary: 'Remove a saved card', params: pmParam, response: { 204: z.undefined().describe('Removed.'), ...errorResponses(400, 401, 404, 429, 503) } },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await removeCard(app.db, app.clock.now(), stripe, user, request.params.id);
      return reply.status(204).send();
    },
  );

  // ---- Pages ----
  /** What each charge bought, by charge id, from each product's purchaseTitles (one read per product). */
  const purchaseTitles = async (rows: Charge[]): Promise<Map<number, string>> => {
    const titles = new Map<number, string>();
    await Promise.all(
      catalog.list().map(async (product) => {
        const mine = rows.filter((c) => c.product === product.id);
        if (mine.length === 0 || !product.purchaseTitles) return;
        const named = await product.purchaseTitles(app.db, mine);
        for (const [i, charge] of mine.entries()) if (named[i]) titles.set(charge.id, named[i]);
      }),
    );
    return titles;
  };

  app.get('/settings/billing', async (request, reply) => {
    const user = requireUser(request);
    const ctx = pageContext(request, reply);
    const [rows, cards] = await Promise.all([charges.listFor(user), listCards(stripe, user)]);
    const productNames = new Map(catalog.list().map((p) => [p.id, p.name]));
    const [titles, section] = await Promise.all([purchaseTitles(rows), options.billingSection?.(app.db, ctx, user, request.query)]);
    return sendPage(
      reply,
      ctx,
      'Billing',
      <BillingPage ctx={ctx} charges={rows} cards={cards} productNames={productNames} titles={titles} section={section} done={doneMessage(request.query, BILLING_DONE)} />,
    );
  });

  app.post('/settings/cards/:id/remove', perUser, async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(pmParam, request.params);
    await removeCard(app.db, app.clock.now(), stripe, user, id);
    return reply.redirect('/settings/billing?done=card_removed', 303);
  });
};
