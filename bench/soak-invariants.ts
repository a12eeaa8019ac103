import type { Emulator } from '../local-stripe/index.js';
import { type Db, queryRows } from '../src/db/client.js';
import type { ChargeStatus } from '../src/db/schema.js';
import { computePaidWindow } from '../src/products/job-listing/paid-window.js';
import { creditChecks } from './soak-credits.js';

/** What the soak saw from outside, for the invariants that judge it. */
export interface SoakOutcome {
  instances: number;
  doubleSubmits: number;
  doubleMismatch: number;
  serverErrors: string[];
  providerUnavailable: number;
  networkErrorsWhileUp: number;
  networkErrorsAtKill: number;
  lostInFlight: number;
  proxy?: { redirected: number };
  buyerFailures: string[];
}

/**
 * The soak's invariants, from our database and the local Stripe's own records after the run: every
 * payment Stripe took is settled and fulfilled exactly once, nothing else is, the sums agree to the
 * cent, and every Checkout Session's row says what the session says. Each is [name, held, detail].
 */
export async function soakInvariants(db: Db, emulator: Emulator, outcome: SoakOutcome): Promise<Array<[string, boolean, string]>> {
  type Row = {
    id: number;
    status: ChargeStatus;
    amount: number;
    stripe_charge_key: string | null;
    checkout_session_id: string | null;
    user_id: number;
    idempotency_key: string;
    article_id: number | null;
    paid_at: Date | null;
  };
  const charges = (await queryRows<Row>(db, 'select id, status, amount::int, stripe_charge_key, checkout_session_id, user_id, idempotency_key, article_id, paid_at from charges')).map((r) => ({
    ...r,
    id: Number(r.id),
    paid_at: r.paid_at ? new Date(r.paid_at) : null,
  }));
  const fulfilments = new Map((await queryRows<{ charge_id: number; n: number }>(db, 'select charge_id, count(*)::int as n from fulfilments group by charge_id')).map((r) => [Number(r.charge_id), r.n]));
  const articles = await queryRows<{ id: number; paid_until: Date | null; bumped_at: Date | null }>(db, "select id, paid_until, bumped_at from articles where job_listing");
  const scheduledRuns = (
    await queryRows<{ started_at: Date; finished_at: Date | null }>(db, "select started_at, finished_at from reconcile_runs where trigger = 'schedule' order by started_at")
  ).map((r) => ({ started: new Date(r.started_at).getTime(), finished: r.finished_at ? new Date(r.finished_at).getTime() : null }));

  const intents = [...emulator.paymentIntents.values()];
  const succeededAtStripe = intents.filter((p) => p.status === 'succeeded');
  const checks: Array<[string, boolean, string]> = [];
  const check = (name: string, ok: boolean, detail = '') => checks.push([name, ok, detail]);
  // Charges paid with credits have no PaymentIntent: the ledger's checks account for them (one spend entry each).
  const { creditPaid } = await creditChecks(db, succeededAtStripe, check);
  const byKey = new Map(charges.filter((c) => c.stripe_charge_key).map((c) => [c.stripe_charge_key!, c]));
  const taken = new Set<ChargeStatus>(['succeeded', 'partially_refunded', 'refunded', 'disputed']);

  const missing = succeededAtStripe.filter((p) => {
    const row = byKey.get(p.id);
    return !row || !taken.has(row.status) || fulfilments.get(row.id) !== 1;
  });
  check('every succeeded PaymentIntent has exactly one settled charge row and one fulfilment', missing.length === 0, `${succeededAtStripe.length} succeeded at Stripe; ${missing.length} without${missing.length ? `: ${missing.slice(0, 3).map((p) => p.id).join(', ')}` : ''}`);
  const rowsPerIntent = new Map<string, number>();
  for (const c of charges) if (c.stripe_charge_key) rowsPerIntent.set(c.stripe_charge_key, (rowsPerIntent.get(c.stripe_charge_key) ?? 0) + 1);
  check('no PaymentIntent has two rows', [...rowsPerIntent.values()].every((n) => n === 1), `${rowsPerIntent.size} PaymentIntents with rows`);
  const phantom = charges.filter((c) => taken.has(c.status) && !creditPaid.has(c.id) && emulator.paymentIntents.get(c.stripe_charge_key ?? '')?.status !== 'succeeded');
  check('no charge row is succeeded without a succeeded PaymentIntent (or its credits spent)', phantom.length === 0, `${charges.filter((c) => taken.has(c.status)).length} settled rows (${creditPaid.size} paid with credits); ${phantom.length} without`);
  const extraFulfilments = [...fulfilments.entries()].filter(([id, n]) => n !== 1 || !taken.has(charges.find((c) => c.id === id)?.status ?? 'failed'));
  check('nothing is fulfilled without a payment, nothing twice', extraFulfilments.length === 0, `${fulfilments.size} fulfilments`);
  const perAttempt = new Map<string, number>();
  for (const p of succeededAtStripe) perAttempt.set(p.metadata.charge_id ?? p.id, (perAttempt.get(p.metadata.charge_id ?? p.id) ?? 0) + 1);
  check('no buyer was charged twice for one attempt', [...perAttempt.values()].every((n) => n === 1) && outcome.doubleMismatch === 0, `${outcome.doubleSubmits} double submissions, ${outcome.doubleMismatch} answered with different charges`);
  const ours = charges.filter((c) => taken.has(c.status) && !creditPaid.has(c.id)).reduce((s, c) => s + c.amount, 0);
  const theirs = succeededAtStripe.reduce((s, p) => s + p.amount, 0);
  check('sum of our succeeded amounts equals Stripe’s, to the cent', ours === theirs, `ours ${ours}, Stripe ${theirs} (minor units)`);
  const drift = articles.filter((a) => {
    const window = computePaidWindow(charges.filter((c) => c.article_id === Number(a.id)).map((c) => ({ status: c.status, paidAt: c.paid_at })));
    return (window.paidUntil?.getTime() ?? null) !== (a.paid_until ? new Date(a.paid_until).getTime() : null);
  });
  // Stripe's hosted page: each session is one row, and the row says what the session says.
  const sessions = [...emulator.checkoutSessions.values()];
  const bySession = new Map(charges.filter((c) => c.checkout_session_id).map((c) => [c.checkout_session_id!, c]));
  const unowned = sessions.filter((s) => !bySession.has(s.id));
  check('every Checkout Session at Stripe is on one charge row of ours', unowned.length === 0 && bySession.size === sessions.length, `${sessions.length} sessions, ${bySession.size} rows with one${unowned.length ? `; without a row: ${unowned.slice(0, 3).map((s) => s.id).join(', ')}` : ''}`);
  const sessionsIn = (status: string) => sessions.filter((s) => s.status === status);
  const disagreeing = (status: string, agrees: (row: Row) => boolean) =>
    sessionsIn(status).filter((s) => {
      const row = bySession.get(s.id);
      return !row || !agrees(row);
    });
  const unsettledCompleted = disagreeing('complete', (row) => taken.has(row.status) && fulfilments.get(row.id) === 1);
  check('every completed Checkout Session’s charge is settled and fulfilled once', unsettledCompleted.length === 0, `${sessionsIn('complete').length} complete; ${unsettledCompleted.length} not${unsettledCompleted.length ? `: ${unsettledCompleted.slice(0, 3).map((s) => `${s.id} (${bySession.get(s.id)?.status})`).join(', ')}` : ''}`);
  const uncanceledExpired = disagreeing('expired', (row) => row.status === 'canceled' && !fulfilments.has(row.id));
  check('every expired Checkout Session’s charge is canceled, with no fulfilment', uncanceledExpired.length === 0, `${sessionsIn('expired').length} expired; ${uncanceledExpired.length} not${uncanceledExpired.length ? `: ${uncanceledExpired.slice(0, 3).map((s) => `${s.id} (${bySession.get(s.id)?.status})`).join(', ')}` : ''}`);
  const paidOpen = disagreeing('open', (row) => !taken.has(row.status) && row.status !== 'canceled' && !fulfilments.has(row.id));
  check('every open Checkout Session’s charge is unpaid, still payable and unfulfilled', paidOpen.length === 0, `${sessionsIn('open').length} open; ${paidOpen.length} not${paidOpen.length ? `: ${paidOpen.slice(0, 3).map((s) => `${s.id} (${bySession.get(s.id)?.status})`).join(', ')}` : ''}`);
  check("every listing's paid_until equals the value recomputed from its charges", drift.length === 0, `${articles.length} listings, ${drift.length} differ`);
  check(
    outcome.instances > 1 ? 'no instance answered 5xx but 503 provider unavailable' : 'no request answered 5xx except while the app was down, or 503 provider unavailable',
    outcome.serverErrors.length === 0,
    `${outcome.serverErrors.length}${outcome.serverErrors.length ? `: ${outcome.serverErrors.slice(0, 3).join(' | ')}` : ''} (and ${outcome.providerUnavailable} answered 503 payment_provider_unavailable: Stripe failed all of the SDK's tries); ${outcome.networkErrorsWhileUp} connection errors while up${outcome.proxy ? ` (${outcome.networkErrorsAtKill} within 2 s of the kill)` : ''}${outcome.proxy ? `; proxy: ${outcome.lostInFlight} lost in flight with the killed instance, ${outcome.proxy.redirected} sent on to another instance` : ''}`,
  );
  if (outcome.instances > 1) {
    // Runs of an instance killed mid-run never finish; every other run must end before the next starts.
    const overlapping = scheduledRuns.filter((run, i) => i > 0 && scheduledRuns[i - 1]!.finished !== null && run.started < scheduledRuns[i - 1]!.finished!);
    check('scheduled reconciles across instances never overlapped', overlapping.length === 0, `${scheduledRuns.length} scheduled runs, ${overlapping.length} overlapping`);
  }
  check('every simulated buyer finished', outcome.buyerFailures.length === 0, outcome.buyerFailures.slice(0, 2).join(' | '));
  return checks;
}
