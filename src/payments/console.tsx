import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { desc, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { requireAdmin } from '../accounts/request-user.js';
import { disputes, reconcileRuns } from '../db/schema.js';
import { plausibleDate } from '../http/dates.js';
import { BEARER, errorResponses } from '../http/api.js';
import { notFound, parseInput } from '../http/errors.js';
import { doneMessage, pageContext, sendPage } from '../web/render.js';
import { DisputesPage, disputeSchema, eventJson, FailedEventsPage, failedEventSchema, MismatchesPage, ReconcilePage, reconcileRunSchema } from './console-pages.js';
import { listMismatches, mismatchJson, mismatchSchema } from './mismatches.js';
import { reconcile, reconcileReportSchema } from './reconcile.js';
import { OPEN_DISPUTE_STATUSES } from './state.js';
import { failedEvents, requeueEvents } from './webhooks/inbox.js';

/** Reconcile runs listed on the console page and by the API. */
const RUN_HISTORY = 20;
const eventParam = z.object({ id: z.string().regex(/^evt_[A-Za-z0-9_]+$/) });
const reconcileInput = z.object({ since: plausibleDate.optional() }).strict();
/** Confirmations after the console's actions (fixed texts, picked by the redirect's ?done=). */
const WEBHOOKS_DONE = { retried: 'The event was queued again and the worker was woken; it leaves this list once handled.' } as const;
const RECONCILE_DONE = { reconciled: 'Reconciliation finished: its report is below.' } as const;

/**
 * The admins' console for what the payments core runs: failed webhook events (retry), open disputes,
 * payment mismatches, and reconciliation with Stripe (run it, read its findings and history).
 */
export const paymentsConsolePlugin: FastifyPluginAsync = async (app) => {
  const { stripe, catalog, worker } = app.payments;
  const stripeUrl = (id: string) => stripe.objectUrl(id);
  const deps = { db: app.db, clock: app.clock, catalog, stripe };
  const runReconcile = (since: Date | undefined, trigger: string) =>
    reconcile(deps, { since: since ?? new Date(app.clock.now().getTime() - 30 * 24 * 3600_000), trigger });
  const openDisputes = () => app.db.select().from(disputes).where(inArray(disputes.status, [...OPEN_DISPUTE_STATUSES])).orderBy(disputes.evidenceDueBy);
  const recentRuns = (limit: number) => app.db.select().from(reconcileRuns).orderBy(desc(reconcileRuns.id)).limit(limit);
  const latestRun = async () => (await recentRuns(1))[0];

  // Every route here is for admins: anonymous callers get 401, members 403, before their input is read.
  app.addHook('preValidation', async (request) => {
    requireAdmin(request);
  });

  // ---- JSON API ----
  const api = app.withTypeProvider<ZodTypeProvider>();
  const adminOnly = { tags: ['payments console'], security: BEARER };

  api.get(
    '/api/v1/admin/webhooks/failed',
    {
      schema: {
        ...adminOnly,
        summary: 'Stripe events whose processing failed',
        response: { 200: z.object({ events: z.array(failedEventSchema) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({ events: (await failedEvents(app.db)).map(eventJson) }),
  );

  api.post(
    '/api/v1/admin/webhooks/:id/retry',
    {
      schema: {
        ...adminOnly,
        summary: 'Process a failed event again',
        params: eventParam,
        response: { 200: z.object({ requeued: z.number().int() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const requeued = (await requeueEvents(app.db, app.clock.now(), { ids: [request.params.id] })).length;
      if (requeued === 0) throw notFound('No such event.');
      await worker.kick();
      return { requeued };
    },
  );

  api.get(
    '/api/v1/admin/disputes',
    { schema: { ...adminOnly, summary: 'Open disputes, soonest evidence deadline first', response: { 200: z.object({ disputes: z.array(disputeSchema) }), ...errorResponses(401, 403) } } },
    async () => ({ disputes: await openDisputes() }),
  );

  api.get(
    '/api/v1/admin/payment-mismatches',
    {
      schema: {
        ...adminOnly,
        summary: 'PaymentIntents that name our charges but do not match them (never fulfilled)',
        response: { 200: z.object({ mismatches: z.array(mismatchSchema) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({ mismatches: (await listMismatches(app.db)).map(mismatchJson) }),
  );

  api.post(
    '/api/v1/admin/reconcile',
    {
      schema: {
        ...adminOnly,
        summary: 'Compare our charges with Stripe and repair what can be repaired',
        description: 'Over the last 30 days, or from `since`.',
        body: reconcileInput,
        response: { 200: z.object({ report: reconcileReportSchema }), ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (request) => ({ report: await runReconcile(request.body.since, 'api') }),
  );

  api.get(
    '/api/v1/admin/reconcile/latest',
    { schema: { ...adminOnly, summary: 'The latest reconciliation run', response: { 200: z.object({ run: reconcileRunSchema.nullable() }), ...errorResponses(401, 403) } } },
    async () => ({ run: (await latestRun()) ?? null }),
  );

  api.get(
    '/api/v1/admin/reconcile/runs',
    {
      schema: {
        ...adminOnly,
        summary: `The last ${RUN_HISTORY} reconciliation runs`,
        response: { 200: z.object({ runs: z.array(reconcileRunSchema) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({ runs: await recentRuns(RUN_HISTORY) }),
  );

  // ---- Pages ----
  app.get('/admin/webhooks', async (request, reply) => {
    const ctx = pageContext(request, reply);
    return sendPage(reply, ctx, 'Failed webhooks', <FailedEventsPage ctx={ctx} events={await failedEvents(app.db)} done={doneMessage(request.query, WEBHOOKS_DONE)} />);
  });

  app.post('/admin/webhooks/:id/retry', async (request, reply) => {
    const { id } = parseInput(eventParam, request.params);
    await requeueEvents(app.db, app.clock.now(), { ids: [id] });
    await worker.kick();
    return reply.redirect('/admin/webhooks?done=retried', 303);
  });

  app.get('/admin/disputes', async (request, reply) => {
    const ctx = pageContext(request, reply);
    return sendPage(reply, ctx, 'Disputes', <DisputesPage ctx={ctx} rows={await openDisputes()} stripeUrl={stripeUrl} />);
  });

  app.get('/admin/payment-mismatches', async (request, reply) => {
    const ctx = pageContext(request, reply);
    return sendPage(reply, ctx, 'Payment mismatches', <MismatchesPage rows={await listMismatches(app.db)} stripeUrl={stripeUrl} />);
  });

  app.get('/admin/reconcile', async (request, reply) => {
    const ctx = pageContext(request, reply);
    return sendPage(reply, ctx, 'Reconciliation', <ReconcilePage ctx={ctx} runs={await recentRuns(RUN_HISTORY)} done={doneMessage(request.query, RECONCILE_DONE)} />);
  });

  app.post('/admin/reconcile', async (_request, reply) => {
    await runReconcile(undefined, 'console');
    return reply.redirect('/admin/reconcile?done=reconciled', 303);
  });
};
