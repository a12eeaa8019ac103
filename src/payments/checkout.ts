import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Executor } from '../db/client.js';
import { prepared } from '../db/prepared.js';
import { auditLog, type Charge, charges, type User } from '../db/schema.js';
import { userActor } from '../audit/log.js';
import { ApiError, parseInput } from '../http/errors.js';
import { type AuthorizeStep, needsSavedCard, type Product, priceOf, unavailableChoices } from './catalog.js';
import { ChargeRecords } from './charges.js';
import { type CheckoutOutcome, outcomeOf } from './outcome.js';
import type { Payer } from './payer.js';
import { settleFromIntent, settleWithoutIntent } from './settle.js';
import type { SyncDeps } from './sync.js';
import { moveCharge } from './transition.js';
import { SUBJECT_COLUMN, SUBJECT_FIELD } from './subject.js';
import { canonical, idempotencyKeySchema } from './checkout-request.js';
import { waysToPay } from './ways-to-pay/index.js';
import { savedCard } from './ways-to-pay/saved-card.js';
import type { WayChoice, WayCore, WayToPay } from './ways-to-pay/way.js';

const p = sql.placeholder;

/** A new row's columns and the placeholder each takes (its status is `pending`). */
const NEW_ROW = {
  userId: 'userId',
  [SUBJECT_COLUMN]: 'subject',
  product: 'product',
  amount: 'amount',
  currency: 'currency',
  idempotencyKey: 'key',
  requestFingerprint: 'fingerprint',
  productData: 'fields',
  payerOrganizationId: 'payerOrganization',
  intentNonce: 'nonce',
  createdAt: 'now',
  updatedAt: 'now',
} as const satisfies Partial<Record<keyof typeof charges.$inferInsert, string>>;
const newRowColumns = Object.entries(NEW_ROW) as Array<[keyof typeof NEW_ROW, string]>;

/**
 * The row and its audit entry in one statement: a repeat of the idempotency key inserts neither,
 * and neither does a purchase the product's AuthorizeStep (`authorized`) refuses.
 */
function buildInsertCharge(db: Executor, name = 'insert_charge', authorized?: SQL) {
  const created = db.$with('created', getTableColumns(charges)).as(sql`
    insert into ${charges} (${sql.join(
      newRowColumns.map(([column]) => sql.identifier(charges[column].name)),
      sql`, `,
    )}, ${sql.identifier(charges.status.name)})
    select ${sql.join(
      newRowColumns.map(([column, placeholder]) => sql.param(p(placeholder), charges[column])),
      sql`, `,
    )}, 'pending'
    ${authorized ? sql`where ${authorized}` : sql``}
    on conflict do nothing returning *`);
  const audited = db.$with('audited', { id: sql<number>`id` }).as(sql`
    insert into ${auditLog} (at, actor, action, subject_type, subject_id, after)
    select created_at, ${p('actor')}, 'charge.created', 'charge', id::text,
      jsonb_build_object('product', product, 'amount', amount, 'currency', currency, ${sql.raw(`'${SUBJECT_FIELD}'`)}, ${sql.identifier(charges[SUBJECT_COLUMN].name)})
    from created returning id`);
  return db.with(created, audited).select({ charge: created._.selectedFields }).from(created).prepare(name);
}
const insertCharge = prepared((db) => buildInsertCharge(db));
/** Per product with an AuthorizeStep: the insert that checks it. */
const authorizedInserts = new WeakMap<Product, ReturnType<typeof prepared<ReturnType<typeof buildInsertCharge>>>>();
function authorizedInsert(product: Product, step: AuthorizeStep) {
  let statement = authorizedInserts.get(product);
  if (!statement) {
    const condition = step.sql(sql`${p('subject')}::int`, sql`${p('userId')}::int`, sql`${p('now')}::timestamptz`);
    statement = prepared((db) => buildInsertCharge(db, `insert_charge_authorized_${product.id}`, condition));
    authorizedInserts.set(product, statement);
  }
  return statement;
}

/** A charge with nobody at the keyboard, on a card the buyer saved (e.g. a renewal). */
export interface OffSessionRequest {
  product: string;
  /** The subject it is for, when the product has one. */
  subjectId?: number;
  /** The buyer (charges.user_id). */
  user: User;
  /** Who pays: its Stripe customer must hold the card. */
  payer: Payer;
  paymentMethod: string;
  /** The product's own fields, when it has any (a renewal buys again what was bought). */
  fields?: Record<string, unknown>;
  /**
   * The caller's name for this one charge (e.g. what is renewed and for which period): however often,
   * and on however many instances, it is asked for, it is one row and one PaymentIntent.
   */
  key: string;
}

