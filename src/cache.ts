/**
 * A small in-memory cache for the busiest public reads (/jobs and its sidebar). An entry lives until
 * the earliest of: its TTL (other processes' writes show within it), the moment its content expires
 * (a listing leaves the moment its week ends), or any write in this process that can change what is
 * listed (listingsChanged).
 */
let generation = 0;

/** Called on every write that can change what /jobs or its sidebar shows. */
export function listingsChanged(): void {
  generation++;
}

export class ExpiringCache<T> {
  private entries = new Map<string | number, { value: T; generation: number; validUntil: number }>();
  /** Loads in progress: concurrent misses for one key share one query instead of stampeding. */
  private loading = new Map<string | number, { generation: number; promise: Promise<T> }>();

  constructor(private readonly ttlMs = 1000) {}

  async get(key: string | number, now: Date, load: () => Promise<{ value: T; expiresAt: Date | null }>): Promise<T> {
    const at = now.getTime();
    const hit = this.entries.get(key);
    if (hit && hit.generation === generation && at < hit.validUntil) return hit.value;
    const inFlight = this.loading.get(key);
    if (inFlight && inFlight.generation === generation) return inFlight.promise;
    const startedAt = generation;
    const promise = load().then(({ value, expiresAt }) => {
      if (this.entries.size > 1000) this.entries.clear();
      this.entries.set(key, { value, generation: startedAt, validUntil: Math.min(at + this.ttlMs, expiresAt?.getTime() ?? Number.POSITIVE_INFINITY) });
      return value;
    });
    this.loading.set(key, { generation: startedAt, promise });
    try {
      return await promise;
    } finally {
      if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
    }
  }
}
