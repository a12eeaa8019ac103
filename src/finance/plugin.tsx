import { desc, inArray } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { requireAdmin } from '../accounts/request-user.js';
import { disputes, reconcileRuns, type StripeEventRow } from '../db/schema.js';
import { idParam, notFound, parseInput } from '../http/errors.js';
import { formatMoney } from '../payments/pages.js';
import { reconcile } from '../payments/reconcile.js';
import { refundCharge, refundJson } from '../payments/refund.js';
import { failedEvents, requeueEvents } from '../payments/webhooks/inbox.js';
import { CsrfField, formatDate, type PageContext, pageContext, sendPage } from '../web/render.js';

const OPEN_STATUSES = ['warning_needs_response', 'warning_under_review', 'needs_response', 'under_review'];
const eventParam = z.object({ id: z.string().regex(/^evt_[A-Za-z0-9_]+$/) });
const reconcileInput = z.object({ since: z.coerce.date().optional() }).strict();
const refundForm = z.object({
  amount: z
    .string()
    .optional()
    .transform((v) => (v ? Math.round(Number(v) * 100) : undefined))
    .pipe(z.number().int().positive().optional()),
  reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
  idempotency_key: z.string(),
  _csrf: z.string().optional(),
});

export const financePlugin: FastifyPluginAsync = async (app) => {
  const { stripe, catalog, worker } = app.payments;
  const deps = { db: app.db, clock: app.clock, catalog, stripe };
  const runReconcile = (since: Date | undefined, trigger: string) =>
    reconcile(deps, { since: since ?? new Date(app.clock.now().getTime() - 30 * 24 * 3600_000), trigger });
  const openDisputes = () =>
    app.db.select().from(disputes).where(inArray(disputes.status, OPEN_STATUSES)).orderBy(disputes.evidenceDueBy);
  const latestRun = async () => (await app.db.select().from(reconcileRuns).orderBy(desc(reconcileRuns.id)).limit(1))[0];

  // Every route here is for admins: anonymous callers get 401, members 403.
  app.addHook('preHandler', async (request) => {
    requireAdmin(request);
  });

  // ---- JSON API ----
  app.post('/api/v1/admin/charges/:id/refunds', async (request, reply) => {
    const admin = requireAdmin(request);
    const { id } = parseInput(idParam, request.params);
    const key = request.headers['idempotency-key'];
    const result = await refundCharge(deps, admin, id, request.body, typeof key === 'string' ? key : undefined);
    return reply.status(result.status).send({ refund: refundJson(result.refund), charge: await app.payments.checkout.json(result.charge) });
  });

  app.get('/api/v1/admin/webhooks/failed', async () => ({ events: (await failedEvents(app.db)).map(eventJson) }));

  app.post('/api/v1/admin/webhooks/:id/retry', async (request) => {
    const { id } = parseInput(eventParam, request.params);
    const requeued = await requeueEvents(app.db, app.clock.now(), { ids: [id] });
    if (requeued === 0) throw notFound('No such event.');
    await worker.kick();
    return { requeued };
  });

  app.get('/api/v1/admin/disputes', async () => ({ disputes: await openDisputes() }));

  app.post('/api/v1/admin/reconcile', async (request) => {
    const { since } = parseInput(reconcileInput, request.body ?? {});
    return { report: await runReconcile(since, 'api') };
  });

  app.get('/api/v1/admin/reconcile/latest', async () => ({ run: (await latestRun()) ?? null }));

  // ---- Pages ----
  app.get('/admin/webhooks', async (request, reply) => {
    const ctx = pageContext(request, reply);
    return sendPage(reply, ctx, 'Failed webhooks', <FailedEventsPage ctx={ctx} events={await failedEvents(app.db)} />);
  });

  app.post('/admin/webhooks/:id/retry', async (request, reply) => {
    const { id } = parseInput(eventParam, request.params);
    await requeueEvents(app.db, app.clock.now(), { ids: [id] });
    await worker.kick();
    return reply.redirect('/admin/webhooks', 303);
  });

  app.get('/admin/disputes', async (request, reply) => {
    const ctx = pageContext(request, reply);
    return sendPage(reply, ctx, 'Disputes', <DisputesPage ctx={ctx} rows={await openDisputes()} />);
  });

  app.get('/admin/reconcile', async (request, reply) => {
    const ctx = pageContext(request, reply);
    return sendPage(reply, ctx, 'Reconciliation', <ReconcilePage ctx={ctx} run={await latestRun()} />);
  });

  app.post('/admin/reconcile', async (_request, reply) => {
    await runReconcile(undefined, 'console');
    return reply.redirect('/admin/reconcile', 303);
  });

  app.post('/admin/charges/:id/refunds', async (request, reply) => {
    const admin = requireAdmin(request);
    const { id } = parseInput(idParam, request.params);
    const form = parseInput(refundForm, request.body);
    await refundCharge(deps, admin, id, { ...(form.amount ? { amount: form.amount } : {}), ...(form.reason ? { reason: form.reason } : {}) }, form.idempotency_key);
    return reply.redirect(`/admin/finance/charges/${id}`, 303);
  });
};