export interface CheckoutDeps extends SyncDeps {
  /** The app's origin as buyers reach it: payment methods that redirect send the buyer back here. */
  publicUrl: string;
}

/**
 * Buying, whatever the way to pay: the request is parsed and authorised, our row is written first,
 * then the way (ways-to-pay/) asks for the money with a key tied to that row, and the row is settled
 * once. Reading and showing rows is ChargeRecords (`records`).
 */
export class Checkout {
  /** Attempts that settle, in progress in this process, so concurrent repeats of one key share one provider call. */
  private inFlight = new Map<number, Promise<CheckoutOutcome>>();

  /** Where our charge rows are read and shown: shared with the pages and the finance console. */
  readonly records: ChargeRecords;

  /** What a way to pay is lent: the shared steps that end an attempt. */
  private readonly core: WayCore;

  /**
   * `ways`: those offered to buyers (the hosted page only when it is enabled); a row made by any way
   * still settles. The refunds of rows a prepaid way paid go through them (refund.ts).
   */
  constructor(
    private readonly deps: CheckoutDeps,
    readonly ways: readonly WayToPay[] = waysToPay,
  ) {
    this.records = new ChargeRecords(deps);
    this.core = {
      deps,
      returnUrl: (chargeId) => `${deps.publicUrl}/charges/${chargeId}/return`,
      settleFromIntent: async (chargeId, intent, actor, fromCreate) => {
        const settled = await settleFromIntent(deps, chargeId, intent, actor, fromCreate);
        if (fromCreate && settled.charge.status === 'succeeded') deps.afterSettle?.();
        return outcomeOf(settled.charge, settled.extras);
      },
      settleWithoutIntent: async (charge, actor, pay) => {
        const settled = await settleWithoutIntent(deps, charge.id, actor, pay);
        if (!settled.refused) {
          if (settled.moved) deps.afterSettle?.();
          return outcomeOf(settled.charge, settled.extras);
        }
        const { code, message, details } = settled.refused;
        const failed = outcomeOf(await this.markRejected(settled.charge, actor, code, message));
        return failed.kind === 'declined' ? { ...failed, details } : failed;
      },
      reject: async (charge, actor, code, message) => outcomeOf(await this.markRejected(charge, actor, code, message)),
      once: (chargeId, attempt) => {
        const running = this.inFlight.get(chargeId);
        if (running) return running;
        const promise = attempt().finally(() => this.inFlight.delete(chargeId));
        this.inFlight.set(chargeId, promise);
        return promise;
      },
      current: async (chargeId) => outcomeOf(await this.records.get(chargeId)),
    };
  }

  /** Whether buyers are offered this way to pay. */
  offers(wayId: string): boolean {
    return this.ways.some((way) => way.id === wayId);
  }

  /** What the offered ways propose to this buyer for one product (and subject) besides a card, in the ways' order. */
  async choices(buyer: User, product: string, subjectId: number | undefined): Promise<WayChoice[]> {
    const offered = await Promise.all(this.ways.map((way) => way.choices?.(this.deps, buyer, product, subjectId) ?? []));
    return offered.flat();
  }

  /** The offered ways a request names by `field`'s value (their id), rather than by a card's source. */
  waysNamedBy(field: string): string[] {
    return this.ways.filter((way) => way.sourceField === field).map((way) => way.id);
  }

  /** This process's attempt for the charge and its settling, while it runs (webhooks wait for it). */
  settling(chargeId: number): Promise<CheckoutOutcome> | undefined {
    return this.inFlight.get(chargeId);
  }

