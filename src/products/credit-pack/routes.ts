import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser } from '../../accounts/request-user.js';
import { BEARER } from '../../http/api.js';
import { creditQuantity } from '../../credits/prices.js';
import { organizationPayer } from '../../organizations/payer.js';
import { adminMembership } from '../../organizations/service.js';
import { chargeRequest, idempotencyHeaders } from '../../payments/checkout-request.js';
import { checkoutAnswer, purchaseAnswers, sendAnswer } from '../../payments/http-answers.js';
import { memberPayer } from '../../payments/payer.js';
import { CREDIT_PACK_PRODUCT } from './product.js';

const purchaseInput = z.object({
  quantity: z.number().meta({ description: 'Credits to buy: a whole number from 1 to 1000 (else 422).' }),
  organization: z.string().max(40).optional().meta({ description: 'The slug of an organization you are an admin of: the credits are its, paid with its cards.' }),
  payment_method: chargeRequest.shape.payment_method,
  confirmation_token: chargeRequest.shape.confirmation_token,
  save_card: chargeRequest.shape.save_card,
});

/** POST /api/v1/credits/purchases: buying credits, as POST /api/v1/charges buys any product, at the server's quote. */
export const creditPurchaseRoutes: FastifyPluginAsync = async (parent) => {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  const { checkout, charges } = app.payments;

  app.post(
    '/api/v1/credits/purchases',
    {
      schema: {
        tags: ['credits'],
        security: BEARER,
        summary: 'Buy credits by card',
        description:
          'Priced by the graduated tiers (`GET /api/v1/credits/quote`), never by the client. The same answers as `POST /api/v1/charges`; the credits are granted once, when the payment settles. With `organization`, only its admins may buy (403; 404 for others).',
        headers: idempotencyHeaders,
        body: purchaseInput,
        response: purchaseAnswers,
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const { quantity, organization, ...card } = request.body;
      const input = { product: CREDIT_PACK_PRODUCT, quantity: creditQuantity(quantity), ...(organization ? { organization } : {}), ...card };
      const payer = organization ? organizationPayer((await adminMembership(app.db, user, organization)).organization) : memberPayer(user);
      return sendAnswer(reply, await checkoutAnswer(charges, await checkout.create(user, payer, input, request.headers['idempotency-key'])));
    },
  );
};
