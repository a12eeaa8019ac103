import { z } from 'zod';
import { SUBJECT_FIELD, subjectIdSchema } from './subject.js';

/** What a buyer sends to check out, and the idempotency key that makes repeats of it one purchase. */
export const baseKeys = ['product', SUBJECT_FIELD, 'payment_method', 'confirmation_token', 'save_card'] as const;
export const chargeRequest = z
  .object({
    product: z.string().min(1, 'Choose a product.').max(60),
    [SUBJECT_FIELD]: subjectIdSchema.optional(),
    payment_method: z
      .string()
      .max(255)
      .regex(/^pm_[A-Za-z0-9_]+$/, 'A PaymentMethod id (pm_…).')
      .optional(),
    // The Payment Element's deferred-intent flow: Stripe.js's createConfirmationToken answer.
    confirmation_token: z
      .string()
      .max(255)
      .regex(/^ctoken_[A-Za-z0-9_]+$/, 'A ConfirmationToken id (ctoken_…).')
      .optional(),
    save_card: z.boolean().optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.payment_method === undefined) === (value.confirmation_token === undefined)) {
      const message = value.payment_method === undefined ? 'Required: a saved card (payment_method) or the card form (confirmation_token).' : 'Send payment_method or confirmation_token, not both.';
      ctx.addIssue({ code: 'custom', path: ['payment_method'], message });
      ctx.addIssue({ code: 'custom', path: ['confirmation_token'], message });
    }
  });

export const idempotencyKeySchema = z
  .string()
  .min(8, 'At least 8 characters.')
  .max(255, 'At most 255 characters.')
  .regex(/^[\x21-\x7e]+$/, 'Printable ASCII only.');

/** The `Idempotency-Key` header of a call that moves money (other headers pass through). */
export const idempotencyHeaders = z.looseObject({
  'idempotency-key': idempotencyKeySchema
    .optional()
    .meta({ description: 'Any unique string of 8–255 printable ASCII characters: a retry with the same key and body gets the first answer, and moves money once.' }),
});

/** A value as one string whatever the order of its keys: what a request's fingerprint is taken of. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
