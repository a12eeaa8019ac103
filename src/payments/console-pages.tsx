import type { disputes, PaymentMismatch, reconcileRuns, StripeEventRow } from '../db/schema.js';
import { z } from 'zod';
import { formatMoney, formatUtc } from '../format.js';
import { timestamp } from '../http/api.js';
import { AdminNav, CsrfField, DataTable, Flash, type PageContext, PostButton, StripeObject } from '../web/render.js';
import type { FindingDirection, ReconcileReport } from './reconcile.js';
import { reconcileHeadline } from './reconcile.js';

export const failedEventSchema = z.object({
  id: z.string(),
  type: z.string(),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  received_at: timestamp,
  next_attempt_at: timestamp,
});
export const eventJson = (e: StripeEventRow): z.output<typeof failedEventSchema> => ({
  id: e.id,
  type: e.type,
  attempts: e.attempts,
  last_error: e.lastError,
  received_at: e.receivedAt,
  next_attempt_at: e.nextAttemptAt,
});

/** A dispute as stored (the console's API shows the row as it is). */
export const disputeSchema = z.object({
  id: z.number().int(),
  chargeId: z.number().int(),
  stripeDisputeId: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  reason: z.string(),
  status: z.string(),
  evidenceDueBy: timestamp.nullable(),
  closedAt: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** A reconciliation run as stored: its report once finished. */
export const reconcileRunSchema = z.object({
  id: z.number().int(),
  startedAt: timestamp,
  finishedAt: timestamp.nullable(),
  since: timestamp,
  trigger: z.string().meta({ description: 'What started it: `api`, `console`, `cli`…' }),
  report: z.record(z.string(), z.unknown()).nullable().meta({ description: 'The run’s report (as `POST /api/v1/admin/reconcile` answers it), once finished.' }),
});

export function FailedEventsPage({ ctx, events, done }: { ctx: PageContext; events: StripeEventRow[]; done?: string }) {
  return (
    <>
      <h1>Failed webhook events</h1>
      <AdminNav />
      <Flash message={done} />
      {events.length === 0 && <p class="muted">No failed events.</p>}
      <DataTable
        label="Failed webhook events"
        rows={events}
        columns={[
          { heading: 'Event', cell: (e) => e.id },
          { heading: 'Type', cell: (e) => e.type },
          { heading: 'Attempts', cell: (e) => e.attempts },
          { heading: 'Error', cell: (e) => e.lastError },
          {
            heading: '',
            cell: (e) => (
              <PostButton ctx={ctx} action={`/admin/webhooks/${e.id}/retry`}>
                Retry
              </PostButton>
            ),
          },
        ]}
      />
    </>
  );
}

export function DisputesPage({ rows, stripeUrl }: { ctx: PageContext; rows: Array<typeof disputes.$inferSelect>; stripeUrl: (id: string) => string }) {
  return (
    <>
      <h1>Open disputes</h1>
      <AdminNav />
      <p class="muted">Soonest evidence deadline first. The disputed purchase is suspended until the dispute closes.</p>
      {rows.length === 0 && <p class="muted">No open disputes.</p>}
      <DataTable
        label="Disputes"
        rows={rows}
        columns={[
          { heading: 'Evidence due', cell: (d) => (d.evidenceDueBy ? formatUtc(d.evidenceDueBy) : '—') },
          { heading: 'Charge', cell: (d) => <a href={`/admin/finance/charges/${d.chargeId}`}>#{d.chargeId}</a> },
          { heading: 'Amount', cell: (d) => formatMoney(d.amount, d.currency) },
          { heading: 'Reason', cell: (d) => d.reason },
          { heading: 'Status', cell: (d) => d.status },
          { heading: 'Stripe', cell: (d) => <StripeObject id={d.stripeDisputeId} url={stripeUrl} /> },
        ]}
      />
    </>
  );
}

export function MismatchesPage({ rows, stripeUrl }: { rows: PaymentMismatch[]; stripeUrl: (id: string) => string }) {
  return (
    <>
      <h1>Payment mismatches</h1>
      <AdminNav />
      <p class="muted">
        PaymentIntents that name one of our charges or products but are not the one we created, or not for the price we sold. Nothing was
        fulfilled for them; refund them at Stripe if the money should go back.
      </p>
      {rows.length === 0 && <p class="muted">No mismatches.</p>}
      <DataTable
        label="Payment mismatches"
        rows={rows}
        columns={[
          { heading: 'Detected', cell: (m) => formatUtc(m.detectedAt) },
          { heading: 'PaymentIntent', cell: (m) => <StripeObject id={m.stripePaymentIntent} url={stripeUrl} /> },
          { heading: 'Status', cell: (m) => m.intentStatus },
          { heading: 'Charge', cell: (m) => (m.chargeId ? <a href={`/admin/finance/charges/${m.chargeId}`}>#{m.chargeId}</a> : '—') },
          { heading: 'Reason', cell: (m) => m.reason.replaceAll('_', ' ') },
          { heading: 'Paid', cell: (m) => formatMoney(m.amount, m.currency) },
          { heading: 'Expected', cell: (m) => (m.expectedAmount !== null && m.expectedCurrency ? formatMoney(m.expectedAmount, m.expectedCurrency) : '—') },
        ]}
      />
    </>
  );
}

type RunReport = Partial<ReconcileReport>;

export function ReconcilePage({ ctx, runs, done }: { ctx: PageContext; runs: Array<typeof reconcileRuns.$inferSelect>; done?: string }) {
  const run = runs[0];
  const report = run?.report as RunReport | undefined;
  const directions: Array<{ direction: FindingDirection; title: string; scanned: string }> = [
    {
      direction: 'stripe_to_ours',
      title: 'Stripe → our database',
      scanned: `${report?.scanned?.checkout_sessions ?? 0} checkout sessions, ${report?.scanned?.payment_intents ?? 0} payment intents, ${report?.scanned?.refunds ?? 0} refunds, ${report?.scanned?.disputes ?? 0} disputes`,
    },
    {
      direction: 'ours_to_stripe',
      title: 'Our database → Stripe',
      scanned: `${report?.scanned?.our_paid_rows ?? 0} paid charges, ${report?.scanned?.pending_rows ?? 0} old pending charges`,
    },
    { direction: 'ledgers', title: 'Ledgers → our charges', scanned: `${report?.scanned?.ledger_rows ?? 0} ledger rows` },
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
          <DataTable
            label="Reconciliation runs"
            rows={runs.map((r) => ({ run: r, report: r.report as RunReport | null }))}
            rowAttrs={() => ({ class: 'run' })}
            columns={[
              { heading: '#', cell: ({ run }) => run.id },
              { heading: 'trigger', cell: ({ run }) => run.trigger },
              { heading: 'started', cell: ({ run }) => formatUtc(run.startedAt) },
              { heading: 'since', cell: ({ run }) => formatUtc(run.since) },
              { heading: 'scanned at Stripe / ours', cell: ({ report }) => (report?.scanned ? `${report.scanned.payment_intents} / ${report.scanned.our_paid_rows ?? '–'}` : 'unfinished') },
              { heading: 'repaired', cell: ({ report }) => report?.repaired ?? '–' },
              { heading: 'reported', cell: ({ report }) => `${report?.reported ?? '–'}${report?.wrong_account_suspected ? ' (keys of another account?)' : ''}` },
            ]}
          />
        </>
      )}
    </>
  );
}

const emptyScan: ReconcileReport['scanned'] = { checkout_sessions: 0, payment_intents: 0, refunds: 0, disputes: 0, pending_rows: 0, our_paid_rows: 0, ledger_rows: 0 };
