import { desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { type Charge, charges, chargeStatuses, type User } from '../db/schema.js';
import { timestamp } from '../http/api.js';
import { notFound } from '../http/errors.js';
import type { Catalog, ChargeExtras } from './catalog.js';
import { SUBJECT_FIELD, subjectOf } from './subject.js';

/** A charge as the API shows it; its product may add fields of its own. */
export const chargeSchema = z
  .looseObject({
    id: z.number().int(),
    status: z.enum(chargeStatuses),
    product: z.string(),
    [SUBJECT_FIELD]: z.number().int().nullable(),
    amount: z.number().int().meta({ description: 'In minor units (cents).' }),
    currency: z.string(),
    stripe_charge_key: z.string().nullable().meta({ description: 'The PaymentIntent id, by its first name; `payment_intent` says it plainly.', deprecated: true }),
    payment_intent: z.string().nullable(),
    card_brand: z.string().nullable(),
    card_last4: z.string().nullable(),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    paid_at: timestamp.nullable(),
    created_at: timestamp,
    amount_refunded: z.number().int(),
  })
  .meta({ id: 'Charge', description: 'Other fields are added by the charge’s product.' });

/** Our charge rows as the rest of the app reads them, and the one JSON shape they are shown in. */
export class ChargeRecords {
  constructor(private readonly deps: { db: Db; catalog: Catalog }) {}

  async get(chargeId: number): Promise<Charge> {
    const [charge] = await this.deps.db.select().from(charges).where(eq(charges.id, chargeId));
    if (!charge) throw notFound('No such charge.');
    return charge;
  }

  /** A charge its buyer (or an admin) may see; anyone else gets 404. */
  async owned(user: User, chargeId: number): Promise<Charge> {
    const charge = await this.get(chargeId);
    if (charge.userId !== user.id && !user.admin) throw notFound('No such charge.');
    return charge;
  }

  async listFor(user: User, limit = 100): Promise<Charge[]> {
    return this.deps.db.select().from(charges).where(eq(charges.userId, user.id)).orderBy(desc(charges.id)).limit(limit);
  }

  /** A charge as the API shows it, with what its product adds (`known` when the caller has it already). */
  async json(charge: Charge, known?: ChargeExtras): Promise<z.output<typeof chargeSchema>> {
    const product = this.deps.catalog.find(charge.product);
    const extras = known ?? (product?.chargeExtras ? await product.chargeExtras(this.deps.db, charge) : {});
    return {
      id: charge.id,
      status: charge.status,
      product: charge.product,
      [SUBJECT_FIELD]: subjectOf(charge),
      amount: charge.amount,
      currency: charge.currency,
      // The seed's name for the PaymentIntent id, kept for API clients; payment_intent says it plainly.
      stripe_charge_key: charge.paymentIntentId,
      payment_intent: charge.paymentIntentId,
      card_brand: charge.cardBrand,
      card_last4: charge.cardLast4,
      failure_code: charge.failureCode,
      failure_message: charge.failureMessage,
      paid_at: charge.paidAt,
      created_at: charge.createdAt,
      amount_refunded: charge.amountRefunded,
      ...extras,
    };
  }
}
