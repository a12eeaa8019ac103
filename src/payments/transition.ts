import { and, eq, inArray, type Placeholder, SQL, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Executor } from '../db/client.js';
import { auditLog, type Charge, type ChargeStatus, charges } from '../db/schema.js';
import { canTransition, predecessors } from './state.js';

/**
 * The one place a charge's status is written (test/architecture.test.ts holds every other module to
 * that): the update is guarded by state.ts, so a charge only moves forward, and its audit row is
 * written by the same statement, so there is never a move without its entry or an entry without its
 * move. Checkout, webhooks, the return page, reconcile, refunds, disputes and the hosted page's
 * cancel all move charges through here.
 */
export interface ChargeMove {
  to: ChargeStatus;
  /** Narrows the states the charge may move from; of these, only those state.ts allows towards `to` count. */
  from?: readonly ChargeStatus[];
  /** The columns that move with the status (failure, amount refunded, client secret cleared…). */
  set?: Omit<PgUpdateSetSource<typeof charges>, 'status' | 'updatedAt'>;
  /** What else the row must be (e.g. the PaymentIntent is the row's). */
  where?: SQL;
  /** When: a value, or SQL (a placeholder of a prepared statement); also the row's updated_at. */
  at: Date | SQL;
  actor: string | SQL;
  /** The audit action; `charge.<to>` unless named. */
  action?: string;
  /** The audit entry's before and after: values, or SQL over the moved row's columns. */
  before?: unknown;
  after?: unknown;
}

const json = (value: unknown) => (value instanceof SQL ? value : value == null ? sql`null` : sql`${JSON.stringify(value)}::jsonb`);
const timestamp = (at: Date | SQL) => (at instanceof SQL ? at : sql`${at.toISOString()}::timestamptz`);

/**
 * The move as two common table expressions, `moved` (the guarded update, returning the row, if it
 * moved) and `audited` (its audit row, one per moved row), for a statement that does more in the same
 * round trip (settle.ts claims the fulfilment with them). `moveCharge` is the move on its own.
 */
export function chargeMoveCtes(db: Executor, chargeId: number | Placeholder, move: ChargeMove) {
  const from = (move.from ?? predecessors(move.to)).filter((status) => canTransition(status, move.to));
  const moved = db.$with('moved').as(
    db
      .update(charges)
      .set({ ...move.set, status: move.to, updatedAt: move.at })
      .where(and(eq(charges.id, chargeId), inArray(charges.status, from), move.where))
      .returning(),
  );
  const audited = db.$with('audited', { id: sql<number>`id` }).as(sql`
    insert into ${auditLog} (at, actor, action, subject_type, subject_id, before, after)
    select ${timestamp(move.at)}, ${move.actor}, ${move.action ?? `charge.${move.to}`}, 'charge', id::text, ${json(move.before)}, ${json(move.after)}
    from moved returning id`);
  return { moved, audited };
}

/**
 * Moves the charge to `move.to` if state.ts lets it go there from where it is, with its audit row,
 * in one statement (atomic on its own, or part of the caller's transaction). Returns the moved row,
 * or undefined when the guard refused and nothing was written.
 */
export async function moveCharge(db: Executor, chargeId: number, move: ChargeMove): Promise<Charge | undefined> {
  const { moved, audited } = chargeMoveCtes(db, chargeId, move);
  const [row] = await db.with(moved, audited).select().from(moved);
  return row;
}
