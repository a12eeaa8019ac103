import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { formatMoney } from '../format.js';
import { errorResponses } from '../http/api.js';
import { ApiError } from '../http/errors.js';
import { type ChargeRecords, chargeSchema } from './charges.js';
import type { CheckoutOutcome } from './outcome.js';
import { type RefundOutcome, refundJson } from './refund.js';
import { providerUnavailable, requestInProgress } from './stripe.js';

/** A route's answer: its status and JSON body. */
export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Sends an answer as it is: its status is one the route declares (the suite's contract check holds it to that). */
export const sendAnswer = (reply: FastifyReply, answer: HttpAnswer) => reply.status(answer.status).send(answer.body);

/** What a purchase answers, by status (the routes' response schemas): the charge, or an error with the charge beside it. */
export const purchaseAnswers = {
  201: z.object({ charge: chargeSchema }).describe('Paid.'),
  202: z
    .object({ charge: chargeSchema.extend({ client_secret: z.string().nullable().optional().meta({ description: 'When the card asks for authentication (3-D Secure): confirm it with Stripe.js, then `POST /api/v1/charges/{id}/confirm`.' }) }) })
    .describe('Not settled yet: processing, or waiting for the buyer’s authentication.'),
  ...errorResponses(400, 401, 402, 403, 404, 409, 422, 429, 503),
};

/** A checkout's outcome in HTTP: what the API and the page's script receive, for the first request and every repeat. */
export async function checkoutAnswer(records: ChargeRecords, outcome: CheckoutOutcome): Promise<HttpAnswer> {
  const charge = outcome.kind === 'redirect' || outcome.kind === 'unavailable' || outcome.kind === 'in_progress' ? await records.json(outcome.charge) : await records.json(outcome.charge, outcome.extras);
  const failed = (status: number, error: Record<string, unknown>, details?: Record<string, unknown>) => ({ status, body: { error, charge, ...details } });
  switch (outcome.kind) {
    case 'paid':
      return { status: 201, body: { charge } };
    case 'processing':
      return { status: 202, body: { charge } };
    case 'requires_action':
      return { status: 202, body: { charge: { ...charge, client_secret: outcome.clientSecret } } };
    case 'redirect':
      return { status: 201, body: { charge, url: outcome.url } };
    case 'declined': {
      // A card that is not the payer's is "not found", as any resource of someone else's.
      const notTheirs = outcome.reason === 'payment_method_invalid';
      const code = notTheirs ? 'payment_method_not_found' : outcome.reason;
      return failed(notTheirs ? 404 : 402, { code, ...(outcome.declineCode ? { decline_code: outcome.declineCode } : {}), message: outcome.message }, outcome.details);
    }
    case 'canceled':
      return failed(409, { code: 'charge_canceled', message: 'This payment was canceled. Start a new one.' });
    case 'unavailable':
    case 'in_progress': {
      const error = outcome.kind === 'unavailable' ? providerUnavailable(outcome.message) : requestInProgress();
      return failed(error.status, { code: error.code, message: error.message });
    }
  }
}

/**
 * A refund's outcome in HTTP: 201 for a refund sent now, 200 for a repeat; every refusal is the
 * ApiError the routes throw (the API's error body, or the console's form shown again).
 */
export async function refundAnswer(records: ChargeRecords, outcome: RefundOutcome): Promise<HttpAnswer> {
  switch (outcome.kind) {
    case 'submitted':
    case 'already_submitted':
      return { status: outcome.kind === 'submitted' ? 201 : 200, body: { refund: refundJson(outcome.refund), charge: await records.json(outcome.charge) } };
    case 'idempotency_conflict':
      throw new ApiError(409, 'idempotency_key_reused', 'This Idempotency-Key was already used for a different refund.');
    case 'not_refundable':
      throw new ApiError(409, 'not_refundable', `A ${outcome.charge.status} charge cannot be refunded.`);
    case 'whole_only': {
      const message = `Paid with a prepaid balance, this charge is refunded whole (${formatMoney(outcome.remaining, outcome.currency)}) or not at all: leave out the amount.`;
      throw new ApiError(422, 'refund_whole_only', message, { amount: message });
    }
    case 'refused_by_product': {
      const { code, message, details } = outcome.refusal;
      throw new ApiError(409, code, message, undefined, details);
    }
    case 'too_much':
      throw new ApiError(400, 'validation_failed', 'Some fields are invalid.', { amount: `At most ${formatMoney(outcome.remaining, outcome.currency)}, what is left to refund.` });
    case 'in_progress':
      throw requestInProgress({ refund: refundJson(outcome.refund) });
    case 'unavailable':
      throw providerUnavailable('nothing was refunded twice — try again.', { refund: refundJson(outcome.refund) });
    case 'refused':
      throw new ApiError(409, outcome.code ?? 'refund_refused', `Stripe refused the refund: ${outcome.message}`, undefined, { refund: refundJson(outcome.refund) });
  }
}