  /**
   * Creates a charge and asks for its money: by the way named (`wayId`), or else by the way whose
   * source field the request carries (a card form's token or saved card). The row is written first,
   * keyed by the buyer's idempotency key: a double click, a retry, a refresh or two tabs make one row
   * and one provider attempt, and every repeat gets the first one's outcome. `buyer` is who buys
   * (charges.user_id); `payer` whose customer pays.
   */
  async create(buyer: User, payer: Payer, input: unknown, idempotencyKey: string | undefined, wayId = this.wayChosenBy(input).id): Promise<CheckoutOutcome> {
    const way = this.ways.find((w) => w.id === wayId);
    if (!way) throw new Error(`no way to pay ${wayId} is offered`);
    const { schema, keys, flow } = way.request;
    // Who pays is part of what a key names: the same body paid by an organization is another purchase.
    const paidBy = payer.kind === 'member' ? flow : { ...flow, payer: `${payer.kind}:${payer.id}` };
    const purchase = await this.recordPurchase(buyer, input, idempotencyKey, schema, keys, paidBy, payer.kind === 'organization' ? payer.id : null);
    const source = way.sourceField ? (purchase.base[way.sourceField] as string) : undefined;
    // A ticked box that needs the card for later (auto-renewal) saves it, whatever the "save" box says.
    const saveCard = (purchase.base.save_card ?? false) || needsSavedCard(this.deps.catalog.get(purchase.charge.product), purchase.charge.productData as Record<string, unknown>);
    const attempt = { charge: purchase.charge, payer, buyer, actor: userActor(buyer.id), source, request: purchase.base, saveCard, offSession: false };
    // A new row, or one whose attempt never reached a verdict (the provider unreachable, or a crash),
    // is driven: the provider's idempotency key, derived from the row, makes a repeat safe.
    if (purchase.created || purchase.charge.status === 'pending') return way.start(this.core, attempt);
    // Settled, perhaps by an attempt still finishing here: that attempt's outcome, else the row's.
    return this.inFlight.get(purchase.charge.id) ?? outcomeOf(purchase.charge);
  }

  /** The offered way whose source field the request carries; the first with one when it carries none (its request then says what is missing). */
  wayChosenBy(input: unknown): WayToPay {
    const body = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
    const bySource = this.ways.filter((way) => way.sourceField !== undefined);
    const way = bySource.find((w) => body[w.sourceField!] !== undefined) ?? bySource[0];
    if (!way) throw new Error('no way to pay with a source is offered');
    return way;
  }

  /**
   * Parses and authorises a purchase and writes its row (pending), keyed by the buyer's idempotency
   * key; a repeat of the key finds the first request's row (409 when it was for another purchase).
   * The fingerprint covers everything sent, so a key used for one way of paying cannot start another.
   */
  async recordPurchase<T extends { product: string; [SUBJECT_FIELD]?: number; save_card?: boolean }>(
    user: User,
    input: unknown,
    idempotencyKey: string | undefined,
    schema: z.ZodType<T>,
    keys: readonly string[],
    flow: Record<string, unknown> = {},
    payerOrganization: number | null = null,
  ): Promise<{ base: T; charge: Charge; created: boolean }> {
    const body = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
    const base = parseInput(schema, Object.fromEntries(keys.filter((k) => k in body).map((k) => [k, body[k]])));
    const product = this.deps.catalog.get(base.product);
    const fieldsInput = Object.fromEntries(Object.entries(body).filter(([k]) => !keys.includes(k)));
    const fields = parseInput(product.fields, fieldsInput);
    const subjectId = base[SUBJECT_FIELD];
    if (product.subject && subjectId === undefined) {
      throw new ApiError(400, 'validation_failed', 'Some fields are invalid.', { [SUBJECT_FIELD]: `Choose the ${product.subject.name} this is for.` });
    }
    if (!product.subject && subjectId !== undefined) {
      throw new ApiError(400, 'validation_failed', 'Some fields are invalid.', { [SUBJECT_FIELD]: `Not used by ${product.id}.` });
    }
    const key = idempotencyKey === undefined ? randomUUID() : parseInput(idempotencyKeySchema, idempotencyKey);
    // With an AuthorizeStep the statement that writes the row checks it: `authorize` runs only when no row was written.
    const step = product.authorizeStep && authorizedInsert(product, product.authorizeStep);
    if (!step) await product.authorize(this.deps.db, user, subjectId, this.deps.clock.now(), fields);

    const fingerprint = createHash('sha256')
      .update(canonical({ ...base, ...flow, save_card: base.save_card ?? false, fields }))
      .digest('hex');
    const now = this.deps.clock.now();
    // A choice taken since the form was shown makes no new row; a repeat of a purchase that took it finds its own.
    const refused = await unavailableChoices(this.deps.db, product, fields, now);
    const values = {
      userId: user.id,
      subject: subjectId ?? null,
      product: product.id,
      amount: priceOf(product, fields),
      currency: product.currency,
      key,
      fingerprint,
      fields,
      payerOrganization,
      nonce: randomBytes(16).toString('hex'),
      now,
      actor: userActor(user.id),
    };
    let [row] = refused ? [] : await (step ?? insertCharge)(this.deps.db).execute(values);
    if (!row && step) {
      // Refused by the step, or a repeat of the key: `authorize` says why it was refused, else the row
      // is written as without a step (the answer changed in between) or, for a repeat, found below.
      await product.authorize(this.deps.db, user, subjectId, this.deps.clock.now(), fields);
      [row] = refused ? [] : await insertCharge(this.deps.db).execute(values);
    }
    if (row) return { base, charge: row.charge as Charge, created: true };

    const [existing] = await this.deps.db
      .select()
      .from(charges)
      .where(and(eq(charges.userId, user.id), eq(charges.idempotencyKey, key)));
    if (!existing) throw refused ?? new Error('idempotency conflict without a row');
    if (existing.requestFingerprint !== fingerprint) {
      throw new ApiError(409, 'idempotency_key_reused', 'This Idempotency-Key was already used for a different purchase. Use a new key.');
    }
    return { base, charge: existing, created: false };
  }

