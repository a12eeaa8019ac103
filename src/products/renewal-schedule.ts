import type { RenewableProduct } from './renewal-claims.js';
import { runRenewals } from './renewal.js';
import type { Schedule } from './slots.js';

/** The one periodic task that reminds and renews every product that declares a period. */
export const renewalsSchedule = (products: readonly RenewableProduct[]): Schedule => ({
  name: 'renewals',
  intervalMs: (config) => config.renewalsIntervalMinutes * 60_000,
  async run({ db, catalog, checkout, stripe, mailer, log }, now) {
    const onError = (err: unknown, renewal: { product: string; subjectId: number }) =>
      log.warn({ err, product: renewal.product, subject: renewal.subjectId }, 'renewal failed; it is tried again after its lease');
    const report = await runRenewals({ db, catalog, checkout, stripe, mailer, products, onError }, now);
    return report.reminders + report.notices + Object.keys(report.renewals).length > 0 ? report : undefined;
  },
});
