import type { SQL } from 'drizzle-orm';
import { type ZodType, z } from 'zod';
import type { Db, Executor } from '../db/client.js';
import type { Charge, Refund, User } from '../db/schema.js';
import { ApiError } from '../http/errors.js';
import { SUBJECT_FIELD, type SubjectKind } from './subject.js';

export type ChargeExtras = Record<string, unknown>;

/** One choice of a select field: the value sent, and what the buyer reads. */
export interface FieldOption {
  value: string;
  label: string;
}

/** One of a product's own form fields, as the checkout form shows it. */
export type ProductField = { name: string; label: string; required: boolean } & (
  | { inputMode: 'text' | 'url' }
  | {
      /** A box, sent as a boolean (true when ticked, false otherwise) by every form. */
      inputMode: 'checkbox';
      /** Ticked, the card paid with is kept at the payment provider for charges made without the buyer (a renewal). */
      savesCard?: boolean;
      /** Said under the box. */
      hint?: string;
    }
  | {
      /** A choice among options that change with time (e.g. dates still free): listed at each render, checked again at purchase. */
      inputMode: 'select';
      options(db: Db, now: Date): Promise<FieldOption[]>;
      /** The field's error when the value sent is no longer among the options (taken meanwhile). */
      unavailable: string;
    }
);

/**
 * A product the payments core can sell. The core knows nothing else about it: a new product is
 * a new module implementing this interface, added to the list in src/products/index.ts.
 */
export interface Product {
  id: string;
  name: string;
  description: string;
  /** Price in minor units of `currency`; never taken from the client. With `price`, what the catalog shows (the least a purchase costs). */
  amount: number;
  currency: string;
  /** What a purchase is for, when it names a subject (sent as its id); a purchase of nothing in particular has none. */
  subject?: SubjectKind;
  /** The product's own fields, beyond the subject's id (e.g. an ad's headline). A strict schema. */
  fields: ZodType<Record<string, unknown>>;
  /** How the checkout form asks for those fields, in order. */
  formFields: ProductField[];
  /**
   * Optional: the price of one purchase from its fields (as `fields` parsed them), in minor units of
   * `currency`, for a product whose price depends on what is bought (a quantity). Computed on the
   * server only; without it a purchase costs `amount`.
   */
  price?(fields: Record<string, unknown>): number;
  /** Throws 403/404 when this user may not buy it (for this subject, with these fields when given) at `now`. */
  authorize(db: Db, user: User, subjectId: number | undefined, now: Date, fields?: Record<string, unknown>): Promise<void>;
  /**
   * Optional: when `authorize` passes, as one SQL condition, so that the statement writing a new row
   * checks it and a purchase costs no read of its own. See AuthorizeStep.
   */
  authorizeStep?: AuthorizeStep;
  /**
   * Fulfils a charge that succeeded, inside the transaction that settled it: called at most once,
   * and exactly once when the product has no `fulfilStep` or the step did not apply. May return the
   * charge's extras (see chargeExtras) as the fulfilment left them, which saves the buyer's answer a read.
   */
  fulfil(tx: Executor, charge: Charge, now: Date): Promise<ChargeExtras | undefined>;
  /**
   * Optional: `fulfil`'s usual case as one SQL step, so that settling a charge for this product is
   * one statement (one round trip, no transaction) instead of four. See FulfilStep.
   */
  fulfilStep?: FulfilStep;
  /** Called once when its charge is fully refunded or disputed. */
  reverse(tx: Executor, charge: Charge, now: Date): Promise<void>;
  /**
   * Optional: what a refund, whole or partial, takes back of what was bought (a prepaid balance), called
   * once per refund row, in the transaction that writes it, with the charge's row locked. For a refund
   * asked of us (`asked`), before Stripe is called: returning a refusal refuses the refund, and nothing
   * of it is written. For one Stripe reports that we did not ask for (made in its Dashboard), the money
   * has already gone: take back what can be, and record what could not.
   */
  refunded?(tx: Executor, charge: Charge, refund: Refund, now: Date, asked: boolean): Promise<RefundRefusal | undefined>;
  /** Optional: a refund `refunded` saw failed (Stripe refused it, or it failed later): what it took comes back, once. */
  refundFailed?(tx: Executor, charge: Charge, refund: Refund, now: Date): Promise<void>;
  /** Called when a dispute is won: what reverse took away comes back. */
  restore(tx: Executor, charge: Charge, now: Date): Promise<void>;
  /** Lines for each charge's receipt, in the same order, e.g. until when it shows (one read for a batch). */
  receiptLines(db: Db, charges: Charge[], now: Date): Promise<string[][]>;
  /** Extra fields for the charge's JSON, e.g. until when what was bought lasts. */
  chargeExtras?(db: Db, charge: Charge): Promise<ChargeExtras>;
  /**
   * Optional: what each charge bought, in the same order, as its buyer would name it (its subject's
   * title, an ad's headline); the billing page shows it beside the product's name. One read for a batch.
   */
  purchaseTitles?(db: Db, charges: Charge[]): Promise<Array<string | undefined>>;
  /** Optional: a ledger of its own that reconcile checks against the charges (see LedgerCheck). */
  ledgerCheck?: LedgerCheck;
}

