import { readFileSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyRateLimit from '@fastify/rate-limit';
import helmet from 'helmet';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import qs from 'qs';
import { accountsPlugin } from './accounts/plugin.js';
import { CsrfTokens } from './accounts/csrf.js';
import { noStoreWhenSignedIn, refuseUndeclaredCaller, resolveUser } from './accounts/request-user.js';
import type { CurrentCredential } from './accounts/service.js';
import { articlesPlugin } from './articles/plugin.js';
import { MarkdownRenderer } from './articles/renderer.js';
import { withCreditsOnBillingPage } from './credits/page-routes.js';
import { creditsPlugin } from './credits/plugin.js';
import { payWithCredits } from './credits/way.js';
import type { Clock } from './clock.js';
import type { TrustProxy } from './config.js';
import { count, isNull } from 'drizzle-orm';
import type { Database, Db } from './db/client.js';
import { type Charge, stripeEvents, type User } from './db/schema.js';
import { apiSerializerCompiler, apiValidatorCompiler, registerApiDocument } from './http/api.js';
import { sharedRateLimitStore } from './http/rate-limit-store.js';
import { frameworkErrorSender, installErrorHandler, refuseUnstorableText, sendClientError, wantsJson } from './http/errors.js';
import { Catalog } from './payments/catalog.js';
import type { ChargeRecords } from './payments/charges.js';
import { Checkout } from './payments/checkout.js';
import { paymentsConsolePlugin } from './payments/console.js';
import { hostedPage } from './payments/ways-to-pay/hosted-page.js';
import { waysToPay } from './payments/ways-to-pay/index.js';
import { paymentsPlugin } from './payments/plugin.js';
import type { StripeGateway } from './payments/stripe.js';
import { WebhookWorker } from './payments/webhooks/inbox.js';
import { stripeWebhookDocument, webhooksPlugin } from './payments/webhooks/plugin.js';
import { financePlugin } from './finance/plugin.js';
import { allParties, ReceiptMailer, type ReceiptParties } from './payments/receipts.js';
import { organizationReceiptParties } from './organizations/receipts.js';
import { creditReceiptParties } from './credits/receipts.js';
import { Mailer, type MailSettings } from './mail/mailer.js';
import { userForToken } from './accounts/service.js';
import { RequestLogController } from './operations/logging.js';
import { organizationsPlugin } from './organizations/plugin.js';
import { payingOrganization } from './organizations/service.js';
import { latestMigrationMillis, Metrics, migrationsCurrent } from './operations/metrics.js';
import { CREDIT_PACK_PRODUCT, productRoutes, products, renewalSwitchRoutes, renewingOnBillingPage, type ScheduledTask, scheduledTasks } from './products/index.js';
import { clientScripts } from './web/assets.js';
import { renderErrorPage } from './web/pages/error.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    clock: Clock;
    /** Every route, for the authorization-matrix test and docs. */
    routeTable: Array<{ method: string; url: string }>;
    payments: { checkout: Checkout; charges: ChargeRecords; catalog: Catalog; stripe: StripeGateway; worker: WebhookWorker; mailer?: ReceiptMailer; receiptParties: ReceiptParties };
    markdown: MarkdownRenderer;
    csrf: CsrfTokens;
    metrics: Metrics;
    /** The products' periodic tasks (main.ts runs them on their intervals). */
    scheduledTasks: ScheduledTask[];
    /** Reminders and auto-renewals due at `now` (default: the app's clock), of every renewable product: the `renewals` task. */
    runRenewals(now?: Date): Promise<object | undefined>;
  }
  interface FastifyRequest {
    user: User | null;
    /** The session or API token the user authenticated with (kept when they change their password). */
    credential: CurrentCredential | null;
  }
}

export interface AppDeps {
  database: Database;
  clock: Clock;
  sessionSecret: string;
  stripe: StripeGateway;
  /** The app's origin as buyers reach it: Stripe sends them back to `${publicUrl}/charges/:id/return`. */
  publicUrl: string;
  /** `hosted` also offers Stripe's hosted checkout page (Checkout Sessions); default `elements`. */
  checkoutMode?: 'elements' | 'hosted';
  /** Webhook signing secrets; a local Stripe's is appended once its endpoint is registered. */
  webhookSecrets: string[];
  /** Receipt e-mails: .eml files in a folder, or SMTP; none when unset. */
  mail?: MailSettings;
  /** Poll the inbox for due retries this often (production); tests drain it explicitly. */
  webhookPollMs?: number;
  /** The server's logger (src/operations/logging.ts); none in tests. */
  logger?: FastifyBaseLogger;
  /** Rate limits are real in production and in their own tests; other tests lift them. */
  rateLimits?: boolean;
  /** Behind a proxy: whose X-Forwarded-* headers to believe (client address, HTTPS). Default: none. */
  trustProxy?: TrustProxy;
  /** Strict-Transport-Security max-age for HTTPS responses; 0 sends none. */
  hstsMaxAge?: number;
}


