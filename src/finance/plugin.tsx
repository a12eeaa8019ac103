/**
 * finance: the money as an accountant reads it — the ledger with totals and charts, a charge's page
 * with its refunds, the audit log's page, exports (CSV, JSON lines), and the products' own views
 * (renewals). Admins only.
 * Routes here; views in pages.tsx; queries in ledger.ts.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAdmin } from '../accounts/request-user.js';
import { BEARER, errorResponses } from '../http/api.js';
import { ApiError, idParam, parseInput } from '../http/errors.js';
import { refundAnswer, sendAnswer } from '../payments/http-answers.js';
import { chargeSchema } from '../payments/charges.js';
import { disputeSchema } from '../payments/console-pages.js';
import { idempotencyHeaders } from '../payments/checkout-request.js';
import { refundCharge, refundInput, refundJson, refundReason, refundSchema } from '../payments/refund.js';
import { keepsIdempotencyKey } from '../payments/stripe.js';
import { AdminNav, doneMessage, linkAdminViews, pageContext, sendPage } from '../web/render.js';
import { buyersChart, revenueChart } from './charts.js';
import { creditLedgerCsvLines, csvLines, jsonLines, refundCsvLines } from './export.js';
import { creditsQuery, creditsReport, creditsReportSchema, ledgerCsvRows } from './credits.js';
import { CreditsPage } from './credits-page.js';
import {
  auditEntrySchema,
  auditPage,
  chargeDetail,
  chartData,
  LEDGER_PAGE_SIZE,
  ledgerFilters,
  ledgerPage,
  ledgerRowSchema,
  ledgerRows,
  ledgerTotals,
  refundRows,
  summary,
  summaryQuery,
  summaryRowSchema,
  totalsSchema,
} from './ledger.js';
import { ChargeDetailPage } from './charge-page.js';
import { AuditPage, LedgerPage } from './pages.js';
import { adminViews } from '../products/index.js';

const auditQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  action: z.string().max(60).optional(),
  subject_type: z.string().max(30).optional(),
  subject_id: z.string().max(60).optional(),
});
const exportQuery = ledgerFilters.pick({ from: true, to: true, status: true, product: true, user_id: true, article_id: true });
const refundExportQuery = exportQuery.pick({ from: true, to: true });
const refundReply = z.object({ refund: refundSchema, charge: chargeSchema });
const AUDIT_PAGE = 100;

/** "12.5" → 1250, without floating point. */
const minorUnits = (decimal: string) => {
  const [whole, fraction = ''] = decimal.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
};
/** Confirmations after the console's actions (fixed texts, picked by the redirect's ?done=). */
const CHARGE_DONE = { refunded: 'Refund requested at Stripe: it shows below, and the ledger counts it once Stripe confirms.' } as const;

const refundForm = z.object({
  // Plain decimal notation only: Number() would also read `0x10`, `1e3` or ` 5 `.
  amount: z
    .string()
    .regex(/^(\d{1,6}(\.\d{1,2})?)?$/, 'Enter an amount in dollars, like 12.50.')
    .optional()
    .transform((v) => (v ? minorUnits(v) : undefined))
    .pipe(z.number().int().positive('Enter more than zero.').optional()),
  reason: refundReason.optional(),
  idempotency_key: z.string(),
  _csrf: z.string().optional(),
});

