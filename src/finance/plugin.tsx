import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { and, count, desc, eq, inArray } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireAdmin } from '../accounts/request-user.js';
import { auditLog, charges, disputes, type PaymentMismatch, reconcileRuns, refunds, type StripeEventRow, users } from '../db/schema.js';
import { ApiError, idParam, notFound, parseInput } from '../http/errors.js';
import { listMismatches, mismatchJson } from '../payments/mismatches.js';
import { type FindingDirection, type ReconcileReport, reconcile, reconcileHeadline } from '../payments/reconcile.js';
import { refundCharge, refundJson, refundReason } from '../payments/refund.js';
import { OPEN_DISPUTE_STATUSES } from '../payments/state.js';
import { failedEvents, requeueEvents } from '../payments/webhooks/inbox.js';
import { AdminNav, CsrfField, doneMessage, Flash, type PageContext, pageContext, sendPage, ScrollX } from '../web/render.js';
import { buyersChart, revenueChart } from './charts.js';
import { csvLines, jsonLines, refundCsvLines } from './export.js';
import { chartData, ledgerFilters, ledgerPage, ledgerRows, ledgerTotals, plausibleDate, refundRows, summary, summaryQuery } from './ledger.js';
import { AuditTable, ChargeDetailPage, LedgerPage, RenewalsPage, StripeObject } from './pages.js';
import { autoRenewCount, recentRenewals } from '../products/job-listing/upkeep.js';
import { formatUtc, formatMoney } from '../format.js';

const auditQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  action: z.string().max(60).optional(),
  subject_type: z.string().max(30).optional(),
  subject_id: z.string().max(60).optional(),
});
const exportQuery = ledgerFilters.pick({ from: true, to: true, status: true, product: true, user_id: true, article_id: true });
const AUDIT_PAGE = 100;
/** Reconcile runs listed on the console page and by the API. */
const RUN_HISTORY = 20;

const eventParam = z.object({ id: z.string().regex(/^evt_[A-Za-z0-9_]+$/) });
const reconcileInput = z.object({ since: plausibleDate.optional() }).strict();
/** "12.5" → 1250, without floating point. */
const minorUnits = (decimal: string) => {
  const [whole, fraction = ''] = decimal.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
};
/** Confirmations after the console's actions (fixed texts, picked by the redirect's ?done=). */
const CHARGE_DONE = { refunded: 'Refund requested at Stripe: it shows below, and the ledger counts it once Stripe confirms.' } as const;
const WEBHOOKS_DONE = { retried: 'The event was queued again and the worker was woken; it leaves this list once handled.' } as const;
const RECONCILE_DONE = { reconciled: 'Reconciliation finished: its report is below.' } as const;

const refundForm = z.object({
  // Plain decimal notation only: Number() would also read `0x10`, `1e3` or ` 5 `.
  amount: z
    .string()
    .regex(/^(\d{1,6}(\.\d{1,2})?)?$/, 'An amount like 12.50.')
    .optional()
    .transform((v) => (v ? minorUnits(v) : undefined))
    .pipe(z.number().int().positive('More than zero.').optional()),
  reason: refundReason.optional(),
  idempotency_key: z.string(),
  _csrf: z.string().optional(),
});

