import { z } from 'zod';
import type { User } from '../db/schema.js';
import { ApiError } from '../http/errors.js';
import type { Catalog } from './catalog.js';
import type { Checkout } from './checkout.js';
import { chargeRequest } from './checkout-request.js';
import { memberPayer, type Payer } from './payer.js';

/** The request field naming who pays, when not the buyer: an organization's slug. */
export const PAYER_FIELD = 'organization';
/** The request field naming, by its id, a way to pay that is no card (a prepaid balance). */
export const NAMED_WAY_FIELD = 'pay_with';

/** The common fields of `POST /api/v1/charges`: the card's or a named way's, and who pays. */
export const commonPurchase = (namedWays: string[]) =>
  z.looseObject({
    ...chargeRequest.shape,
    ...(namedWays.length
      ? {
          [NAMED_WAY_FIELD]: z
            .enum(namedWays as [string, ...string[]])
            .optional()
            .meta({ description: 'Pay from a prepaid balance instead of a card (with no `payment_method` nor `confirmation_token`): 201 at once, or 402 when the balance is short.' }),
        }
      : {}),
    [PAYER_FIELD]: z
      .string()
      .min(2)
      .max(40)
      .optional()
      .meta({
        description:
          'The slug of an organization of yours that pays. By card: with its own Stripe customer and the cards saved there (`GET /api/v1/organizations/{slug}/payment_methods`), as one of its admins (403 for its other members, 404 for anyone else). With `pay_with`: from its balance, as any of its members, for what is posted on its behalf.',
      }),
  });

/**
 * Who pays a purchase: the buyer (charges.user_id stays the member who bought), or the organization
 * the request names (`organizationPayer` says whether this member may pay for it), unless the way
 * reads that field itself (a balance of the organization's). The field is then the payer's, not the
 * product's, and is left out of the product's fields, but for a product that takes it as its own
 * (whose purchase it is for). Who pays is part of the purchase's fingerprint (Checkout.create).
 */
export const purchasePayer =
  (checkout: Checkout, catalog: Catalog, organizationPayer?: (user: User, slug: string) => Promise<Payer>) =>
  async (user: User, body: unknown): Promise<{ payer: Payer; input: unknown }> => {
    const { [PAYER_FIELD]: slug, ...rest } = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const readsIt = checkout.wayChosenBy(body).request.keys.includes(PAYER_FIELD);
    if (slug === undefined || readsIt || !organizationPayer) return { payer: memberPayer(user), input: body };
    if (typeof slug !== 'string') throw new ApiError(400, 'validation_failed', 'Some fields are invalid.', { [PAYER_FIELD]: 'The slug of an organization.' });
    const payer = await organizationPayer(user, slug);
    const productTakesIt = catalog.find(String(rest.product))?.formFields.some((f) => f.name === PAYER_FIELD) ?? false;
    return { payer, input: productTakesIt ? body : rest };
  };