  /**
   * Charges a saved card off-session. The row is written first under the caller's key, then
   * Stripe is called with the row's key and settled as checkout settles, so fulfilment happens once.
   * A card that needs authentication or is declined comes back `failed` (its failure code says
   * which); Stripe out of reach leaves it `pending` for the next call with the same key.
   * The product's `authorize` still decides (a 403/404 ApiError when the buyer may no longer buy it).
   */
  async chargeOffSession(request: OffSessionRequest): Promise<Charge> {
    const { user, payer } = request;
    const product = this.deps.catalog.get(request.product);
    await product.authorize(this.deps.db, user, request.subjectId, this.deps.clock.now(), request.fields);
    if (!payer.knownCustomer()) throw new Error("an off-session charge needs the payer's Stripe customer");
    // A space: a buyer's own key cannot contain one (idempotencyKeySchema), so the two never meet.
    const key = `off-session ${request.key}`;
    const fingerprint = createHash('sha256')
      // Without fields the fingerprint is what it was before they could be given, so earlier keys still match.
      .update(canonical({ product: product.id, [SUBJECT_FIELD]: request.subjectId ?? null, off_session: true, ...(request.fields ? { fields: request.fields } : {}) }))
      .digest('hex');
    const now = this.deps.clock.now();
    const [row] = await insertCharge(this.deps.db).execute({
      userId: user.id,
      subject: request.subjectId ?? null,
      product: product.id,
      amount: priceOf(product, request.fields ?? {}),
      currency: product.currency,
      key,
      fingerprint,
      fields: request.fields ?? {},
      payerOrganization: payer.kind === 'organization' ? payer.id : null,
      nonce: randomBytes(16).toString('hex'),
      now,
      actor: 'system',
    });
    const charge = row
      ? (row.charge as Charge)
      : (await this.deps.db.select().from(charges).where(and(eq(charges.userId, user.id), eq(charges.idempotencyKey, key))))[0];
    if (!charge || charge.requestFingerprint !== fingerprint) throw new Error(`off-session key ${request.key} names another purchase`);
    if (charge.status !== 'pending') return charge;
    const attempt = { charge, payer, buyer: user, actor: 'system', source: request.paymentMethod, request: {}, saveCard: false, offSession: true };
    return (await savedCard.start(this.core, attempt)).charge;
  }

  /** The provider refused the request itself (nothing was charged): a pending row fails with our reason. */
  private async markRejected(charge: Charge, actor: string, code: string, message: string): Promise<Charge> {
    const after = { status: 'failed', failure_code: code };
    const failed = await moveCharge(this.deps.db, charge.id, { to: 'failed', from: ['pending'], set: { failureCode: code, failureMessage: message }, at: this.deps.clock.now(), actor, after });
    return failed ?? (await this.records.get(charge.id));
  }

  /** The way that made a row's payment, among all ways: a row made while a way was offered still settles after. */
  private wayOf(charge: Charge): WayToPay {
    const way = waysToPay.find((w) => w.madeBy(charge));
    if (!way) throw new Error(`no way to pay made charge ${charge.id}`);
    return way;
  }

  /** The buyer is back (after 3-D Secure, or from the provider's page): their way re-reads the verdict. */
  async confirm(user: User, chargeId: number): Promise<CheckoutOutcome> {
    const charge = await this.records.owned(user, chargeId);
    return this.wayOf(charge).confirm(this.core, charge, userActor(user.id));
  }

  /** The buyer gave up on their unpaid charge: its way ends the attempt, when it has one to end. */
  async cancel(user: User, chargeId: number): Promise<void> {
    const charge = await this.records.owned(user, chargeId);
    if (charge.status !== 'pending' && charge.status !== 'failed') return;
    await this.wayOf(charge).cancel?.(this.core, charge, userActor(user.id));
  }
}
