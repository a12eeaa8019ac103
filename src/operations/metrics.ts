import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/client.js';
import { migrationsFolder, queryRows } from '../db/client.js';
import type { Product } from '../payments/catalog.js';
import type { StripeGateway } from '../payments/stripe.js';
import { handlers } from '../payments/webhooks/handlers/index.js';

/**
 * The app's Prometheus metrics, one registry per app. Hot paths only increment counters (a map
 * look-up and an add); everything that needs the database (inbox depth and age, receipts waiting,
 * refunds, disputes, the last reconcile run) is read when Prometheus scrapes, in one round trip.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly checkouts = new Counter({
    name: 'devboard_checkouts_total',
    help:
      "Checkouts by product, way (payment_method, confirmation_token, hosted_page) and outcome: each answer (succeeded, requires_action, failed, canceled, opened: Stripe's page is open, provider_unavailable, request_in_progress, rejected), and for hosted_page also how its session ended (succeeded, failed, canceled).",
    labelNames: ['product', 'way', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly stripeRequests = new Histogram({
    name: 'devboard_stripe_request_duration_seconds',
    help: 'Stripe API requests by operation (method and path with ids replaced) and outcome (ok, client_error, server_error).',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
    registers: [this.registry],
  });
  readonly webhookEvents = new Counter({
    name: 'devboard_webhook_events_total',
    help: 'Webhook events the worker processed, by type and outcome (handled, ignored, failed).',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly webhookFailures = new Counter({
    name: 'devboard_webhook_handler_failures_total',
    help: 'Webhook handler runs that threw; the event is retried with backoff.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly webhookRetries = new Counter({
    name: 'devboard_webhook_retries_total',
    help: 'Webhook events taken again after a failed attempt.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly fulfilments = new Counter({
    name: 'devboard_fulfilments_total',
    help: "Products fulfilled, reversed (full refund, dispute) and restored (dispute won) by this process.",
    labelNames: ['product', 'action'] as const,
    registers: [this.registry],
  });
  readonly httpResponses = new Counter({
    name: 'devboard_http_responses_total',
    help: 'HTTP responses by method, route pattern and status class (2xx, 3xx, 4xx, 5xx).',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  constructor(db: Db) {
    collectDefaultMetrics({ register: this.registry });
    // Every gauge below is set from one statement per scrape, shared by their collects (prom-client
    // collects all metrics of a scrape together, so they all await the same read).
    let reading: Promise<ScrapeRow | undefined> | null = null;
    const read = () =>
      (reading ??= queryRows<ScrapeRow>(db, SCRAPE_QUERY)
        .then((rows) => rows[0])
        .finally(() => {
          reading = null;
        }));
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], set: (g: Gauge<L>, row: ScrapeRow) => void) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers: [this.registry],
        async collect() {
          const row = await read();
          if (row) set(this, row);
        },
      });
    const byStatus = (g: Gauge<'status'>, counts: Record<string, number> | null) => {
      g.reset();
      for (const [status, n] of Object.entries(counts ?? {})) g.set({ status }, n);
    };
    gauge('devboard_webhook_inbox_depth', 'Stored webhook events not yet processed.', [], (g, row) => g.set(row.inbox_depth));
    gauge('devboard_webhook_inbox_oldest_age_seconds', 'Age of the oldest unprocessed webhook event (0 when the inbox is empty).', [], (g, row) =>
      g.set(row.inbox_oldest ? Math.max(0, (Date.now() - new Date(row.inbox_oldest).getTime()) / 1000) : 0),
    );
    gauge('devboard_webhook_inbox_failing', 'Unprocessed webhook events whose last attempt failed.', [], (g, row) => g.set(row.inbox_failing));
    gauge('devboard_receipts_waiting', 'Succeeded charges whose receipt e-mail has not gone out yet.', [], (g, row) => g.set(row.receipts_waiting));
    gauge('devboard_refunds', 'Refunds recorded, by status.', ['status'], (g, row) => byStatus(g, row.refunds));
    gauge('devboard_disputes', 'Disputes recorded, by status.', ['status'], (g, row) => byStatus(g, row.disputes));
    gauge('devboard_reconcile_last_findings', 'Findings of the last finished reconcile run, by action (repaired, reported).', ['action'], (g, row) => {
      g.set({ action: 'repaired' }, Number(row.last_report?.repaired ?? 0));
      g.set({ action: 'reported' }, Number(row.last_report?.reported ?? 0));
    });
    gauge('devboard_reconcile_last_run_timestamp_seconds', 'When the last reconcile run finished (0: never).', [], (g, row) =>
      g.set(row.last_finished ? new Date(row.last_finished).getTime() / 1000 : 0),
    );
    gauge('devboard_reconcile_wrong_account_suspected', '1 when the last reconcile run found most of our paid charges unknown to Stripe.', [], (g, row) =>
      g.set(row.last_report?.wrong_account_suspected ? 1 : 0),
    );
  }

  /** Times every Stripe request the SDK makes; returns the unsubscribe. */
  observeStripe(gateway: StripeGateway): () => void {
    const onResponse = (event: { method: string; path: string; status: number; elapsed: number }) => {
      const outcome = event.status < 400 ? 'ok' : event.status < 500 ? 'client_error' : 'server_error';
      this.stripeRequests.observe({ operation: stripeOperation(event.method, event.path), outcome }, event.elapsed / 1000);
    };
    gateway.client.on('response', onResponse);
    return () => gateway.client.off('response', onResponse);
  }

  /** Counts fulfilments where the product's own code runs, once per charge by the database's guard. */
  instrumentProduct(product: Product): Product {
    const count = (action: string) => this.fulfilments.labels({ product: product.id, action });
    return Object.assign(Object.create(product) as Product, {
      fulfil: async (...args: Parameters<Product['fulfil']>) => {
        const extras = await product.fulfil(...args);
        count('fulfilled').inc();
        return extras;
      },
      fulfilStep: product.fulfilStep && {
        sql: product.fulfilStep.sql,
        applied: (row: Record<string, unknown>) => {
          const extras = product.fulfilStep!.applied(row);
          count('fulfilled').inc();
          return extras;
        },
      },
      reverse: async (...args: Parameters<Product['reverse']>) => {
        await product.reverse(...args);
        count('reversed').inc();
      },
      restore: async (...args: Parameters<Product['restore']>) => {
        await product.restore(...args);
        count('restored').inc();
      },
    });
  }

  /** Webhook worker outcomes, for `new WebhookWorker(deps, logger, metrics.webhookObserver)`. */
  readonly webhookObserver = {
    processed: (type: string, attempt: number, outcome: 'handled' | 'ignored' | 'failed') => {
      const label = eventTypeLabel(type);
      this.webhookEvents.inc({ type: label, outcome });
      if (outcome === 'failed') this.webhookFailures.inc({ type: label });
      if (attempt > 1) this.webhookRetries.inc({ type: label });
    },
  };

  /** Counts responses by route pattern, so an alert can watch the 5xx rate. */
  countResponses(app: FastifyInstance): void {
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.httpResponses.inc({ method: request.method, route, status: `${Math.floor(reply.statusCode / 100)}xx` });
      done();
    });
  }
}