const css = readFileSync(new URL('./web/assets/app.css', import.meta.url), 'utf8');
const favicon = readFileSync(new URL('./web/assets/favicon.svg', import.meta.url), 'utf8');

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    logController: new RequestLogController(),
    bodyLimit: 256 * 1024,
    trustProxy: deps.trustProxy ?? false,
    // Fastify's own refusals (an undecodable URL, a malformed request) answer in our error shape.
    frameworkErrors: frameworkErrorSender(renderErrorPage),
    clientErrorHandler: sendClientError,
    // Query strings use bracket notation like form bodies (`tags[]=a`), parsed with depth limits.
    routerOptions: { querystringParser: (s: string) => qs.parse(s, { depth: 2, arrayLimit: 50 }) },
  });
  // On close, Node ends only the connections idle at that moment: one whose request was still being
  // answered stays open for its keep-alive (72 s), and close waits for it. Answers sent while closing
  // say `Connection: close`, so each such connection ends with its response; one whose headers were
  // already on their way is closed once idle.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (_request, _reply, done) => {
    if (closing) setImmediate(() => app.server.closeIdleConnections());
    done();
  });
  app.decorate('db', deps.database.db);
  app.decorate('clock', deps.clock);
  const markdown = new MarkdownRenderer();
  app.decorate('markdown', markdown);
  app.addHook('onClose', () => markdown.close());
  app.decorateRequest('user', null);
  app.decorateRequest('credential', null);
  const routeTable: Array<{ method: string; url: string }> = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routeTable.push({ method, url: route.url });
  });
  const metrics = new Metrics(deps.database.db);
  app.decorate('metrics', metrics);
  metrics.countResponses(app);
  const stopObservingStripe = metrics.observeStripe(deps.stripe);
  const catalog = new Catalog(products.map((p) => metrics.instrumentProduct(p)));
  const mail = deps.mail ? new Mailer(deps.mail, app.log) : undefined;
  const receiptParties = allParties(organizationReceiptParties, creditReceiptParties);
  const mailer = mail ? new ReceiptMailer(deps.database.db, catalog, mail, receiptParties) : undefined;
  const afterSettle = mailer
    ? () => mailer.soon(() => deps.clock.now(), (err) => app.log.warn({ err }, 'receipt e-mail failed'))
    : undefined;
  const afterSessionOutcome = (charge: Charge) => metrics.checkouts.inc({ product: charge.product, way: 'hosted_page', outcome: charge.status });
  const paymentsDeps = { db: deps.database.db, clock: deps.clock, catalog, stripe: deps.stripe, afterSettle, afterSessionOutcome };
  // Stripe's hosted page is offered only in its mode; its rows settle in any.
  // Credits are a way to pay beside the card's: last, so a request naming no source still means a saved card.
  const ways = [...(deps.checkoutMode === 'hosted' ? waysToPay : waysToPay.filter((way) => way !== hostedPage)), payWithCredits];
  const checkout = new Checkout({ ...paymentsDeps, publicUrl: deps.publicUrl }, ways);
  const worker = new WebhookWorker({ ...paymentsDeps, settling: (chargeId) => checkout.settling(chargeId) }, app.log, metrics.webhookObserver);
  app.decorate('payments', { checkout, charges: checkout.records, catalog, stripe: deps.stripe, worker, mailer, receiptParties });
  const tasks = scheduledTasks({ db: deps.database.db, catalog, checkout, stripe: deps.stripe, mailer: mail, log: app.log });
  app.decorate('scheduledTasks', tasks);
  const renewals = tasks.find((t) => t.name === 'renewals')!;
  app.decorate('runRenewals', (now?: Date) => renewals.run(now ?? deps.clock.now()));
  if (deps.webhookPollMs) worker.start(deps.webhookPollMs);
  app.addHook('onClose', async () => {
    stopObservingStripe();
    await worker.stop();
    // Receipts waiting to go out are sent, and a run in progress finishes, while the database is open.
    await mailer?.flush(deps.clock.now()).catch((err) => app.log.warn({ err }, 'receipt e-mail failed'));
  });
  const scripts = await clientScripts();

  // Security headers on every response. Helmet is configured once here: @fastify/helmet rebuilt it
  // (parsing the CSP directives) on every request, about 12% of the CPU of a cached /api/v1/jobs.
  // HSTS only on HTTPS responses (browsers ignore it over HTTP), so it is set below, not by helmet.
  const securityHeaders = helmet({
    strictTransportSecurity: false,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'https:', 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
  app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (err) => done(err as Error | undefined)));
  const hstsMaxAge = deps.hstsMaxAge ?? 15552000;
  if (hstsMaxAge > 0) {
    const hsts = `max-age=${hstsMaxAge}; includeSubDomains`;
    app.addHook('onRequest', (request, reply, done) => {
      if (request.protocol === 'https') reply.header('strict-transport-security', hsts);
      done();
    });
  }
  await app.register(fastifyCookie, { secret: deps.sessionSecret });
  const csrf = new CsrfTokens(deps.sessionSecret);
  app.decorate('csrf', csrf);
  await app.register(fastifyFormbody, { parser: (body) => qs.parse(body, { depth: 2, arrayLimit: 50 }) });
  // Counted in the database, so that several instances share each limit (src/http/rate-limit-store.ts).
  await app.register(fastifyRateLimit, { global: false, enableDraftSpec: true, store: sharedRateLimitStore(deps.database.db, deps.clock) });

  installErrorHandler(app, renderErrorPage);
  // Routes declare their inputs and answers as zod schemas (src/http/api.ts), which also make the API's document.
  app.setValidatorCompiler(apiValidatorCompiler);
  app.setSerializerCompiler(apiSerializerCompiler);
  await registerApiDocument(app, { webhooks: stripeWebhookDocument });
  app.addHook('onRequest', resolveUser);
  app.addHook('onSend', noStoreWhenSignedIn);
  app.addHook('preValidation', refuseUnstorableText);
  app.addHook('preValidation', refuseUndeclaredCaller);
  // Every browser form POST carries a CSRF token; the JSON API uses bearer tokens instead of cookies.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD' || wantsJson(request)) return done();
    try {
      csrf.verify(request);
    } catch (error) {
      return done(error as Error);
    }
    done();
  });

  app.get('/assets/app.css', (_request, reply) =>
    reply.type('text/css').header('cache-control', 'public, max-age=3600').send(css),
  );
  app.get('/assets/favicon.svg', (_request, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(favicon),
  );
  app.get('/assets/:name', (request, reply) => {
    const script = scripts.get(request.url.split('?')[0]!);
    if (!script) return reply.callNotFound();
    return reply.type('application/javascript; charset=utf-8').header('cache-control', 'no-cache').send(script);
  });
  app.get('/healthz', async (_request, reply) => {
    try {
      const [row] = await deps.database.db.select({ n: count() }).from(stripeEvents).where(isNull(stripeEvents.processedAt));
      return { status: 'ok', database: { driver: deps.database.driver, status: 'ok' }, webhook_inbox: { unprocessed: row?.n ?? 0 } };
    } catch {
      return reply.status(503).send({ status: 'error', database: { driver: deps.database.driver, status: 'unreachable' } });
    }
  });

  // Ready for traffic: the database answers, it is on this code's schema, and webhooks are processed.
  const latestMigration = latestMigrationMillis();
  let schemaCurrent = false;
  app.get('/readyz', async (_request, reply) => {
    const checks = { database: false, migrations: schemaCurrent, webhook_worker: worker.polling };
    try {
      schemaCurrent ||= await migrationsCurrent(deps.database.db, latestMigration);
      checks.database = true;
      checks.migrations = schemaCurrent;
    } catch {
      // unreachable: reported below
    }
    const ready = Object.values(checks).every(Boolean);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  // Prometheus scrapes with an admin's API token (Authorization: Bearer …), docs/operations.md.
  app.get('/metrics', async (request, reply) => {
    // Read with an admin's token: no cache between Prometheus and us may keep (or serve) it.
    reply.header('cache-control', 'no-store');
    const header = request.headers.authorization;
    const user = header?.startsWith('Bearer ') ? (await userForToken(deps.database.db, header.slice(7).trim(), deps.clock))?.user : undefined;
    if (!user) return reply.status(401).header('www-authenticate', 'Bearer').send({ error: { code: 'unauthenticated', message: "Send an admin's API token as a Bearer token." } });
    if (!user.admin) return reply.status(403).send({ error: { code: 'forbidden', message: 'Only admins can read metrics.' } });
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  await app.register(accountsPlugin, { rateLimits: deps.rateLimits ?? true, mailer: mail });
  await app.register(articlesPlugin, { rateLimits: deps.rateLimits ?? true });
  await app.register(paymentsPlugin, {
    rateLimits: deps.rateLimits ?? true,
    billingSection: withCreditsOnBillingPage(renewingOnBillingPage),
    organizationPayer: (user, slug) => payingOrganization(app.db, user, slug),
  });
  await app.register(organizationsPlugin, { mailer: mail });
  await app.register(creditsPlugin, { purchaseProduct: CREDIT_PACK_PRODUCT });
  await app.register(webhooksPlugin, { stripe: deps.stripe, secrets: deps.webhookSecrets, worker });
  await app.register(paymentsConsolePlugin);
  await app.register(financePlugin);
  await app.register(renewalSwitchRoutes, { rateLimits: deps.rateLimits ?? true });
  for (const routes of productRoutes()) await app.register(routes);
  return app;
}