export const financePlugin: FastifyPluginAsync = async (app) => {
  const { stripe, catalog, worker } = app.payments;
  const stripeUrl = (id: string) => stripe.objectUrl(id);
  const deps = { db: app.db, clock: app.clock, catalog, stripe };
  const runReconcile = (since: Date | undefined, trigger: string) =>
    reconcile(deps, { since: since ?? new Date(app.clock.now().getTime() - 30 * 24 * 3600_000), trigger });
  const openDisputes = () =>
    app.db.select().from(disputes).where(inArray(disputes.status, [...OPEN_DISPUTE_STATUSES])).orderBy(disputes.evidenceDueBy);
  const latestRun = async () => (await recentRuns(1))[0];
  const recentRuns = (limit: number) => app.db.select().from(reconcileRuns).orderBy(desc(reconcileRuns.id)).limit(limit);

  // Every route here is for admins: anonymous callers get 401, members 403.
  app.addHook('preHandler', async (request) => {
    requireAdmin(request);
  });

  const chargeDetail = async (id: number) => {
    const [charge] = await app.db.select().from(charges).where(eq(charges.id, id));
    if (!charge) throw notFound('No such charge.');
    const [buyer] = await app.db.select({ id: users.id, username: users.username, email: users.email }).from(users).where(eq(users.id, charge.userId));
    const [refundRows, disputeRows, audit] = await Promise.all([
      app.db.select().from(refunds).where(eq(refunds.chargeId, id)).orderBy(refunds.id),
      app.db.select().from(disputes).where(eq(disputes.chargeId, id)).orderBy(disputes.id),
      app.db.select().from(auditLog).where(and(eq(auditLog.subjectType, 'charge'), eq(auditLog.subjectId, String(id)))).orderBy(auditLog.id),
    ]);
    return { charge, buyer: buyer!, refunds: refundRows, disputes: disputeRows, audit };
  };
  const auditPage = async (q: z.infer<typeof auditQuery>) => {
    const where = and(
      q.action ? eq(auditLog.action, q.action) : undefined,
      q.subject_type ? eq(auditLog.subjectType, q.subject_type) : undefined,
      q.subject_id ? eq(auditLog.subjectId, q.subject_id) : undefined,
    );
    const [entries, [total]] = await Promise.all([
      app.db.select().from(auditLog).where(where).orderBy(desc(auditLog.id)).limit(AUDIT_PAGE).offset((q.page - 1) * AUDIT_PAGE),
      app.db.select({ n: count() }).from(auditLog).where(where),
    ]);
    return { entries, total: total?.n ?? 0 };
  };
  /** Streams an export: rows are read a batch at a time and written as they come. */
  const stream = (reply: FastifyReply, type: string, filename: string, lines: AsyncIterable<string>) =>
    reply
      .type(type)
      .header('content-disposition', `attachment; filename="${filename}"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(lines));
  const exportName = (f: { from?: string; to?: string }, base: string, ext: string) => `${base}${f.from ? `-from-${f.from.slice(0, 10)}` : ''}${f.to ? `-to-${f.to.slice(0, 10)}` : ''}.${ext}`;

  // ---- JSON API ----
  app.get('/api/v1/admin/charges', async (request) => {
    const f = parseInput(ledgerFilters, request.query);
    const [{ rows, total }, totals] = await Promise.all([ledgerPage(app.db, f), ledgerTotals(app.db, f)]);
    return { charges: rows, page: f.page, total, totals };
  });

  app.get('/api/v1/admin/charges/:id', async (request) => {
    const { id } = parseInput(idParam, request.params);
    const d = await chargeDetail(id);
    return { charge: await app.payments.charges.json(d.charge), buyer: d.buyer, refunds: d.refunds.map(refundJson), disputes: d.disputes, audit: d.audit };
  });

  app.get('/api/v1/admin/finance/summary', async (request) => ({ summary: await summary(app.db, parseInput(summaryQuery, request.query)) }));

  app.get('/api/v1/admin/audit', async (request) => {
    const q = parseInput(auditQuery, request.query);
    const { entries, total } = await auditPage(q);
    return { entries, page: q.page, total };
  });

  for (const prefix of ['/admin/finance', '/api/v1/admin/finance']) {
    app.get(`${prefix}/charges.csv`, async (request, reply) => {
      const f = parseInput(exportQuery, request.query);
      return stream(reply, 'text/csv; charset=utf-8', exportName(f, 'charges', 'csv'), csvLines(ledgerRows(app.db, f)));
    });
    app.get(`${prefix}/charges.jsonl`, async (request, reply) => {
      const f = parseInput(exportQuery, request.query);
      return stream(reply, 'application/x-ndjson; charset=utf-8', exportName(f, 'charges', 'jsonl'), jsonLines(ledgerRows(app.db, f)));
    });
    app.get(`${prefix}/refunds.csv`, async (request, reply) => {
      const f = parseInput(exportQuery.pick({ from: true, to: true }), request.query);
      return stream(reply, 'text/csv; charset=utf-8', exportName(f, 'refunds', 'csv'), refundCsvLines(refundRows(app.db, f)));
    });
  }

  app.post('/api/v1/admin/charges/:id/refunds', async (request, reply) => {
    const admin = requireAdmin(request);
    const { id } = parseInput(idParam, request.params);
    const key = request.headers['idempotency-key'];
    const result = await refundCharge(deps, admin, id, request.body, typeof key === 'string' ? key : undefined);
    return reply.status(result.status).send({ refund: refundJson(result.refund), charge: await app.payments.charges.json(result.charge) });
  });

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

  app.get('/api/v1/admin/renewals', async () => ({
    renewals: (await recentRenewals(app.db)).map(({ renewal: r, title, username }) => ({
      article_id: r.articleId,
      title,
      poster: username,
      paid_until: r.paidUntil,
      outcome: r.outcome,
      charge_id: r.chargeId,
      failure_message: r.failureMessage,
      notified_at: r.notifiedAt,
      created_at: r.createdAt,
      finished_at: r.finishedAt,
    })),
    auto_renew_on: await autoRenewCount(app.db),
  }));

  // ---- Pages ----
  app.get('/admin/finance', async (request, reply) => {
    const f = parseInput(ledgerFilters, request.query);
    const ctx = pageContext(request, reply);
    const [{ rows, total }, totals, data] = await Promise.all([
      ledgerPage(app.db, f),
      ledgerTotals(app.db, f),
      chartData(app.db, { from: f.from, to: f.to, group: 'day' }),
    ]);
    const currencies = [...new Set(data.revenue.map((r) => r.currency))];
    const charts = await Promise.all([...currencies.map((c) => revenueChart(data, c)), buyersChart(data)]);
    allowInlineStyles(reply);
    return sendPage(reply, ctx, 'Finance', <LedgerPage ctx={ctx} filters={f} rows={rows} total={total} totals={totals} charts={charts} stripeUrl={stripeUrl} />);
  });

  const chargePage = async (request: FastifyRequest, reply: FastifyReply, id: number, refund: { error?: ApiError; values?: unknown } = {}) => {
    const ctx = { ...pageContext(request, reply), scripts: ['/assets/confirm.js'] };
    const d = await chargeDetail(id);
    const page = <ChargeDetailPage ctx={ctx} {...d} refundKey={randomUUID()} stripeUrl={stripeUrl} done={doneMessage(request.query, CHARGE_DONE)} refundError={refund.error} refundValues={refund.values} />;
    return sendPage(reply, ctx, `Charge #${id}`, page, refund.error?.status ?? 200);
  };

  app.get('/admin/finance/charges/:id', async (request, reply) => chargePage(request, reply, parseInput(idParam, request.params).id));

  app.get('/admin/audit', async (request, reply) => {
    const q = parseInput(auditQuery, request.query);
    const ctx = pageContext(request, reply);
    const { entries, total } = await auditPage(q);
    return sendPage(
      reply,
      ctx,
      'Audit log',
      <>
        <h1>Audit log</h1>
        <AdminNav />
        <p class="muted">
          Every money- or permission-touching action, append-only. {total} entries; page {q.page}.
        </p>
        <AuditTable entries={entries} />
        <nav class="pager">
          {q.page > 1 && <a href={`/admin/audit?page=${q.page - 1}`}>← Newer</a>}
          {q.page * AUDIT_PAGE < total && <a href={`/admin/audit?page=${q.page + 1}`}>Older →</a>}
        </nav>
      </>,
    );
  });

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

  app.get('/admin/renewals', async (request, reply) => {
    const ctx = pageContext(request, reply);
    const [rows, on] = await Promise.all([recentRenewals(app.db), autoRenewCount(app.db)]);
    return sendPage(reply, ctx, 'Listing renewals', <RenewalsPage rows={rows} autoRenewOn={on} />);
  });

  app.get('/admin/reconcile', async (request, reply) => {
    const ctx = pageContext(request, reply);
    return sendPage(reply, ctx, 'Reconciliation', <ReconcilePage ctx={ctx} runs={await recentRuns(RUN_HISTORY)} done={doneMessage(request.query, RECONCILE_DONE)} />);
  });

  app.post('/admin/reconcile', async (_request, reply) => {
    await runReconcile(undefined, 'console');
    return reply.redirect('/admin/reconcile?done=reconciled', 303);
  });

  app.post('/admin/charges/:id/refunds', async (request, reply) => {
    const admin = requireAdmin(request);
    const { id } = parseInput(idParam, request.params);
    try {
      const form = parseInput(refundForm, request.body);
      await refundCharge(deps, admin, id, { ...(form.amount ? { amount: form.amount } : {}), ...(form.reason ? { reason: form.reason } : {}) }, form.idempotency_key);
    } catch (error) {
      // The charge's page again, with what was typed and the error beside the field.
      if (!(error instanceof ApiError) || error.status === 404) throw error;
      return chargePage(request, reply, id, { error, values: request.body });
    }
    return reply.redirect(`/admin/finance/charges/${id}?done=refunded`, 303);
  });
};

