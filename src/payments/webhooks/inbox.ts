import { and, desc, eq, gte, inArray, isNotNull, isNull, lt, lte, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import type { Db } from '../../db/client.js';
import { prepared } from '../../db/prepared.js';
import { charges, type StripeEventRow, stripeEvents } from '../../db/schema.js';
import type { SyncDeps } from '../sync.js';
import { handlers } from './handlers/index.js';
import type { BatchContext } from './handlers/types.js';

export const MAX_ATTEMPTS = 8;
const handledTypes = Object.keys(handlers);
const LEASE_MS = 60_000;

/** Backoff after the n-th failed attempt: 2 s, 4 s, 8 s … capped at 10 minutes. */
export const backoffMs = (attempts: number) => Math.min(2_000 * 2 ** (attempts - 1), 600_000);

/**
 * Inserts a batch of events from their bodies as received (a JSON array of them): PostgreSQL parses
 * each body once into jsonb, and the app neither re-serialises the events nor builds the statement
 * again. A repeated id inserts nothing; the ids inserted come back. An event of a type no handler
 * takes is stored already processed (`ignored`): kept for deduplication, replay and the record, it
 * is never claimed, leased and closed (docs/decisions.md).
 */
const insertEvents = prepared((db) => {
  const ignored = sql`not (e->>'type' = any(${sql.placeholder('handled')}::text[]))`;
  return db
    .insert(stripeEvents)
    .select(
      sql`select e->>'id', e->>'type', e, ${sql.placeholder('now')}::timestamptz, 0, ${sql.placeholder('now')}::timestamptz, null,
          case when ${ignored} then ${sql.placeholder('now')}::timestamptz end, case when ${ignored} then 'ignored' end
        from jsonb_array_elements(${sql.placeholder('events')}::jsonb) e`,
    )
    .onConflictDoNothing()
    .returning({ id: stripeEvents.id })
    .prepare('insert_stripe_events');
});

/**
 * Stores verified events; a second delivery of an event id changes nothing. Deliveries that arrive
 * together are written in one INSERT (one commit instead of one each), and each request is answered
 * only once its event is stored.
 */
export class EventStore {
  private pending: Array<{ id: string; body: string; resolve: (r: { duplicate: boolean }) => void; reject: (e: unknown) => void }> = [];
  private flushing = false;

  constructor(private readonly db: Db) {}

  /** `body` is the event exactly as received (its signature verified), `id` its event id. */
  store(id: string, body: string, now: Date): Promise<{ duplicate: boolean }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ id, body, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush(now));
      }
    });
  }

  private async flush(now: Date): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, 500);
      try {
        await this.insert(batch, now);
      } catch {
        // One body PostgreSQL refuses (jsonb is stricter than JSON.parse about \u escapes) must not
        // fail the deliveries it arrived with: each is stored on its own, and only it fails.
        for (const p of batch) await this.insert([p], now).catch(p.reject);
      }
    }
    this.flushing = false;
  }

  private async insert(batch: EventStore['pending'], now: Date): Promise<void> {
    const bodies = new Map<string, string>();
    for (const p of batch) if (!bodies.has(p.id)) bodies.set(p.id, p.body);
    const inserted = await insertEvents(this.db).execute({ events: `[${[...bodies.values()].join(',')}]`, now, handled: handledTypes });
    // Within a batch only the first delivery of an id counts as new.
    const fresh = new Set(inserted.map((r) => r.id));
    for (const p of batch) p.resolve({ duplicate: !fresh.delete(p.id) });
  }
}

export interface WorkerLogger {
  warn(obj: object, msg: string): void;
}

/** Told the outcome of each event the worker takes (metrics); `attempt` counts from 1. */
export interface WorkerObserver {
  processed(type: string, attempt: number, outcome: 'handled' | 'ignored' | 'failed'): void;
}

/**
 * Processes the inbox. Each claim takes due events with FOR UPDATE SKIP LOCKED and leases them
 * (next_attempt_at moves a minute ahead), so several processes on one PostgreSQL never take the
 * same event at once, and an event whose worker died is taken again after the lease. Effects are
 * exactly-once regardless, because every handler goes through guarded transitions.
 */
