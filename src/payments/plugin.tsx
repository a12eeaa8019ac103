/**
 * payments: the product-agnostic core — checkout (Payment Element, saved cards, hosted Checkout),
 * charges and receipts, saved cards, the charge state machine, settle, sync with Stripe, refunds,
 * reconcile, webhooks (webhooks/) and the admins' console for them (console.tsx). It names no product:
 * products implement catalog.ts's Product. The buyers' routes are here.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser } from '../accounts/request-user.js';
import { BEARER, errorResponses } from '../http/api.js';
import { perMemberLimit } from '../http/rate-limits.js';
import { ApiError, idParam, notFound, parseInput } from '../http/errors.js';
import type { User } from '../db/schema.js';
import type { JSX } from 'preact';
import type { Db } from '../db/client.js';
import { doneMessage, type PageContext, pageContext, sendPage } from '../web/render.js';
import { billingRoutes } from './billing-routes.js';
import { listCards } from './cards.js';
import { fieldChoices, type Product, postedFields, productJson, productSchema, purchaseJsonSchema, typedFields, typedPrice } from './catalog.js';
import { chargeSchema } from './charges.js';
import { chargeRequest, idempotencyHeaders } from './checkout-request.js';
import { checkoutAnswer, purchaseAnswers, sendAnswer } from './http-answers.js';
import type { CheckoutOutcome } from './outcome.js';
import { memberPayer, type Payer } from './payer.js';
import { commonPurchase, NAMED_WAY_FIELD, purchasePayer } from './purchase-payer.js';
import { receiptPdf } from './receipts.js';
import { CatalogPage, ChargePage, CheckoutPage } from './pages.js';
import { WAY_CHOICE_FIELD } from './way-choices.js';
import { SETTLED_STATUSES } from './state.js';
import { keepsIdempotencyKey, REQUEST_IN_PROGRESS } from './stripe.js';
import { SUBJECT_FIELD } from './subject.js';
import { hostedPage } from './ways-to-pay/hosted-page.js';

const checkoutQuery = z.object({
  product: z.string().min(1).max(60).optional(),
  [SUBJECT_FIELD]: z.coerce.number().int().positive().max(2147483647).optional(),
});
/**
 * A purchase's common fields, checked here; the product's own fields pass through and are checked by
 * the product. The document lists each product of the catalog with its own fields (one of them applies).
 */
const purchaseBody = <T extends z.ZodType>(common: T, products: Product[]): T =>
  common.meta({ description: 'Besides these, the fields of the product named: one of the purchases listed, each from the catalog.', oneOf: products.map(purchaseJsonSchema) });
/** The no-JavaScript form (a saved card): the same fields as the JSON body, as strings. */
const checkoutForm = z
  .object({
    product: z.string(),
    [SUBJECT_FIELD]: z.coerce.number().int().positive().optional(),
    payment_method: z.string(),
    save_card: z.preprocess((v) => v === 'on', z.boolean()),
    idempotency_key: z.string(),
    _csrf: z.string().optional(),
    // A way's choice (pages.tsx's buttons besides the card's): its request fields, as a query string.
    [WAY_CHOICE_FIELD]: z.string().max(500).optional(),
  })
  .catchall(z.string());

/** "Pay on Stripe's checkout page": the purchase without a card (the card is typed on Stripe's page). */
const hostedForm = z
  .object({
    product: z.string(),
    [SUBJECT_FIELD]: z.coerce.number().int().positive().optional(),
    idempotency_key: z.string(),
    _csrf: z.string().optional(),
    // Sent by the checkout form's card choice, which Stripe's page makes instead: not part of the purchase.
    payment_method: z.string().optional(),
    save_card: z.string().optional(),
  })
  .catchall(z.string());

/** Confirmations carried by a redirect (fixed texts). */
const CHARGE_DONE = { paid: 'Thank you: your payment went through. This is your receipt.' } as const;