/** Vega's SVG carries style attributes; styles (never scripts) may be inline on the ledger page. */
function allowInlineStyles(reply: FastifyReply) {
  reply.header(
    'content-security-policy',
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
  );
}

const eventJson = (e: StripeEventRow) => ({
  id: e.id,
  type: e.type,
  attempts: e.attempts,
  last_error: e.lastError,
  received_at: e.receivedAt,
  next_attempt_at: e.nextAttemptAt,
});

function FailedEventsPage({ ctx, events, done }: { ctx: PageContext; events: StripeEventRow[]; done?: string }) {
  return (
    <>
      <h1>Failed webhook events</h1>
      <AdminNav />
      <Flash message={done} />
      {events.length === 0 && <p class="muted">No failed events.</p>}
      <ScrollX label="Failed webhook events">
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
      </ScrollX>
    </>
  );
}

function DisputesPage({ rows, stripeUrl }: { ctx: PageContext; rows: Array<typeof disputes.$inferSelect>; stripeUrl: (id: string) => string }) {
  return (
    <>
      <h1>Open disputes</h1>
      <AdminNav />
      <p class="muted">Soonest evidence deadline first. The disputed purchase is suspended until the dispute closes.</p>
      {rows.length === 0 && <p class="muted">No open disputes.</p>}
      <ScrollX label="Disputes">
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
                <td>{d.evidenceDueBy ? formatUtc(d.evidenceDueBy) : '—'}</td>
                <td>
                  <a href={`/admin/finance/charges/${d.chargeId}`}>#{d.chargeId}</a>
                </td>
                <td>{formatMoney(d.amount, d.currency)}</td>
                <td>{d.reason}</td>
                <td>{d.status}</td>
                <td>
                  <StripeObject id={d.stripeDisputeId} url={stripeUrl} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollX>
    </>
  );
}