/** A difference between a product's ledger and the charges, for the reconcile report. */
export interface LedgerFinding {
  charge_id?: number;
  detail: string;
}

/**
 * A product that keeps a ledger of what its charges bought (a prepaid balance) has reconcile check it,
 * after the charges themselves were compared with Stripe: what the ledger counts must be what the
 * charges Stripe took the money for paid (and gave back). Every finding is reported, none repaired.
 */
export interface LedgerCheck {
  /**
   * Optional: SQL over the charges table true for paying rows paid from this ledger, not at the
   * provider (paid from the prepaid balance): no money moved for them at Stripe, so reconcile does not
   * look for them there; `check` accounts for them instead.
   */
  paidFromLedger?: SQL;
  /** The differences for the charges created since `since` (and the ledger's own sums); `scanned` is how many rows it read. */
  check(db: Db, since: Date): Promise<{ findings: LedgerFinding[]; scanned: number }>;
}

/** Why a product refuses a refund: an error code and a sentence, and what the 409 adds beside them. */
export interface RefundRefusal {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * A product's usual fulfilment, run inside the statement that settles its charge (settle.ts).
 * `sql(paid)` is a data-modifying statement with RETURNING over the relation `paid`: the charge that
 * has just succeeded and claimed its fulfilment (charges' columns; one row, none for any other
 * charge). Returning no row means the usual case does not apply: the whole settling statement is
 * then undone and the charge settled in a transaction with `fulfil`, so either way it runs once.
 * `applied` gets the returned row (as JSON) after it committed and returns the charge's extras.
 * The step runs in the settling statement's snapshot: it does not see the charge's own move (a read
 * of `charges` finds it as it was) and must not update the charge's row (one of the two updates would
 * be lost); it should change only the product's own rows, from `paid`.
 */
export interface FulfilStep {
  sql(paid: SQL): SQL;
  applied(row: Record<string, unknown>): ChargeExtras;
}

/**
 * `authorize`'s passing case as a condition in the statement that writes the charge's row (checkout.ts):
 * `sql` is true exactly when `authorize` would pass, over the placeholders of the subject's id, the
 * buyer's id and the time. When it is false no row is written and `authorize` itself runs, to say why
 * (or, the answer having changed in between, to let the row be written as without a step).
 */
export interface AuthorizeStep {
  sql(subjectId: SQL, userId: SQL, now: SQL): SQL;
}

export class Catalog {
  private readonly products = new Map<string, Product>();

  constructor(products: Product[]) {
    for (const product of products) {
      if (!Number.isInteger(product.amount) || product.amount <= 0) throw new Error(`bad price for ${product.id}`);
      this.products.set(product.id, product);
    }
  }

  list(): Product[] {
    return [...this.products.values()];
  }

  /** The product, or a 400 naming the field. */
  get(id: string): Product {
    const product = this.products.get(id);
    if (!product) throw new ApiError(400, 'unknown_product', `There is no product "${id}".`, { product: 'Unknown product.' });
    return product;
  }

  find(id: string): Product | undefined {
    return this.products.get(id);
  }
}

