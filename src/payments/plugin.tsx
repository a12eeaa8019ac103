import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { requireUser } from '../accounts/request-user.js';
import { perMemberLimit } from '../http/rate-limits.js';
import { ApiError, idParam, notFound, parseInput } from '../http/errors.js';
import { pageContext, sendPage } from '../web/render.js';
import { listCards, removeCard } from './cards.js';
import { productJson } from './catalog.js';
import type { CheckoutResult } from './checkout.js';
import { receiptPdf } from './receipts.js';
import { BillingPage, CatalogPage, ChargePage, CheckoutPage } from './pages.js';
import { SETTLED_STATUSES } from './state.js';

const checkoutQuery = z.object({
  product: z.string().min(1).max(60).optional(),
  article_id: z.coerce.number().int().positive().max(2147483647).optional(),
});
const pmParam = z.object({ id: z.string().max(255) });
/** The no-JavaScript form (a saved card): the same fields as the JSON body, as strings. */
const checkoutForm = z
  .object({
    product: z.string(),
    article_id: z.coerce.number().int().positive().optional(),
    payment_method: z.string(),
    save_card: z.preprocess((v) => v === 'on', z.boolean()),
    idempotency_key: z.string(),
    _csrf: z.string().optional(),
  })
  .catchall(z.string());

/** Checkout pages carry a CSP that allows Stripe.js (or the local stand-in) and nothing else external. */
export function allowStripe(reply: FastifyReply, origins: string[]): void {
  const o = origins.join(' ');
  reply.header(
    'content-security-policy',
    `default-src 'self'; script-src 'self' ${o}; frame-src ${o}; connect-src 'self' ${o}; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'`,
  );
}