export class WebhookWorker {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: SyncDeps,
    private readonly logger?: WorkerLogger,
    private readonly observer?: WorkerObserver,
  ) {}

  /** Whether it polls for due events (started and not stopped): what /readyz asks. */
  get polling(): boolean {
    return this.timer !== null;
  }

  /** Processes what is due now; concurrent kicks coalesce into one loop. */
  kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          while ((await this.processBatch(50)) > 0) {
            // keep going while there is work
          }
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private scheduled: Promise<void> | null = null;

  /**
   * Processes soon rather than now: a burst of deliveries is stored first and then processed in a
   * few batches, instead of every request starting a claim of its own.
   */
  schedule(delayMs = 20): Promise<void> {
    this.scheduled ??= new Promise<void>((resolve) => setTimeout(resolve, delayMs)).then(() => {
      this.scheduled = null;
      return this.kick();
    });
    return this.scheduled;
  }

  /** Resolves when no processing is scheduled or running. */
  async idle(): Promise<void> {
    while (this.scheduled || this.running) await (this.scheduled ?? this.running);
  }

  /** Polls for retries that have come due (production); tests kick explicitly. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.kick().catch((err) => this.logger?.warn({ err }, 'webhook worker failed')), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.idle();
  }

  /**
   * Takes up to `limit` due events, earliest due first, and leases them: FOR UPDATE SKIP LOCKED, so
   * processes sharing one PostgreSQL never take the same event, and one whose worker died is due
   * again when the lease ends. The order is the due index's (next_attempt_at, id), so a claim reads
   * only the rows it takes. The due ids are an ARRAY(subquery), an init plan run once. The claim,
   * like the close, is planned on each call, not prepared: the inbox can grow from a few rows to tens
   * of thousands within seconds, and a plan cached while it was small does not follow.
   */
  async claim(limit: number): Promise<StripeEventRow[]> {
    const now = this.deps.clock.now();
    const lease = new Date(now.getTime() + LEASE_MS);
    const due = this.deps.db
      .select({ id: stripeEvents.id })
      .from(stripeEvents)
      .where(and(isNull(stripeEvents.processedAt), lte(stripeEvents.nextAttemptAt, now), lt(stripeEvents.attempts, MAX_ATTEMPTS)))
      .orderBy(stripeEvents.nextAttemptAt, stripeEvents.id)
      .limit(limit)
      .for('update', { skipLocked: true });
    return this.deps.db
      .update(stripeEvents)
      .set({ attempts: sql`${stripeEvents.attempts} + 1`, nextAttemptAt: lease })
      .where(sql`${stripeEvents.id} = any(array(${due}))`)
      .returning();
  }

  private async processBatch(limit: number): Promise<number> {
    const claimed = await this.claim(limit);
    // Handled events are closed together in one statement at the end of the batch (a crash before
    // it only means they are handled again after the lease, which every handler tolerates).
    const done = claimed.filter((row) => !handlers[row.type]).map((row) => row.id);
    const batch = await this.batchContext(claimed);
    for (const row of claimed) if (handlers[row.type] && (await this.handle(row, batch))) done.push(row.id);
    if (done.length > 0) {
      await this.deps.db
        .update(stripeEvents)
        .set({ processedAt: this.deps.clock.now(), outcome: sql`case when ${inArray(stripeEvents.type, handledTypes)} then 'handled' else 'ignored' end`, lastError: null })
        .where(inArray(stripeEvents.id, done));
    }
    if (claimed.length > 0) this.deps.afterSettle?.();
    if (this.observer) {
      const closed = new Set(done);
      for (const row of claimed) this.observer.processed(row.type, row.attempts, !closed.has(row.id) ? 'failed' : handlers[row.type] ? 'handled' : 'ignored');
    }
    return claimed.length;
  }

  /** Our charges for the batch's PaymentIntents, in one read instead of one per event. */
  private async batchContext(claimed: StripeEventRow[]): Promise<BatchContext> {
    const intents = new Set<string>();
    for (const row of claimed) {
      const object = (row.payload as unknown as Stripe.Event).data?.object as { object?: string; id?: string } | undefined;
      if (handlers[row.type] && object?.object === 'payment_intent' && object.id) intents.add(object.id);
    }
    const rows = intents.size > 0 ? await this.deps.db.select().from(charges).where(inArray(charges.paymentIntentId, [...intents])) : [];
    return { chargesByIntent: new Map(rows.map((c) => [c.paymentIntentId!, c])) };
  }

  /** Runs the event's handler; on failure records the error and schedules a retry with backoff. */
  private async handle(row: StripeEventRow, batch: BatchContext): Promise<boolean> {
    try {
      await handlers[row.type]!(this.deps, row.payload as unknown as Stripe.Event, batch);
      return true;
    } catch (error) {
      const name = error instanceof Stripe.errors.StripeError ? error.type : error instanceof Error ? error.name : 'Error';
      const message = `${name}: ${error instanceof Error ? error.message : String(error)}`;
      this.logger?.warn({ event: row.id, type: row.type, attempts: row.attempts, error: message }, 'webhook event failed');
      await this.deps.db
        .update(stripeEvents)
        .set({ lastError: message.slice(0, 2000), nextAttemptAt: new Date(this.deps.clock.now().getTime() + backoffMs(row.attempts)) })
        .where(eq(stripeEvents.id, row.id));
      return false;
    }
  }
}

/** Makes stored events due again: all failed ones, or the given ids (replay); returns the ids requeued. */
export async function requeueEvents(db: Db, now: Date, selection: { failed: true } | { ids: string[] }): Promise<string[]> {
  const where =
    'ids' in selection
      ? inArray(stripeEvents.id, selection.ids)
      : and(isNull(stripeEvents.processedAt), gte(stripeEvents.attempts, 1), isNotNull(stripeEvents.lastError));
  const rows = await db
    .update(stripeEvents)
    .set({ attempts: 0, nextAttemptAt: now, processedAt: null })
    .where(where)
    .returning({ id: stripeEvents.id });
  return rows.map((r) => r.id);
}

/** Events that failed at least once and are not processed, newest first. */
export async function failedEvents(db: Db, limit = 100): Promise<StripeEventRow[]> {
  return db
    .select()
    .from(stripeEvents)
    .where(and(isNull(stripeEvents.processedAt), isNotNull(stripeEvents.lastError)))
    .orderBy(desc(stripeEvents.receivedAt))
    .limit(limit);
}