const eventJson = (e: StripeEventRow) => ({
  id: e.id,
  type: e.type,
  attempts: e.attempts,
  last_error: e.lastError,
  received_at: e.receivedAt,
  next_attempt_at: e.nextAttemptAt,
});

function FailedEventsPage({ ctx, events }: { ctx: PageContext; events: StripeEventRow[] }) {
  return (
    <>
      <h1>Failed webhook events</h1>
      {events.length === 0 && <p class="muted">No failed events.</p>}
      <table>
        <thead>
          <tr>
            <th>Event</th>
            <th>Type</th>
            <th>Attempts</th>
            <th>Error</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr>
              <td>{e.id}</td>
              <td>{e.type}</td>
              <td>{e.attempts}</td>
              <td>{e.lastError}</td>
              <td>
                <form method="post" action={`/admin/webhooks/${e.id}/retry`} class="inline">
                  <CsrfField ctx={ctx} />
                  <button type="submit">Retry</button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function DisputesPage({ rows }: { ctx: PageContext; rows: Array<typeof disputes.$inferSelect> }) {
  return (
    <>
      <h1>Open disputes</h1>
      <p class="muted">Soonest evidence deadline first. The disputed purchase is suspended until the dispute closes.</p>
      {rows.length === 0 && <p class="muted">No open disputes.</p>}
      <table>
        <thead>
          <tr>
            <th>Evidence due</th>
            <th>Charge</th>
            <th>Amount</th>
            <th>Reason</th>
            <th>Status</th>
            <th>Stripe</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr>
              <td>{d.evidenceDueBy ? formatDate(d.evidenceDueBy) : '—'}</td>
              <td>
                <a href={`/admin/finance/charges/${d.chargeId}`}>#{d.chargeId}</a>
              </td>
              <td>{formatMoney(d.amount, d.currency)}</td>
              <td>{d.reason}</td>
              <td>{d.status}</td>
              <td>{d.stripeDisputeId}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function ReconcilePage({ ctx, run }: { ctx: PageContext; run?: typeof reconcileRuns.$inferSelect }) {
  const report = run?.report as { findings?: Array<{ kind: string; detail: string; action: string; charge_id?: number }>; scanned?: Record<string, number> } | undefined;
  return (
    <>
      <h1>Reconciliation with Stripe</h1>
      <form method="post" action="/admin/reconcile">
        <CsrfField ctx={ctx} />
        <button type="submit">Run now</button>
      </form>
      {!run && <p class="muted">Never run yet.</p>}
      {run && (
        <div class="card">
          <p>
            Last run #{run.id} ({run.trigger}) started {formatDate(run.startedAt)}
            {run.finishedAt ? `, finished ${formatDate(run.finishedAt)}` : ', still running'}; covering since {formatDate(run.since)}.
          </p>
          {report?.scanned && (
            <p class="muted">
              Scanned {Object.entries(report.scanned)
                .map(([k, v]) => `${v} ${k.replace('_', ' ')}`)
                .join(', ')}
              .
            </p>
          )}
          {report?.findings?.length === 0 && <p>Our database agrees with Stripe.</p>}
          <ul>
            {report?.findings?.map((f) => (
              <li>
                <strong>{f.kind}</strong> {f.charge_id ? `charge #${f.charge_id}` : ''}: {f.detail} ({f.action})
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}
