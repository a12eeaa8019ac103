import { integer } from 'drizzle-orm/pg-core';
import { charges, users } from '../db/schema.js';

/**
 * The first columns of a product's table of what charges bought: its id and the charge that bought
 * it, unique, so that a charge fulfilled twice cannot make two rows.
 */
export const purchaseColumns = () => ({
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  chargeId: integer('charge_id')
    .notNull()
    .unique()
    .references(() => charges.id),
});

/** The member who bought it, for a product whose rows are the buyer's own (an ad, a sponsorship). */
export const buyerColumn = () =>
  integer('user_id')
    .notNull()
    .references(() => users.id);
