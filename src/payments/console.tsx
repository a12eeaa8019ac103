import type { FastifyPluginAsync } from 'fastify';
import { desc, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { requireAdmin } from '../accounts/request-user.js';
import { disputes, reconcileRuns } from '../db/schema.js';
import { plausibleDate } from '../http/dates.js';
import { notFound, parseInput } from '../http/errors.js';
import { doneMessage, pageContext, sendPage } from '../web/render.js';
import { DisputesPage, eventJson, FailedEventsPage, MismatchesPage, ReconcilePage } from './console-pages.js';
import { listMismatches, mismatchJson } from './mismatches.js';
import { reconcile } from './reconcile.js';
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

  // Every route here is for admins: anonymous callers get 401, members 403.
  app.addHook('preHandler', async (request) => {
    requireAdmin(request);
  });

  // ---- JSON API ----
  app.get('/api/v1/admin/webhooks/failed', async () => ({ events: (await failedEvents(app.db)).map(eventJson) }));

  app.post('/api/v1/admin/webhooks/:id/retry', async (request) => {
    const { id } = parseInput(eventParam, request.params);
    const requeued = (await requeueEvents(app.db, app.clock.now(), { ids: [id] })).length;
    if (requeued === 0) throw notFound('No such event.');
    await worker.kick();
    return { requeued };
  });

  app.get('/api/v1/admin/disputes', async () => ({ disputes: await openDisputes() }));

  app.get('/api/v1/admin/payment-mismatches', async () => ({ mismatches: (await listMismatches(app.db)).map(mismatchJson) }));

  app.post('/api/v1/admin/reconcile', async (request) => {
    const { since } = parseInput(reconcileInput, request.body ?? {});
    return { report: await runReconcile(since, 'api') };
  });

  app.get('/api/v1/admin/reconcile/latest', async () => ({ run: (await latestRun()) ?? null }));

  app.get('/api/v1/admin/reconcile/runs', async () => ({ runs: await recentRuns(RUN_HISTORY) }));

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