export const financePlugin: FastifyPluginAsync = async (app) => {
  const { stripe, catalog, checkout } = app.payments;
  const stripeUrl = (id: string) => stripe.objectUrl(id);
  // The ways to pay give back what a prepaid balance paid (credits): refunds of those need no Stripe.
  const deps = { db: app.db, clock: app.clock, catalog, stripe, ways: checkout.ways };

  // Every route here is for admins: anonymous callers get 401, members 403, before their input is read.
  app.addHook('preValidation', async (request) => {
    requireAdmin(request);
  });

  /** Streams an export: rows are read a batch at a time and written as they come. */
  const stream = (reply: FastifyReply, type: string, filename: string, lines: AsyncIterable<string>) =>
    reply
      .type(type)
      .header('content-disposition', `attachment; filename="${filename}"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(lines));
  const exportName = (f: { from?: string; to?: string }, base: string, ext: string) => `${base}${f.from ? `-from-${f.from.slice(0, 10)}` : ''}${f.to ? `-to-${f.to.slice(0, 10)}` : ''}.${ext}`;

  // ---- JSON API ----
  const api = app.withTypeProvider<ZodTypeProvider>();
  const adminOnly = { tags: ['finance'], security: BEARER };

  api.get(
    '/api/v1/admin/charges',
    {
      schema: {
        ...adminOnly,
        summary: 'The ledger: charges, filtered and sorted, with totals per currency',
        description: `${LEDGER_PAGE_SIZE} charges a page; \`totals\` cover every page of the filter.`,
        querystring: ledgerFilters,
        response: {
          200: z.object({ charges: z.array(ledgerRowSchema), page: z.number().int(), total: z.number().int(), totals: z.array(totalsSchema) }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const f = request.query;
      const [{ rows, total }, totals] = await Promise.all([ledgerPage(app.db, f), ledgerTotals(app.db, f)]);
      return { charges: rows, page: f.page, total, totals };
    },
  );

  api.get(
    '/api/v1/admin/charges/:id',
    {
      schema: {
        ...adminOnly,
        summary: 'One charge with its buyer, refunds, disputes and audit trail',
        params: idParam,
        response: {
          200: z.object({
            charge: chargeSchema,
            buyer: z.object({ id: z.number().int(), username: z.string(), email: z.string() }),
            refunds: z.array(refundSchema),
            disputes: z.array(disputeSchema),
            audit: z.array(auditEntrySchema),
          }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const d = await chargeDetail(app.db, catalog, request.params.id);
      return { charge: await app.payments.charges.json(d.charge), buyer: d.buyer, refunds: d.refunds.map(refundJson), disputes: d.disputes, audit: d.audit };
    },
  );

  api.get(
    '/api/v1/admin/finance/summary',
    {
      schema: {
        ...adminOnly,
        summary: 'Totals per day, week, month or product',
        querystring: summaryQuery,
        response: { 200: z.object({ summary: z.array(summaryRowSchema) }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => ({ summary: await summary(app.db, request.query) }),
  );

  api.get(
    '/api/v1/admin/finance/credits',
    {
      schema: {
        ...adminOnly,
        summary: 'Credits: sold, spent (recognised revenue, first in first out) and the liability, per period and per organization',
        description: 'Members’ own credits are one group, `members`. Amounts in minor units of `currency`.',
        querystring: creditsQuery,
        response: { 200: z.object({ credits: creditsReportSchema }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => ({ credits: await creditsReport(app.db, request.query) }),
  );

  api.get(
    '/api/v1/admin/audit',
    {
      schema: {
        ...adminOnly,
        summary: 'The audit log, newest first',
        description: `${AUDIT_PAGE} entries a page.`,
        querystring: auditQuery,
        response: { 200: z.object({ entries: z.array(auditEntrySchema), page: z.number().int(), total: z.number().int() }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const { entries, total } = await auditPage(app.db, q, AUDIT_PAGE);
      return { entries, page: q.page, total };
    },
  );

  /** An export's answer: a file, streamed. */
  const exportAnswer = (type: string, what: string) => ({
    200: { description: what, content: { [type]: { schema: z.string() } } },
    ...errorResponses(400, 401, 403),
  });
  for (const prefix of ['/admin/finance', '/api/v1/admin/finance']) {
    api.get(
      `${prefix}/charges.csv`,
      { schema: { ...adminOnly, summary: 'The ledger as CSV', querystring: exportQuery, response: exportAnswer('text/csv', 'One charge a line, with a header line.') } },
      async (request, reply) => stream(reply, 'text/csv; charset=utf-8', exportName(request.query, 'charges', 'csv'), csvLines(ledgerRows(app.db, request.query))),
    );
    api.get(
      `${prefix}/charges.jsonl`,
      {
        schema: { ...adminOnly, summary: 'The ledger as JSON lines', querystring: exportQuery, response: exportAnswer('application/x-ndjson', 'One charge (a ledger row) a line.') },
      },
      async (request, reply) => stream(reply, 'application/x-ndjson; charset=utf-8', exportName(request.query, 'charges', 'jsonl'), jsonLines(ledgerRows(app.db, request.query))),
    );
    api.get(
      `${prefix}/refunds.csv`,
      { schema: { ...adminOnly, summary: 'Refunds as CSV', querystring: refundExportQuery, response: exportAnswer('text/csv', 'One refund a line, with a header line.') } },
      async (request, reply) => stream(reply, 'text/csv; charset=utf-8', exportName(request.query, 'refunds', 'csv'), refundCsvLines(refundRows(app.db, request.query))),
    );
    api.get(
      `${prefix}/credit-ledger.csv`,
      {
        schema: {
          ...adminOnly,
          summary: 'The credits ledger as CSV',
          description: 'Every entry made in the range, account by account and oldest first, with the balance after it.',
          querystring: refundExportQuery,
          response: exportAnswer('text/csv', 'One ledger entry a line, with a header line.'),
        },
      },
      async (request, reply) => stream(reply, 'text/csv; charset=utf-8', exportName(request.query, 'credit-ledger', 'csv'), creditLedgerCsvLines(ledgerCsvRows(app.db, request.query))),
    );
  }

  api.post(
    '/api/v1/admin/charges/:id/refunds',
    {
      schema: {
        ...adminOnly,
        tags: ['payments console'],
        summary: 'Refund a charge, in full or in part',
        description:
          'Without `amount`, what is left of the charge. 201 when a refund is created, 200 when the `Idempotency-Key` was already used for this refund (its answer again). A refund Stripe refuses is a 409 with the failed `refund` beside `error`. A refund of a credit purchase takes back its credits at the purchase’s price per credit, and is refused before Stripe is called with a 409 `credits_already_spent` (with `balance` and `credits`, how many it would take) when they have been spent. A charge paid with credits is refunded in credits, whole (422 `refund_whole_only` for a part), with no call to Stripe.',
        params: idParam,
        headers: idempotencyHeaders,
        body: refundInput,
        response: {
          201: refundReply.describe('Refund requested at Stripe.'),
          200: refundReply.describe('This Idempotency-Key’s refund, again.'),
          ...errorResponses(400, 401, 403, 404, 409, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const admin = requireAdmin(request);
      return sendAnswer(reply, await refundAnswer(app.payments.charges, await refundCharge(deps, admin, request.params.id, request.body, request.headers['idempotency-key'])));
    },
  );

  // Each product's admin views: its data here, its page below.
  for (const view of adminViews) {
    api.get(
      `/api/v1/admin/${view.name}`,
      { schema: { ...adminOnly, tags: ['products'], summary: view.title, response: { 200: view.answer, ...errorResponses(401, 403) } } },
      async () => view.json(app.db),
    );
  }

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

  app.get('/admin/finance/credits', async (request, reply) => {
    const q = parseInput(creditsQuery, request.query);
    return sendPage(reply, pageContext(request, reply), 'Credits', <CreditsPage query={q} report={await creditsReport(app.db, q)} />);
  });

  const chargePage = async (request: FastifyRequest, reply: FastifyReply, id: number, refund: { error?: ApiError; values?: unknown } = {}) => {
    const ctx = { ...pageContext(request, reply), scripts: ['/assets/confirm.js'] };
    const d = await chargeDetail(app.db, catalog, id);
    const page = <ChargeDetailPage ctx={ctx} {...d} refundKey={refund.error && keepsIdempotencyKey(refund.error) ? (refund.values as { idempotency_key: string }).idempotency_key : randomUUID()} stripeUrl={stripeUrl} done={doneMessage(request.query, CHARGE_DONE)} refundError={refund.error} refundValues={refund.values} />;
    return sendPage(reply, ctx, `Charge #${id}`, page, refund.error?.status ?? 200);
  };

  app.get('/admin/finance/charges/:id', async (request, reply) => chargePage(request, reply, parseInput(idParam, request.params).id));

  app.get('/admin/audit', async (request, reply) => {
    const q = parseInput(auditQuery, request.query);
    const ctx = pageContext(request, reply);
    const { entries, total } = await auditPage(app.db, q, AUDIT_PAGE);
    return sendPage(reply, ctx, 'Audit log', <AuditPage entries={entries} total={total} page={q.page} pageSize={AUDIT_PAGE} />);
  });

  linkAdminViews(adminViews);
  for (const view of adminViews) {
    app.get(`/admin/${view.name}`, async (request, reply) =>
      sendPage(
        reply,
        pageContext(request, reply),
        view.title,
        <>
          <AdminNav />
          {await view.page(app.db)}
        </>,
      ),
    );
  }

  app.post('/admin/charges/:id/refunds', async (request, reply) => {
    const admin = requireAdmin(request);
    const { id } = parseInput(idParam, request.params);
    try {
      const form = parseInput(refundForm, request.body);
      const refund = { ...(form.amount ? { amount: form.amount } : {}), ...(form.reason ? { reason: form.reason } : {}) };
      await refundAnswer(app.payments.charges, await refundCharge(deps, admin, id, refund, form.idempotency_key));
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
