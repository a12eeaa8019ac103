import type { Charge, Dispute, Refund } from '../db/schema.js';
import type { ApiError } from '../http/errors.js';
import { REFUND_REASONS } from '../payments/refund.js';
import { REFUNDABLE_STATUSES } from '../payments/state.js';
import { type SubjectView, subjectOf } from '../payments/subject.js';
import { CsrfField, DataTable, FieldError, Flash, fieldMessage, type PageContext, ScrollX, StripeObject, typed } from '../web/render.js';
import { decimal } from './export.js';
import { type AuditEntry, AuditTable } from './pages.js';
import { formatUtc, formatMoney } from '../format.js';

/** An admin's page for one charge: its details, refunds, disputes and history, and the refund form. */
export function ChargeDetailPage({
  ctx,
  charge,
  buyer,
  subject,
  refunds,
  disputes,
  audit,
  refundKey,
  stripeUrl,
  done,
  refundError,
  refundValues,
}: {
  ctx: PageContext;
  charge: Charge;
  buyer: { id: number; username: string; email: string };
  /** What the charge was for, when its product names a subject. */
  subject?: SubjectView;
  refunds: Refund[];
  disputes: Dispute[];
  audit: AuditEntry[];
  refundKey: string;
  stripeUrl: (id: string) => string;
  done?: string;
  refundError?: ApiError;
  refundValues?: unknown;
}) {
  const remaining = charge.amount - charge.amountRefunded;
  const refundable = REFUNDABLE_STATUSES.includes(charge.status) && remaining > 0;
  return (
    <>
      <h1>Charge #{charge.id}</h1>
      <Flash message={done} />
      <div class="card">
        <ScrollX label="Charge details">
          <table>
            <tbody>
              <tr>
                <th>Status</th>
                <td data-status={charge.status}>{charge.status}</td>
              </tr>
              <tr>
                <th>Product</th>
                <td>
                  {charge.product}
                  {subject && (
                    <>
                      {' · '}
                      <a href={subject.href}>{subject.title ?? `${subject.name} #${subjectOf(charge)}`}</a>
                    </>
                  )}
                </td>
              </tr>
              <tr>
                <th>Buyer</th>
                <td>
                  <a href={`/admin/finance?user_id=${buyer.id}`}>
                    {buyer.username} ({buyer.email})
                  </a>
                </td>
              </tr>
              <tr>
                <th>Amount</th>
                <td>{formatMoney(charge.amount, charge.currency)}</td>
              </tr>
              <tr>
                <th>Refunded</th>
                <td>{formatMoney(charge.amountRefunded, charge.currency)}</td>
              </tr>
              <tr>
                <th>Stripe fee</th>
                <td>{charge.stripeFee !== null ? formatMoney(charge.stripeFee, charge.currency) : '—'}</td>
              </tr>
              <tr>
                <th>Paid at</th>
                <td>{charge.paidAt ? formatUtc(charge.paidAt) : '—'}</td>
              </tr>
              <tr>
                <th>Stripe</th>
                <td>
                  <StripeObject id={charge.paymentIntentId} url={stripeUrl} /> <StripeObject id={charge.stripeLatestCharge} url={stripeUrl} />
                </td>
              </tr>
            </tbody>
          </table>
        </ScrollX>
      </div>
      {refundable && (
        <form
          method="post"
          action={`/admin/charges/${charge.id}/refunds`}
          class="card stack"
          data-confirm={`Refund {amount} ${charge.currency.toUpperCase()} of charge #${charge.id} to ${buyer.email}?`}
          data-full={decimal(remaining)}
        >
          <h2>Refund</h2>
          {refundError && <p class="flash-error">{refundError.message}</p>}
          <CsrfField ctx={ctx} />
          <input type="hidden" name="idempotency_key" value={refundKey} />
          <label>
            Amount ({charge.currency.toUpperCase()}, empty = all {decimal(remaining)})
            <input
              type="text"
              name="amount"
              inputMode="decimal"
              pattern="\d+(\.\d{1,2})?"
              title="An amount like 12.50"
              placeholder={decimal(remaining)}
              value={typed(refundValues, 'amount')}
              aria-invalid={fieldMessage(refundError, 'amount') ? 'true' : undefined}
              aria-describedby="amount-error"
            />
            <FieldError error={refundError} field="amount" id="amount-error" />
          </label>
          <label>
            Reason
            <select name="reason">
              {Object.entries(REFUND_REASONS).map(([value, words]) => (
                <option value={value} selected={typed(refundValues, 'reason') === value}>
                  {words}
                </option>
              ))}
            </select>
            <FieldError error={refundError} field="reason" />
          </label>
          <button type="submit" id="refund">
            Refund
          </button>
        </form>
      )}
      <dialog id="confirm-dialog">
        <p data-message />
        <button type="button" data-ok id="confirm-ok">
          Yes, refund
        </button>{' '}
        <button type="button" data-cancel class="secondary">
          Cancel
        </button>
      </dialog>
      <h2>Refunds</h2>
      <DataTable
        label="Refunds"
        rows={refunds}
        columns={[
          { heading: 'Date', cell: (r) => formatUtc(r.createdAt) },
          { heading: 'Amount', cell: (r) => formatMoney(r.amount, r.currency) },
          { heading: 'Reason', cell: (r) => r.reason },
          { heading: 'Status', cell: (r) => r.status },
          { heading: 'Stripe', cell: (r) => <StripeObject id={r.stripeRefundId} url={stripeUrl} /> },
          { heading: 'By', cell: (r) => (r.requestedBy ? `user #${r.requestedBy}` : 'at Stripe') },
        ]}
      />
      <h2>Disputes</h2>
      <DataTable
        label="Disputes"
        rows={disputes}
        columns={[
          { heading: 'Stripe', cell: (d) => <StripeObject id={d.stripeDisputeId} url={stripeUrl} /> },
          { heading: 'Reason', cell: (d) => d.reason },
          { heading: 'Status', cell: (d) => d.status },
          { heading: 'Evidence', cell: (d) => (d.evidenceDueBy ? `due ${formatUtc(d.evidenceDueBy)}` : '') },
        ]}
      />
      <h2>History</h2>
      <AuditTable entries={audit} />
    </>
  );
}