function MismatchesPage({ rows, stripeUrl }: { rows: PaymentMismatch[]; stripeUrl: (id: string) => string }) {
  return (
    <>
      <h1>Payment mismatches</h1>
      <AdminNav />
      <p class="muted">
        PaymentIntents that name one of our charges or products but are not the one we created, or not for the price we sold. Nothing was
        fulfilled for them; refund them at Stripe if the money should go back.
      </p>
      {rows.length === 0 && <p class="muted">No mismatches.</p>}
      <ScrollX label="Payment mismatches">
        <table>
          <thead>
            <tr>
              <th>Detected</th>
              <th>PaymentIntent</th>
              <th>Status</th>
              <th>Charge</th>
              <th>Reason</th>
              <th>Paid</th>
              <th>Expected</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr>
                <td>{formatUtc(m.detectedAt)}</td>
                <td>
                  <StripeObject id={m.stripePaymentIntent} url={stripeUrl} />
                </td>
                <td>{m.intentStatus}</td>
                <td>{m.chargeId ? <a href={`/admin/finance/charges/${m.chargeId}`}>#{m.chargeId}</a> : '—'}</td>
                <td>{m.reason.replaceAll('_', ' ')}</td>
                <td>{formatMoney(m.amount, m.currency)}</td>
                <td>{m.expectedAmount !== null && m.expectedCurrency ? formatMoney(m.expectedAmount, m.expectedCurrency) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollX>
    </>
  );
}

type RunReport = Partial<ReconcileReport>;

function ReconcilePage({ ctx, runs, done }: { ctx: PageContext; runs: Array<typeof reconcileRuns.$inferSelect>; done?: string }) {
  const run = runs[0];
  const report = run?.report as RunReport | undefined;
  const directions: Array<{ direction: FindingDirection; title: string; scanned: string }> = [
    {
      direction: 'stripe_to_ours',
      title: 'Stripe → our database',
      scanned: `${report?.scanned?.payment_intents ?? 0} payment intents, ${report?.scanned?.refunds ?? 0} refunds, ${report?.scanned?.disputes ?? 0} disputes`,
    },
    {
      direction: 'ours_to_stripe',
      title: 'Our database → Stripe',
      scanned: `${report?.scanned?.our_paid_rows ?? 0} paid charges, ${report?.scanned?.pending_rows ?? 0} old pending charges`,
    },
  ];
  return (
    <>
      <h1>Reconciliation with Stripe</h1>
      <AdminNav />
      <Flash message={done} />
      <form method="post" action="/admin/reconcile">
        <CsrfField ctx={ctx} />
        <button type="submit">Run now</button>
      </form>
      {!run && <p class="muted">Never run yet.</p>}
      {run && (
        <div class="card">
          <p>
            Last run #{run.id} ({run.trigger}) started {formatUtc(run.startedAt)}
            {run.finishedAt ? `, finished ${formatUtc(run.finishedAt)}` : ', still running'}; covering since {formatUtc(run.since)}.
          </p>
          {report?.findings && (
            <p>
              <strong>{reconcileHeadline({ findings: report.findings, reported: report.reported ?? 0, wrong_account_suspected: report.wrong_account_suspected ?? false, scanned: { ...emptyScan, ...report.scanned } })}</strong>
            </p>
          )}
          {directions.map((d) => {
            const found = report?.findings?.filter((f) => (f.direction ?? 'stripe_to_ours') === d.direction) ?? [];
            return (
              <section>
                <h2>{d.title}</h2>
                <p class="muted">Scanned {d.scanned}.</p>
                {found.length === 0 ? (
                  <p>No differences.</p>
                ) : (
                  <ul>
                    {found.map((f) => (
                      <li>
                        <strong>{f.kind}</strong> {f.charge_id ? `charge #${f.charge_id}` : ''}: {f.detail} ({f.action})
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            );
          })}
        </div>
      )}
      {runs.length > 0 && (
        <>
          <h2>Runs</h2>
          <ScrollX label="Reconciliation runs">
            <table>
              <thead>
                <tr>
                  <th>#</th>
                  <th>trigger</th>
                  <th>started</th>
                  <th>since</th>
                  <th>scanned at Stripe / ours</th>
                  <th>repaired</th>
                  <th>reported</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => {
                  const rr = r.report as RunReport | null;
                  return (
                    <tr class="run">
                      <td>{r.id}</td>
                      <td>{r.trigger}</td>
                      <td>{formatUtc(r.startedAt)}</td>
                      <td>{formatUtc(r.since)}</td>
                      <td>{rr?.scanned ? `${rr.scanned.payment_intents} / ${rr.scanned.our_paid_rows ?? '–'}` : 'unfinished'}</td>
                      <td>{rr?.repaired ?? '–'}</td>
                      <td>
                        {rr?.reported ?? '–'}
                        {rr?.wrong_account_suspected ? ' (keys of another account?)' : ''}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </ScrollX>
        </>
      )}
    </>
  );
}

const emptyScan: ReconcileReport['scanned'] = { payment_intents: 0, refunds: 0, disputes: 0, pending_rows: 0, our_paid_rows: 0 };
