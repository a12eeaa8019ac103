import { eq } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Database } from '../db/client.js';
import { periodicRuns } from '../db/schema.js';

/** A job every instance schedules, run by one of them at a time, about once per interval overall. */
export interface PeriodicTask {
  /** Names its lock and its row in periodic_runs: the same name is the same task on every instance. */
  name: string;
  intervalMs: number;
  run: () => Promise<void>;
}

export interface PeriodicLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** What one check did: ran the task, found it run less than an interval ago, or found it running elsewhere. */
export type TickOutcome = 'ran' | 'not_due' | 'busy';

/**
 * Runs a periodic task once per interval across all instances on one database. Each instance checks
 * every `checkEveryMs` (a minute, or the interval if shorter); a check takes the task's lock without
 * waiting (`Database.exclusively`: an advisory lock on PostgreSQL), so two instances never run it at
 * once, and under the lock it runs only if periodic_runs says the last start was an interval ago or
 * more. A failed run is logged and tried again an interval later; a run cut short by a crash frees the
 * lock with its connection and the next check after the interval runs it again.
 */
export class PeriodicTaskRunner {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<unknown> | null = null;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly task: PeriodicTask,
    private readonly logger?: PeriodicLogger,
  ) {}

  /** One check: runs the task if it is due and no other instance is running it. */
  async tick(): Promise<TickOutcome> {
    const { db } = this.database;
    const { name, intervalMs } = this.task;
    const outcome = await this.database.exclusively(
      `periodic:${name}`,
      async (): Promise<TickOutcome> => {
        const now = this.clock.now();
        const [last] = await db.select({ startedAt: periodicRuns.startedAt }).from(periodicRuns).where(eq(periodicRuns.name, name));
        if (last && now.getTime() - last.startedAt.getTime() < intervalMs) return 'not_due';
        await db
          .insert(periodicRuns)
          .values({ name, startedAt: now, finishedAt: null })
          .onConflictDoUpdate({ target: periodicRuns.name, set: { startedAt: now, finishedAt: null } });
        await this.task.run();
        await db.update(periodicRuns).set({ finishedAt: this.clock.now() }).where(eq(periodicRuns.name, name));
        return 'ran';
      },
      { wait: false },
    );
    return outcome.ran ? outcome.value : 'busy';
  }

  start(checkEveryMs = Math.min(this.task.intervalMs, 60_000)): void {
    this.timer = setInterval(() => {
      if (this.current) return;
      this.current = this.tick()
        .then(
          (outcome) => outcome === 'ran' && this.logger?.info({ task: this.task.name }, 'periodic task ran'),
          (err) => this.logger?.warn({ err, task: this.task.name }, 'periodic task failed'),
        )
        .finally(() => {
          this.current = null;
        });
    }, checkEveryMs);
    this.timer.unref();
  }

  /** Stops checking and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.current;
  }
}
