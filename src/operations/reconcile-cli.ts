/**
 * `npm run reconcile [-- --since 2026-01-01]`: compares Stripe with our database in both directions,
 * repairs what it can and prints a report. Exits 1 when a difference is left for a person (or the keys
 * look like another account's), so a scheduler can alert on it. With the server running it asks the
 * server; with it stopped it opens the database and Stripe as the server would (src/payments/cli.ts).
 */
import { parseArgs } from 'node:util';
import { callServer } from './control.js';
import { progressBar } from './progress.js';
import { cliTarget } from './cli-target.js';
import { type ReconcileReport, reconcile, reconcileHeadline } from '../payments/reconcile.js';

const { values } = parseArgs({ options: { since: { type: 'string' } } });
const since = values.since ? new Date(values.since) : new Date(Date.now() - 30 * 24 * 3600_000);
if (Number.isNaN(since.getTime())) {
  console.error(`--since: not a date: ${values.since}`);
  process.exit(2);
}
const target = await cliTarget('npm run reconcile');
const bar = progressBar();
const onProgress = (p: { phase: string; done: number; total?: number }) => bar.update(p.phase, p.done, p.total);
let report: ReconcileReport;
try {
  report =
    'server' in target
      ? await callServer<ReconcileReport>(target.server, '/reconcile', { since: since.toISOString(), trigger: 'cli' }, onProgress)
      : await reconcile(target.local.deps, { since, trigger: 'cli', onProgress });
} finally {
  bar.stop();
  if ('local' in target) await target.local.close();
}
printReport(report, 'server' in target ? `the running server (pid ${target.server.pid})` : 'this process');
process.exitCode = report.reported > 0 || report.wrong_account_suspected ? 1 : 0;

function printReport(r: ReconcileReport, where: string) {
  const s = r.scanned;
  console.log(`Reconciled since ${r.since} (run #${r.run_id}, by ${where}).`);
  console.log(`  Stripe → ours: ${s.checkout_sessions} checkout sessions, ${s.payment_intents} payment intents, ${s.refunds} refunds, ${s.disputes} disputes.`);
  console.log(`  ours → Stripe: ${s.our_paid_rows} paid charges, ${s.pending_rows} old pending charges.`);
  console.log(`  ledgers → charges: ${s.ledger_rows ?? 0} ledger rows.`);
  for (const f of r.findings) {
    console.log(`- ${f.kind}${f.charge_id ? ` charge #${f.charge_id}` : ''}${f.stripe_id ? ` (${f.stripe_id})` : ''}: ${f.detail} [${f.action}]`);
  }
  console.log(`${r.repaired} repaired, ${r.reported} reported.`);
  console.log(reconcileHeadline(r));
}