export const paymentsPlugin: FastifyPluginAsync<{ rateLimits: boolean }> = async (app, options) => {
  const { checkout, catalog, stripe } = app.payments;
  const perUser = perMemberLimit(options.rateLimits, 30);
  const send = (reply: FastifyReply, result: CheckoutResult) => reply.status(result.status).send(result.body);
  /** A checkout, counted by product and outcome (a counter increment: nothing on the database). */
  const create = async (...args: Parameters<typeof checkout.create>) => {
    try {
      const result = await checkout.create(...args);
      app.metrics.checkouts.inc({ product: result.charge.product, outcome: result.status === 503 ? 'provider_unavailable' : result.charge.status });
      return result;
    } catch (error) {
      const product = (args[1] as { product?: unknown } | undefined)?.product;
      app.metrics.checkouts.inc({ product: typeof product === 'string' && catalog.find(product) ? product : 'unknown', outcome: 'rejected' });
      throw error;
    }
  };
  const headerKey = (value: unknown) => (typeof value === 'string' ? value : undefined);

  // ---- JSON API ----
  app.get('/api/v1/products', async () => ({ products: catalog.list().map(productJson) }));

  app.post('/api/v1/charges', perUser, async (request, reply) => {
    const user = requireUser(request);
    return send(reply, await create(user, request.body, headerKey(request.headers['idempotency-key'])));
  });

  app.post('/api/v1/charges/:id/confirm', perUser, async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    return send(reply, await checkout.confirm(user, id));
  });

  app.get('/api/v1/charges', async (request) => {
    const user = requireUser(request);
    const rows = await checkout.listFor(user);
    return { charges: await Promise.all(rows.map((c) => checkout.json(c))) };
  });

  app.get('/api/v1/charges/:id', async (request) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    return { charge: await checkout.json(await checkout.owned(user, id)) };
  });

  app.get('/api/v1/payment_methods', perUser, async (request) => ({
    payment_methods: await listCards(stripe, requireUser(request)),
  }));

  app.delete('/api/v1/payment_methods/:id', perUser, async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(pmParam, request.params);
    await removeCard(app.db, app.clock.now(), stripe, user, id);
    return reply.status(204).send();
  });

  // ---- Pages ----
  app.get('/charges/new', async (request, reply) => {
    const user = requireUser(request);
    const query = parseInput(checkoutQuery, request.query);
    if (query.product === undefined) {
      return sendPage(reply, pageContext(request, reply), 'Buy', <CatalogPage products={catalog.list()} />);
    }
    const product = catalog.get(query.product);
    if (product.needsArticle && !query.article_id) throw new ApiError(400, 'validation_failed', 'Which article? article_id is missing.', { article_id: 'Required.' });
    await product.authorize(app.db, user, query.article_id);
    const ctx = { ...pageContext(request, reply), scripts: [stripe.jsUrl, '/assets/checkout.js'] };
    const article = query.article_id ? await product.subjectTitle?.(app.db, query.article_id) : undefined;
    allowStripe(reply, stripe.origins);
    return sendPage(
      reply,
      ctx,
      'Checkout',
      <CheckoutPage
        ctx={ctx}
        product={product}
        articleId={query.article_id}
        articleTitle={article}
        cards={await listCards(stripe, user)}
        idempotencyKey={randomUUID()}
        publishableKey={stripe.publishableKey}
      />,
    );
  });

  app.post('/charges', perUser, async (request, reply) => {
    const user = requireUser(request);
    if (request.headers['content-type']?.startsWith('application/json')) {
      return send(reply, await create(user, request.body, headerKey(request.headers['idempotency-key'])));
    }
    // Without JavaScript: a saved card, then a redirect to the receipt (or the error on the form).
    const form = parseInput(checkoutForm, request.body);
    const { idempotency_key, save_card, _csrf, ...rest } = form;
    const result = await create(user, { ...rest, ...(save_card ? { save_card } : {}) }, idempotency_key);
    if (result.status === 201 || result.status === 202) return reply.redirect(`/charges/${result.charge.id}`, 303);
    throw new ApiError(result.status, 'payment_failed', (result.body.error as { message: string }).message);
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
    const result = await checkout.confirm(user, id);
    return reply.redirect(`/charges/${result.charge.id}`, 303);
  });

  app.get('/charges/:id', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    const charge = await checkout.owned(user, id);
    const product = catalog.find(charge.product);
    const ctx = { ...pageContext(request, reply), scripts: charge.status === 'requires_action' ? [stripe.jsUrl, '/assets/checkout.js'] : [] };
    const [lines = []] = product ? await product.receiptLines(app.db, [charge], ctx.now) : [];
    allowStripe(reply, stripe.origins);
    const title = SETTLED_STATUSES.includes(charge.status) ? 'Receipt' : 'Payment';
    return sendPage(reply, ctx, title, <ChargePage ctx={ctx} charge={charge} product={product} lines={lines} publishableKey={stripe.publishableKey} />);
  });

  app.get('/charges/:id/receipt.pdf', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    const charge = await checkout.owned(user, id);
    // A receipt is proof of money taken: none for a failed, canceled or pending payment.
    if (!SETTLED_STATUSES.includes(charge.status)) throw notFound('This payment has no receipt: no money was taken.');
    const product = catalog.find(charge.product);
    const [lines = []] = product ? await product.receiptLines(app.db, [charge], app.clock.now()) : [];
    const pdf = await receiptPdf(charge, product?.name ?? charge.product, lines);
    return reply.type('application/pdf').header('content-disposition', `attachment; filename="receipt-${charge.id}.pdf"`).send(pdf);
  });

  app.get('/settings/billing', async (request, reply) => {
    const user = requireUser(request);
    const ctx = pageContext(request, reply);
    const [rows, cards] = await Promise.all([checkout.listFor(user), listCards(stripe, user)]);
    const productNames = new Map(catalog.list().map((p) => [p.id, p.name]));
    return sendPage(reply, ctx, 'Billing', <BillingPage ctx={ctx} charges={rows} cards={cards} productNames={productNames} />);
  });

  app.post('/settings/cards/:id/remove', perUser, async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(pmParam, request.params);
    await removeCard(app.db, app.clock.now(), stripe, user, id);
    return reply.redirect('/settings/billing', 303);
  });
};
