import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import type { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { prepared } from '../db/prepared.js';
import { auditLog, type Charge, charges, type User } from '../db/schema.js';
import { userActor } from '../audit/log.js';
import { ApiError, parseInput } from '../http/errors.js';
import { type Catalog, type ChargeExtras, unavailableChoices } from './catalog.js';
import { ChargeRecords } from './charges.js';
import { memberPayer } from './payer.js';
import { settleFromIntent } from './settle.js';
import { INTENT_EXPAND, isProviderUnavailable, isRequestInProgress, providerUnavailable, type StripeGateway } from './stripe.js';
import { moveCharge } from './transition.js';
import { SUBJECT_COLUMN, SUBJECT_FIELD, subjectOf } from './subject.js';
import { baseKeys, canonical, chargeRequest, idempotencyKeySchema, type PaymentSource } from './checkout-request.js';

export interface PaymentsDeps {
  db: Db;
  clock: Clock;
  catalog: Catalog;
  stripe: StripeGateway;
  /** Called after a charge may have succeeded (e-mails due receipts). */
  afterSettle?: () => void;
}

/** A checkout's answer: the HTTP status and body the API (and the page's script) returns. */
export interface CheckoutResult {
  status: number;
  body: Record<string, unknown>;
  charge: Charge;
}

const p = sql.placeholder;

/** The row and its audit entry in one statement: a repeat of the idempotency key inserts neither. */
const insertCharge = prepared((db) => {
  const created = db.$with('created').as(
    db
      .insert(charges)
      .values({
        userId: p('userId'),
        [SUBJECT_COLUMN]: p('subject'),
        product: p('product'),
        amount: p('amount'),
        currency: p('currency'),
        status: 'pending',
        idempotencyKey: p('key'),
        requestFingerprint: p('fingerprint'),
        productData: p('fields'),
        intentNonce: p('nonce'),
        createdAt: p('now'),
        updatedAt: p('now'),
      })
      .onConflictDoNothing()
      .returning(),
  );
  const audited = db.$with('audited', { id: sql<number>`id` }).as(sql`
    insert into ${auditLog} (at, actor, action, subject_type, subject_id, after)
    select created_at, ${p('actor')}, 'charge.created', 'charge', id::text,
      jsonb_build_object('product', product, 'amount', amount, 'currency', currency, ${sql.raw(`'${SUBJECT_FIELD}'`)}, ${sql.identifier(charges[SUBJECT_COLUMN].name)})
    from created returning id`);
  return db.with(created, audited).select({ charge: created._.selectedFields }).from(created).prepare('insert_charge');
});

/** A charge with nobody at the keyboard, on a card the buyer saved (e.g. a renewal). */
export interface OffSessionRequest {
  product: string;
  /** The subject it is for, when the product has one. */
  subjectId?: number;
  /** The buyer: their Stripe customer must hold the card. */
  user: User;
  paymentMethod: string;
  /** The product's own fields, when it has any (a renewal buys again what was bought). */
  fields?: Record<string, unknown>;
  /**
   * The caller's name for this one charge (e.g. what is renewed and for which period): however often,
   * and on however many instances, it is asked for, it is one row and one PaymentIntent.
   */
  key: string;
}

export interface CheckoutDeps extends PaymentsDeps {
  /** The app's origin as buyers reach it: payment methods that redirect send the buyer back here. */
  publicUrl: string;
}

/**
 * Buying: our row first, then Stripe with a key tied to that row, then settle (on-session with a card,
 * off-session for a renewal, after 3-D Secure). Reading and showing rows is ChargeRecords (`records`).
 */
export class Checkout {
  /** Checkouts in progress in this process, so concurrent repeats of one key share one Stripe call. */
  private inFlight = new Map<number, Promise<CheckoutResult>>();

  /** Where our charge rows are read and shown: shared with the pages and the finance console. */
  readonly records: ChargeRecords;

  constructor(private readonly deps: CheckoutDeps) {
    this.records = new ChargeRecords(deps);
  }

  /** This process's call to Stripe for the charge and its settling, while it runs (webhooks wait for it). */
  settling(chargeId: number): Promise<CheckoutResult> | undefined {
    return this.inFlight.get(chargeId);
  }

  /** Where Stripe returns a buyer after a redirect (3-D Secure or a redirecting payment method). */
  returnUrl(chargeId: number): string {
    return `${this.deps.publicUrl}/charges/${chargeId}/return`;
  }

  /**
   * Creates and confirms a charge. The row is written first, keyed by the buyer's idempotency key,
   * then Stripe is called with a key derived from the row: a double click, a retry, a refresh or
   * two tabs make one row and one PaymentIntent, and every repeat gets the first one's answer.
   */
  async create(user: User, input: unknown, idempotencyKey: string | undefined): Promise<CheckoutResult> {
    const purchase = await this.recordPurchase(user, input, idempotencyKey, chargeRequest, baseKeys);
    const { base } = purchase;
    const source: PaymentSource = base.confirmation_token ? { confirmationToken: base.confirmation_token } : { paymentMethod: base.payment_method! };
    if (purchase.created) return this.createIntentOnce(user, purchase.charge, source, base.save_card ?? false);
    const running = this.inFlight.get(purchase.charge.id);
    if (running) return running;
    // An attempt that never reached a verdict (Stripe unreachable, or a crash) is driven again:
    // Stripe's idempotency key, derived from the row, makes that safe.
    if (purchase.charge.status === 'pending') return this.createIntentOnce(user, purchase.charge, source, base.save_card ?? false);
    return this.result(purchase.charge);
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
    await product.authorize(this.deps.db, user, subjectId, this.deps.clock.now());

    const fingerprint = createHash('sha256')
      .update(canonical({ ...base, ...flow, save_card: base.save_card ?? false, fields }))
      .digest('hex');
    const now = this.deps.clock.now();
    // A choice taken since the form was shown makes no new row; a repeat of a purchase that took it finds its own.
    const refused = await unavailableChoices(this.deps.db, product, fields, now);
    const [row] = refused ? [] : await insertCharge(this.deps.db).execute({
      userId: user.id,
      subject: subjectId ?? null,
      product: product.id,
      amount: product.amount,
      currency: product.currency,
      key,
      fingerprint,
      fields,
      nonce: randomBytes(16).toString('hex'),
      now,
      actor: userActor(user.id),
    });
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

  /** What every PaymentIntent for a row carries: settle and reconcile recognise our intents by it. */
  static intentMetadata(charge: Charge): Record<string, string> {
    return {
      charge_id: String(charge.id),
      user_id: String(charge.userId),
      product: charge.product,
      ...(subjectOf(charge) ? { [SUBJECT_FIELD]: String(subjectOf(charge)) } : {}),
      ...(charge.intentNonce ? { charge_nonce: charge.intentNonce } : {}),
    };
  }

  /**
   * Charges a saved card off-session. The row is written first under the caller's key, then
   * Stripe is called with the row's key and settled as checkout settles, so fulfilment happens once.
   * A card that needs authentication or is declined comes back `failed` (its failure code says
   * which); Stripe out of reach leaves it `pending` for the next call with the same key.
   * The product's `authorize` still decides (a 403/404 ApiError when the buyer may no longer buy it).
   */
  async chargeOffSession(request: OffSessionRequest): Promise<Charge> {
    const { user } = request;
    const product = this.deps.catalog.get(request.product);
    await product.authorize(this.deps.db, user, request.subjectId, this.deps.clock.now());
    if (!memberPayer(user).knownCustomer()) throw new Error('an off-session charge needs the buyer\'s Stripe customer');
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
      amount: product.amount,
      currency: product.currency,
      key,
      fingerprint,
      fields: request.fields ?? {},
      nonce: randomBytes(16).toString('hex'),
      now,
      actor: 'system',
    });
    const charge = row
      ? (row.charge as Charge)
      : (await this.deps.db.select().from(charges).where(and(eq(charges.userId, user.id), eq(charges.idempotencyKey, key))))[0];
    if (!charge || charge.requestFingerprint !== fingerprint) throw new Error(`off-session key ${request.key} names another purchase`);
    if (charge.status !== 'pending') return charge;
    return (await this.createIntentOnce(user, charge, { paymentMethod: request.paymentMethod }, false, true)).charge;
  }

  private createIntentOnce(user: User, charge: Charge, source: PaymentSource, saveCard: boolean, offSession = false): Promise<CheckoutResult> {
    const running = this.inFlight.get(charge.id);
    if (running) return running;
    const promise = this.callStripe(user, charge, source, saveCard, offSession).finally(() => this.inFlight.delete(charge.id));
    this.inFlight.set(charge.id, promise);
    return promise;
  }

  private async callStripe(user: User, charge: Charge, source: PaymentSource, saveCard: boolean, offSession: boolean, replacing?: string): Promise<CheckoutResult> {
    const { stripe } = this.deps;
    const product = this.deps.catalog.get(charge.product);
    const actor = offSession ? 'system' : `user:${user.id}`;
    try {
      const customer = await memberPayer(user).customerFor(this.deps.db, stripe.client, replacing);
      const intent = await stripe.client.paymentIntents.create(
        {
          amount: charge.amount,
          currency: charge.currency,
          customer,
          // The one the buyer chose: a token from the Payment Element, or a saved card.
          ...('confirmationToken' in source ? { confirmation_token: source.confirmationToken } : { payment_method: source.paymentMethod }),
          confirm: true,
          // Finalized on the server (docs.stripe.com/payments/finalize-payments-on-the-server): automatic
          // payment methods, as Stripe defaults since 2023-08-16, with a return_url for any method that
          // redirects, and next actions (3-D Secure) handed to Stripe.js's handleNextAction. Off-session
          // nobody can be redirected or authenticate: Stripe declines what would need it
          // (authentication_required) and needs no return_url.
          automatic_payment_methods: { enabled: true },
          ...(offSession ? { off_session: true } : { return_url: this.returnUrl(charge.id), use_stripe_sdk: true }),
          ...(saveCard ? { setup_future_usage: 'off_session' as const } : {}),
          description: product.name,
          metadata: Checkout.intentMetadata(charge),
          expand: INTENT_EXPAND,
        },
        { idempotencyKey: `charge-${charge.id}` },
      );
      const settled = await settleFromIntent(this.deps, charge.id, intent, actor, true);
      if (settled.charge.status === 'succeeded') this.deps.afterSettle?.();
      return this.result(settled.charge, settled.extras);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError && error.payment_intent) {
        return this.result((await settleFromIntent(this.deps, charge.id, error.payment_intent, actor, true)).charge);
      }
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.param === 'customer' && error.code === 'resource_missing' && !replacing) {
        // Off-session, the saved card went with the deleted customer: nothing to charge.
        if (offSession) return this.result(await this.markRejected(charge, actor, 'payment_method_invalid', 'The saved card is no longer available.'));
        // The customer was deleted at Stripe: forget the mapping, make a new customer, try once more.
        const old = await memberPayer(user).forgetCustomer(this.deps.db);
        return this.callStripe(user, charge, source, saveCard, offSession, old ?? 'none');
      }
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.param === 'confirmation_token') {
        // Used, expired or unknown: the buyer fills the form in again, and nothing was charged.
        const failed = await this.markRejected(charge, actor, 'confirmation_token_invalid', 'The card details expired or were already used. Enter them again.');
        return this.result(failed);
      }
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.param === 'payment_method') {
        // A card that is not this buyer's (another customer's, or unknown): nothing was charged.
        const failed = await this.markRejected(charge, actor, 'payment_method_invalid', 'That card cannot be used. Choose another card.');
        return { status: 404, body: { error: { code: 'payment_method_not_found', message: failed.failureMessage }, charge: await this.records.json(failed) }, charge: failed };
      }
      // Another process is calling Stripe with this charge's key right now (the SDK already retried
      // the 409 with backoff): that call settles the row; answer with the row as it stands.
      if (isRequestInProgress(error)) return this.result(await this.records.get(charge.id));
      // The row stays pending: a retry with the same key, the webhook or reconcile settles it.
      if (isProviderUnavailable(error)) return this.unavailable(charge);
      throw error;
    }
  }

  /** Stripe refused the request itself (nothing was charged): a pending row fails with our reason. */
  private async markRejected(charge: Charge, actor: string, code: string, message: string): Promise<Charge> {
    const after = { status: 'failed', failure_code: code };
    const failed = await moveCharge(this.deps.db, charge.id, { to: 'failed', from: ['pending'], set: { failureCode: code, failureMessage: message }, at: this.deps.clock.now(), actor, after });
    return failed ?? (await this.records.get(charge.id));
  }

  /** After 3-D Secure in the browser: re-read the PaymentIntent from Stripe, never the browser's word. */
  async confirm(user: User, chargeId: number): Promise<CheckoutResult> {
    const charge = await this.records.owned(user, chargeId);
    if (!charge.paymentIntentId) return this.result(charge);
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.deps.stripe.client.paymentIntents.retrieve(charge.paymentIntentId, {
        expand: INTENT_EXPAND,
      });
    } catch (error) {
      // Nothing changes without Stripe's word: the buyer confirms again, or the webhook or reconcile settles it.
      if (isProviderUnavailable(error)) return this.unavailable(charge);
      throw error;
    }
    const settled = await settleFromIntent(this.deps, charge.id, intent, `user:${user.id}`);
    return this.result(settled.charge, settled.extras);
  }

  /** Stripe could not be reached (after the SDK's retries): a 503 with the charge as it stands. */
  private async unavailable(charge: Charge): Promise<CheckoutResult> {
    const error = providerUnavailable('you have not been charged twice — try again.');
    return { status: error.status, body: { error: { code: error.code, message: error.message }, charge: await this.records.json(charge) }, charge };
  }

  /** The answer for a charge in its current state: the same for the first request and every repeat. */
  async result(charge: Charge, extras?: ChargeExtras): Promise<CheckoutResult> {
    const json = await this.records.json(charge, extras);
    switch (charge.status) {
      case 'succeeded':
      case 'partially_refunded':
      case 'refunded':
      case 'disputed':
        return { status: 201, body: { charge: json }, charge };
      case 'requires_action':
        return { status: 202, body: { charge: { ...json, client_secret: charge.stripeClientSecret } }, charge };
      case 'failed':
        return {
          status: charge.failureCode === 'payment_method_invalid' ? 404 : 402,
          body: {
            error: {
              code: charge.failureCode === 'payment_method_invalid' ? 'payment_method_not_found' : (charge.failureCode ?? 'card_declined'),
              ...(charge.declineCode ? { decline_code: charge.declineCode } : {}),
              message: charge.failureMessage ?? 'The payment failed.',
            },
            charge: json,
          },
          charge,
        };
      case 'canceled':
        return { status: 409, body: { error: { code: 'charge_canceled', message: 'This payment was canceled. Start a new one.' }, charge: json }, charge };
      default:
        return { status: 202, body: { charge: json }, charge };
    }
  }
}
