/**
 * `npm run reconcile [-- --since 2026-01-01]`: compares Stripe with our database in both directions,
 * repairs what it can and prints a report. Exits 1 when a difference is left for a person (or the keys
 * look like another account's), so a scheduler can alert on it. Uses the server's configuration
 * (DATABASE_URL or DATA_DIR, and STRIPE_SECRET_KEY / STRIPE_API_URL).
 */
import { parseArgs } from 'node:util';
import { progressBar } from '../operations/progress.js';
import { cliDeps } from './cli.js';
import { type ReconcileReport, reconcile, reconcileHeadline } from './reconcile.js';

const { values } = parseArgs({ options: { since: { type: 'string' } } });
const since = values.since ? new Date(values.since) : new Date(Date.now() - 30 * 24 * 3600_000);
if (Number.isNaN(since.getTime())) {
  console.error(`--since: not a date: ${values.since}`);
  process.exit(2);
}
const { deps, database } = await cliDeps('reconcile');
const bar = progressBar();
let report: ReconcileReport;
try {
  report = await reconcile(deps, { since, trigger: 'cli', onProgress: (p) => bar.update(p.phase, p.done, p.total) });
} finally {
  bar.stop();
  await database.close();
}
printReport(report);
process.exitCode = report.reported > 0 || report.wrong_account_suspected ? 1 : 0;

function printReport(r: ReconcileReport) {
  const s = r.scanned;
  console.log(`Reconciled since ${r.since} (run #${r.run_id}).`);
  console.log(`  Stripe → ours: ${s.payment_intents} payment intents, ${s.refunds} refunds, ${s.disputes} disputes.`);
  console.log(`  ours → Stripe: ${s.our_paid_rows} paid charges, ${s.pending_rows} old pending charges.`);
  for (const f of r.findings) {
    console.log(`- ${f.kind}${f.charge_id ? ` charge #${f.charge_id}` : ''}${f.stripe_id ? ` (${f.stripe_id})` : ''}: ${f.detail} [${f.action}]`);
  }
  console.log(`${r.repaired} repaired, ${r.reported} reported.`);
  console.log(reconcileHeadline(r));
}