/** Checkout pages carry a CSP that allows Stripe.js (or the local stand-in) and nothing else external. */
export function allowStripe(reply: FastifyReply, origins: string[]): void {
  const o = origins.join(' ');
  reply.header(
    'content-security-policy',
    `default-src 'self'; script-src 'self' ${o}; frame-src ${o}; connect-src 'self' ${o}; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; form-action 'self' ${o}; frame-ancestors 'none'; base-uri 'self'; object-src 'none'`,
  );
}

export interface PaymentsOptions {
  rateLimits: boolean;
  /** The organization that pays a purchase by card, named by its slug: throws 403/404 when this member may not pay for it. */
  organizationPayer?: (user: User, slug: string) => Promise<Payer>;
  /** What the billing page shows between the saved cards and the payments (the buyer's renewing purchases), given the request's query. */
  billingSection?: (db: Db, ctx: PageContext, user: User, query: unknown) => Promise<JSX.Element>;
}

export const paymentsPlugin: FastifyPluginAsync<PaymentsOptions> = async (app, options) => {
  const { checkout, charges, catalog, stripe } = app.payments;
  const hosted = checkout.offers(hostedPage.id);
  const perUser = perMemberLimit(options.rateLimits, 30);
  const send = async (reply: FastifyReply, outcome: CheckoutOutcome) => sendAnswer(reply, await checkoutAnswer(charges, outcome));
  const countedAs = (outcome: CheckoutOutcome): string =>
    outcome.kind === 'redirect' ? 'opened' : outcome.kind === 'unavailable' ? 'provider_unavailable' : outcome.kind === 'in_progress' ? REQUEST_IN_PROGRESS : outcome.charge.status;
  /**
   * A checkout, counted by product, way and outcome (a counter increment: nothing on the database).
   * A hosted one is counted `opened` here, and again when its session ends (afterSessionOutcome).
   */
  /** The product a request names, as a metric label: `unknown` for none or one we do not sell. */
  const productLabel = (body: unknown) => {
    const product = (body as { product?: unknown } | undefined)?.product;
    return typeof product === 'string' && catalog.find(product) ? product : 'unknown';
  };
  const counted = async (way: string, body: unknown, run: () => Promise<CheckoutOutcome>): Promise<CheckoutOutcome> => {
    try {
      const outcome = await run();
      app.metrics.checkouts.inc({ product: outcome.charge.product, way, outcome: countedAs(outcome) });
      return outcome;
    } catch (error) {
      app.metrics.checkouts.inc({ product: productLabel(body), way, outcome: 'rejected' });
      throw error;
    }
  };
  const wayOf = (body: unknown) => checkout.wayChosenBy(body).id;
  const payerOf = purchasePayer(checkout, catalog, options.organizationPayer);
  const create = (user: User, body: unknown, key: string | undefined) => {
    const way = wayOf(body);
    return counted(way, body, async () => {
      const { payer, input } = await payerOf(user, body);
      return checkout.create(user, payer, input, key, way);
    });
  };
  const createSession = (user: User, body: unknown, key: string | undefined) => counted(hostedPage.id, body, () => checkout.create(user, memberPayer(user), body, key, hostedPage.id));
  /** A purchase whose input the route's schema refused never reaches `counted`: it is counted `rejected` here. */
  const countRefusedInput =
    (way: (body: unknown) => string) =>
    (request: FastifyRequest, _reply: FastifyReply, error: Error & { validationContext?: string }, done: () => void) => {
      if (error.validationContext) app.metrics.checkouts.inc({ product: productLabel(request.body), way: way(request.body), outcome: 'rejected' });
      done();
    };
  /** A form's failure to show beside its fields; anything else (unknown product, not yours, a bug) is thrown on. */
  const shownOnForm = (error: unknown, product: string): ApiError => {
    if (!(error instanceof ApiError) || !catalog.find(product) || error.status === 404 || error.status === 403) throw error;
    return error;
  };
  const headerKey = (value: unknown) => (typeof value === 'string' ? value : undefined);

  /** The checkout for one product; sent back with an error, it keeps what was typed. */
  const checkoutPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    user: User,
    product: Product,
    subjectId: number | undefined,
    sentBack: { error?: ApiError; values?: Record<string, string>; idempotencyKey?: string } = {},
  ) => {
    const ctx = { ...pageContext(request, reply), scripts: [stripe.jsUrl, '/assets/checkout.js'] };
    const subjectTitle = subjectId ? await product.subject?.title(app.db, subjectId) : undefined;
    const values = sentBack.values && typedFields(product, sentBack.values);
    allowStripe(reply, stripe.origins);
    return sendPage(
      reply,
      ctx,
      'Checkout',
      <CheckoutPage
        ctx={ctx}
        product={product}
        subjectId={subjectId}
        subjectTitle={subjectTitle}
        cards={await listCards(stripe, user)}
        idempotencyKey={sentBack.idempotencyKey ?? randomUUID()}
        publishableKey={stripe.publishableKey}
        hostedCheckout={hosted}
        error={sentBack.error?.message}
        fieldErrors={sentBack.error?.fields}
        values={sentBack.values}
        amount={values && typedPrice(product, values)}
        otherWays={await checkout.choices(user, product.id, subjectId)}
        choices={await fieldChoices(app.db, product, app.clock.now())}
      />,
      sentBack.error?.status ?? 200,
    );
  };

  // ---- JSON API ----
  await app.register(billingRoutes, options);

  const api = app.withTypeProvider<ZodTypeProvider>();
  const buyer = { tags: ['payments'], security: BEARER };
  const chargeAnswer = z.object({ charge: chargeSchema });

  api.get(
    '/api/v1/products',
    { schema: { tags: ['payments'], summary: 'What can be bought', response: { 200: z.object({ products: z.array(productSchema) }) } } },
    async () => ({ products: catalog.list().map(productJson) }),
  );

  api.post(
    '/api/v1/charges',
    {
      ...perUser,
      onError: countRefusedInput(wayOf),
      schema: {
        ...buyer,
        summary: 'Buy a product with a card (or a prepaid balance)',
        description:
          'With a saved card (`payment_method`) or the Payment Element’s `confirmation_token`, or `pay_with` a prepaid balance; besides these, the fields the product `requires` (`GET /api/v1/products`), checked by the product. With `organization`, an organization of yours pays (its card, its saved cards, its balance). Send an `Idempotency-Key`: a retry then never charges twice.',
        headers: idempotencyHeaders,
        body: purchaseBody(commonPurchase(checkout.waysNamedBy(NAMED_WAY_FIELD)), catalog.list()),
        response: purchaseAnswers,
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      return send(reply, await create(user, request.body, request.headers['idempotency-key']));
    },
  );

  // Stripe-hosted Checkout, when CHECKOUT_MODE=hosted: 201 {charge, url}; the page form is sent there (303).
  api.post(
    '/api/v1/checkout_sessions',
    {
      ...perUser,
      onError: countRefusedInput(() => hostedPage.id),
      schema: {
        ...buyer,
        summary: 'Buy on Stripe’s hosted checkout page',
        description: 'Only when the server runs with CHECKOUT_MODE=hosted (otherwise 404). Send the buyer to `url`; the charge settles when Stripe says the session completed.',
        headers: idempotencyHeaders,
        body: purchaseBody(z.looseObject(chargeRequest.shape).omit({ payment_method: true, confirmation_token: true, save_card: true }), catalog.list()),
        response: {
          201: z.object({ charge: chargeSchema, url: z.string().meta({ description: 'Stripe’s checkout page for this charge.' }) }),
          ...errorResponses(400, 401, 403, 404, 409, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      if (!hosted) throw notFound("Stripe's hosted checkout page is not enabled (CHECKOUT_MODE=hosted).");
      return send(reply, await createSession(user, request.body, request.headers['idempotency-key']));
    },
  );

  app.post('/checkout_sessions', perUser, async (request, reply) => {
    const user = requireUser(request);
    if (!hosted) throw notFound("Stripe's hosted checkout page is not enabled (CHECKOUT_MODE=hosted).");
    const form = parseInput(hostedForm, request.body);
    const { idempotency_key, _csrf, payment_method, save_card, ...rest } = form;
    let failure: ApiError;
    try {
      const outcome = await createSession(user, postedFields(catalog.find(form.product), rest), idempotency_key);
      if (outcome.kind === 'redirect') return reply.redirect(outcome.url, 303);
      const answer = await checkoutAnswer(charges, outcome);
      const error = answer.body.error as { code: string; message: string } | undefined;
      failure = new ApiError(answer.status, error?.code ?? '', error?.message ?? '');
      if (!keepsIdempotencyKey(failure)) return reply.redirect(`/charges/${outcome.charge.id}`, 303);
    } catch (error) {
      failure = shownOnForm(error, form.product);
    }
    // As for a card: a provider out of reach or still busy keeps the key, so sending again opens one session.
    const idempotencyKey = keepsIdempotencyKey(failure) ? idempotency_key : undefined;
    return checkoutPage(request, reply, user, catalog.get(form.product), form[SUBJECT_FIELD], { error: failure, values: rest, idempotencyKey });
  });

  api.post(
    '/api/v1/charges/:id/confirm',
    {
      ...perUser,
      schema: {
        ...buyer,
        summary: 'Finish a charge after the buyer’s authentication',
        description: 'Asks Stripe for the charge’s state now and answers as the purchase would have.',
        params: idParam,
        response: purchaseAnswers,
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      return send(reply, await checkout.confirm(user, request.params.id));
    },
  );

  api.get(
    '/api/v1/charges',
    { schema: { ...buyer, summary: 'Your charges, newest first (the last 100)', response: { 200: z.object({ charges: z.array(chargeSchema) }), ...errorResponses(401) } } },
    async (request) => {
      const user = requireUser(request);
      const rows = await charges.listFor(user);
      return { charges: await Promise.all(rows.map((c) => charges.json(c))) };
    },
  );

  api.get(
    '/api/v1/charges/:id',
    { schema: { ...buyer, summary: 'One of your charges', params: idParam, response: { 200: chargeAnswer, ...errorResponses(400, 401, 404) } } },
    async (request) => {
      const user = requireUser(request);
      return { charge: await charges.json(await charges.owned(user, request.params.id)) };
    },
  );

  app.get('/charges/new', async (request, reply) => {
    const user = requireUser(request);
    const query = parseInput(checkoutQuery, request.query);
    if (query.product === undefined) {
      return sendPage(reply, pageContext(request, reply), 'Buy', <CatalogPage products={catalog.list()} />);
    }
    const product = catalog.get(query.product);
    const subjectId = query[SUBJECT_FIELD];
    if (product.subject && !subjectId) {
      const { name } = product.subject;
      throw new ApiError(400, 'validation_failed', `Which ${name}? ${SUBJECT_FIELD} is missing.`, { [SUBJECT_FIELD]: `Choose the ${name} this is for.` });
    }
    // A link may fill in the product's fields (a quantity): they are shown, priced, and checked when paying.
    const values = typedFields(product, request.query as Record<string, unknown>);
    const fields = product.fields.safeParse(postedFields(product, values));
    await product.authorize(app.db, user, subjectId, app.clock.now(), fields.success ? fields.data : undefined);
    return checkoutPage(request, reply, user, product, subjectId, { values });
  });

  app.post('/charges', perUser, async (request, reply) => {
    const user = requireUser(request);
    if (request.headers['content-type']?.startsWith('application/json')) {
      return send(reply, await create(user, request.body, headerKey(request.headers['idempotency-key'])));
    }
    // Without JavaScript: a saved card, then a redirect to the receipt, or the form again with what
    // was typed and each field's error beside it.
    const form = parseInput(checkoutForm, request.body);
    const { idempotency_key, save_card, _csrf, [WAY_CHOICE_FIELD]: wayChoice, ...rest } = form;
    // A way's choice stands for the card: its fields choose the way (checkout.wayChosenBy).
    const { payment_method, ...purchase } = rest;
    const source = wayChoice !== undefined ? Object.fromEntries(new URLSearchParams(wayChoice)) : { payment_method, ...(save_card ? { save_card } : {}) };
    let failure: ApiError;
    try {
      const outcome = await create(user, { ...postedFields(catalog.find(form.product), purchase), ...source }, idempotency_key);
      const answer = await checkoutAnswer(charges, outcome);
      if (answer.status === 201 || answer.status === 202) return reply.redirect(`/charges/${outcome.charge.id}?done=paid`, 303);
      failure = new ApiError(answer.status, 'payment_failed', (answer.body.error as { message: string }).message);
    } catch (error) {
      failure = shownOnForm(error, form.product);
    }
    // An unreachable provider keeps the key, so sending the form again cannot charge twice; any other
    // failure is over, and the next try is a new attempt.
    const idempotencyKey = failure.status === 503 ? idempotency_key : undefined;
    return checkoutPage(request, reply, user, catalog.get(form.product), form[SUBJECT_FIELD], { error: failure, values: rest, idempotencyKey });
  });

  app.post('/charges/:id/confirm', perUser, async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    return send(reply, await checkout.confirm(user, id));
  });

  // Stripe sends the buyer back here after a redirect: the verdict is re-read from Stripe, never
  // taken from the query string Stripe appends.
  app.get('/charges/:id/return', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    // The way that made the payment re-reads it: the PaymentIntent, or the session and its PaymentIntent.
    const outcome = await checkout.confirm(user, id);
    return reply.redirect(`/charges/${outcome.charge.id}`, 303);
  });

  // The cancel link of Stripe's page: only the payer's own charge (owned answers 404 to anyone else),
  // and only a session that can still be paid is ended.
  app.get('/charges/:id/cancel', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    await checkout.cancel(user, id);
    return reply.redirect(`/charges/${id}`, 303);
  });

  app.get('/charges/:id', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    const charge = await charges.owned(user, id);
    const product = catalog.find(charge.product);
    const ctx = { ...pageContext(request, reply), scripts: charge.status === 'requires_action' ? [stripe.jsUrl, '/assets/checkout.js'] : [] };
    const [[lines = []], parties] = await Promise.all([product ? product.receiptLines(app.db, [charge], ctx.now) : [], app.payments.receiptParties(app.db, [charge])]);
    allowStripe(reply, stripe.origins);
    const title = SETTLED_STATUSES.includes(charge.status) ? 'Receipt' : 'Payment';
    // "Thank you" only for money taken, whatever the link says.
    const done = SETTLED_STATUSES.includes(charge.status) ? doneMessage(request.query, CHARGE_DONE) : undefined;
    return sendPage(reply, ctx, title, <ChargePage ctx={ctx} charge={charge} product={product} lines={lines} publishableKey={stripe.publishableKey} done={done} party={parties.get(charge.id)} />);
  });

  app.get('/charges/:id/receipt.pdf', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    const charge = await charges.owned(user, id);
    // A receipt is proof of money taken: none for a failed, canceled or pending payment.
    if (!SETTLED_STATUSES.includes(charge.status)) throw notFound('This payment has no receipt: no money was taken.');
    const product = catalog.find(charge.product);
    const [[lines = []], parties] = await Promise.all([product ? product.receiptLines(app.db, [charge], app.clock.now()) : [], app.payments.receiptParties(app.db, [charge])]);
    const pdf = await receiptPdf(charge, product?.name ?? charge.product, lines, parties.get(charge.id));
    return reply.type('application/pdf').header('content-disposition', `attachment; filename="receipt-${charge.id}.pdf"`).send(pdf);
  });

};
