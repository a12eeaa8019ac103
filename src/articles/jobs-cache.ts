import type { ArticleWithAuthor } from './service.js';

/**
 * /jobs is the busiest read. Its pages are kept in memory until the earliest of: one second passes
 * (other processes' writes show within a second), the first listed week ends (a listing still leaves
 * the moment it expires), or anything that can change a listing happens in this process.
 */
let generation = 0;

/** Called on every write that can change /jobs: article saves and paid-window recomputations. */
export function jobsChanged(): void {
  generation++;
}

export interface JobsPage {
  jobs: ArticleWithAuthor[];
  total: number;
  /** The earliest paid_until among all live listings: the page is stale from then on. */
  earliestExpiry: Date | null;
}

export class JobsCache {
  private entries = new Map<number, { value: JobsPage; generation: number; validUntil: number }>();

  constructor(private readonly ttlMs = 1000) {}

  async page(page: number, now: Date, load: () => Promise<JobsPage>): Promise<JobsPage> {
    const at = now.getTime();
    const hit = this.entries.get(page);
    if (hit && hit.generation === generation && at < hit.validUntil) return hit.value;
    const startedAt = generation;
    const value = await load();
    const expiry = value.earliestExpiry?.getTime() ?? Number.POSITIVE_INFINITY;
    this.entries.set(page, { value, generation: startedAt, validUntil: Math.min(at + this.ttlMs, expiry) });
    if (this.entries.size > 1000) this.entries.clear();
    return value;
  }
}