export const productSchema = z.object({
  id: z.string().meta({ description: 'Send it as `product` to buy it.' }),
  name: z.string(),
  amount: z.number().int().meta({ description: 'In minor units (cents).' }),
  currency: z.string(),
  description: z.string(),
  requires: z.array(z.string()).meta({ description: 'The fields a purchase of it must carry besides `product` and the card.' }),
});
export const productJson = (p: Product): z.output<typeof productSchema> => ({
  id: p.id,
  name: p.name,
  amount: p.amount,
  currency: p.currency,
  description: p.description,
  requires: [...(p.subject ? [SUBJECT_FIELD] : []), ...p.formFields.filter((f) => f.required).map((f) => f.name)],
});

/** What one purchase of the product costs, from its parsed fields: its `price` when it has one, else its `amount`. */
export function priceOf(product: Product, fields: Record<string, unknown>): number {
  const amount = product.price ? product.price(fields) : product.amount;
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new Error(`bad price for ${product.id}: ${amount}`);
  return amount;
}

/**
 * A purchase of the product as the API document describes it, made from the product itself: `product`
 * names it, then its subject's id (when it has one) and its own fields, the required ones said so.
 */
export function purchaseJsonSchema(p: Product): Record<string, unknown> {
  const own = z.toJSONSchema(p.fields, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  return {
    title: p.id,
    description: `${p.name}: ${p.description}`,
    type: 'object',
    properties: {
      product: { const: p.id },
      ...(p.subject ? { [SUBJECT_FIELD]: { type: 'integer', description: `The id of the ${p.subject.name} it is for.` } } : {}),
      ...own.properties,
    },
    required: ['product', ...(p.subject ? [SUBJECT_FIELD] : []), ...(own.required ?? [])],
  };
}

/** Whether the purchase's fields tick a box that needs the card paid with kept for off-session charges. */
export const needsSavedCard = (product: Product, fields: Record<string, unknown>): boolean =>
  product.formFields.some((f) => f.inputMode === 'checkbox' && f.savesCard && fields[f.name] === true);

/**
 * A posted form's product fields as the JSON body sends them: a field left empty was not given (so an
 * optional image URL is not checked as an empty URL), and each of the product's boxes is a boolean
 * (a form sends "on" for a ticked box and nothing for another).
 */
export function postedFields(product: Product | undefined, posted: Record<string, unknown>): Record<string, unknown> {
  const boxes = (product?.formFields ?? []).flatMap((f) => (f.inputMode === 'checkbox' ? [f.name] : []));
  return {
    ...Object.fromEntries(Object.entries(posted).filter(([name, value]) => value !== '' && !boxes.includes(name))),
    ...Object.fromEntries(boxes.map((name) => [name, posted[name] === 'on'])),
  };
}

/** The product's own fields among what a form or link carries (strings), as typed. */
export const typedFields = (product: Product, values: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(product.formFields.flatMap((f) => (typeof values[f.name] === 'string' ? [[f.name, values[f.name] as string]] : [])));

/** What the purchase costs with the fields typed, when they are valid (a quantity); else undefined (the catalog's price is shown). */
export function typedPrice(product: Product, values: Record<string, string>): number | undefined {
  const parsed = product.fields.safeParse(postedFields(product, values));
  return parsed.success ? priceOf(product, parsed.data) : undefined;
}

/** Each select field's options at `now`, by field name, for the checkout form. */
export async function fieldChoices(db: Db, product: Product, now: Date): Promise<Record<string, FieldOption[]>> {
  const selects = product.formFields.flatMap((f) => (f.inputMode === 'select' ? [f] : []));
  return Object.fromEntries(await Promise.all(selects.map(async (f) => [f.name, await f.options(db, now)] as const)));
}

/**
 * A 400 naming each select field whose value is not among its options at `now`, or undefined. The
 * options are checked here, not in `fields`, because they depend on the database and the time.
 */
export async function unavailableChoices(db: Db, product: Product, fields: Record<string, unknown>, now: Date): Promise<ApiError | undefined> {
  const choices = await fieldChoices(db, product, now);
  const refused = product.formFields.flatMap((f) =>
    f.inputMode === 'select' && fields[f.name] !== undefined && !choices[f.name]!.some((o) => o.value === fields[f.name]) ? [[f.name, f.unavailable] as const] : [],
  );
  return refused.length ? new ApiError(400, 'validation_failed', 'Some fields are invalid.', Object.fromEntries(refused)) : undefined;
}