interface ScrapeRow {
  inbox_depth: number;
  inbox_oldest: string | Date | null;
  inbox_failing: number;
  receipts_waiting: number;
  refunds: Record<string, number> | null;
  disputes: Record<string, number> | null;
  last_report: { repaired?: number; reported?: number; wrong_account_suspected?: boolean } | null;
  last_finished: string | Date | null;
}

const SCRAPE_QUERY = `
  select
    (select count(*)::int from stripe_events where processed_at is null) as inbox_depth,
    (select min(received_at) from stripe_events where processed_at is null) as inbox_oldest,
    (select count(*)::int from stripe_events where processed_at is null and last_error is not null) as inbox_failing,
    (select count(*)::int from charges where receipt_sent_at is null and status = 'succeeded') as receipts_waiting,
    (select jsonb_object_agg(status, n) from (select status, count(*)::int as n from refunds group by status) r) as refunds,
    (select jsonb_object_agg(status, n) from (select status, count(*)::int as n from disputes group by status) d) as disputes,
    (select report from reconcile_runs where finished_at is not null order by id desc limit 1) as last_report,
    (select finished_at from reconcile_runs where finished_at is not null order by id desc limit 1) as last_finished`;

/** Event types we handle keep their name; any other type Stripe sends is `other`, to bound the labels. */
function eventTypeLabel(type: string): string {
  return handlers[type] ? type : 'other';
}

/** `POST /v1/payment_intents/pi_123/confirm` → `POST /v1/payment_intents/:id/confirm`. */
export function stripeOperation(method: string, path: string): string {
  const bare = path.split('?')[0]!.replace(/\/[a-z]{2,5}_[A-Za-z0-9_]+/g, '/:id');
  return `${method.toUpperCase()} ${bare}`;
}

/** The last migration in drizzle/, to tell whether the database is on this code's schema. */
export function latestMigrationMillis(): number {
  const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as { entries: Array<{ when: number }> };
  return Math.max(...journal.entries.map((e) => e.when));
}

/** Whether every migration this code ships has been applied (drizzle records each one's `when`). */
export async function migrationsCurrent(db: Db, latest: number): Promise<boolean> {
  const [row] = await queryRows<{ applied: string | number | null }>(db, 'select max(created_at) as applied from drizzle.__drizzle_migrations');
  return Number(row?.applied ?? 0) >= latest;
}
