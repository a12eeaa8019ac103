/**
 * `npm run reconcile [-- --since 2026-01-01]`: compares Stripe with our database, repairs what it can
 * and prints a report. Uses the same configuration as the server (DATABASE_URL or DATA_DIR, and
 * STRIPE_SECRET_KEY / STRIPE_API_URL). The embedded PGlite database can be opened by one process at
 * a time, so with it, stop the server first (or use the console's "Run now").
 */
import { parseArgs } from 'node:util';
import { cliDeps } from './cli.js';
import { reconcile } from './reconcile.js';

const { values } = parseArgs({ options: { since: { type: 'string' } } });
const since = values.since ? new Date(values.since) : new Date(Date.now() - 30 * 24 * 3600_000);
if (Number.isNaN(since.getTime())) {
  console.error(`--since: not a date: ${values.since}`);
  process.exit(2);
}
const { deps, database } = await cliDeps('reconcile');

const width = 30;
const report = await reconcile(
  deps,
  {
    since,
    trigger: 'cli',
    onProgress: (n, phase) => {
      if (!process.stderr.isTTY) return;
      const filled = n % (width + 1);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n} objects · ${phase}   `);
    },
  },
);
if (process.stderr.isTTY) process.stderr.write('\n');
console.log(`Reconciled since ${report.since}: ${report.scanned.payment_intents} payment intents, ${report.scanned.refunds} refunds, ${report.scanned.disputes} disputes, ${report.scanned.pending_rows} old pending rows.`);
if (report.findings.length === 0) console.log('No differences: our database agrees with Stripe.');
for (const f of report.findings) {
  console.log(`- ${f.kind}${f.charge_id ? ` charge #${f.charge_id}` : ''}${f.stripe_id ? ` (${f.stripe_id})` : ''}: ${f.detail} [${f.action}]`);
}
console.log(`${report.repaired} repaired, ${report.findings.length - report.repaired} reported.`);
await database.close();
