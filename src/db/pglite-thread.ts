import { Worker } from 'node:worker_threads';
import { messages, type QueryOptions, type Results } from '@electric-sql/pglite';

/** What drizzle-orm/pglite calls on its client and on a transaction's. */
interface Queryable {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
}

type Request =
  | { op: 'query'; tx?: number; sql: string; params?: unknown[]; rowMode?: QueryOptions['rowMode']; textOids?: number[] }
  | { op: 'begin' }
  | { op: 'end'; tx: number; commit: boolean }
  | { op: 'dump'; compression: 'none' | 'gzip' }
  | { op: 'close' };

interface SerializedError {
  message: string;
  name?: string;
  database: boolean;
  fields: Record<string, unknown>;
}

type Reply = { ready: true } | { id: number; result: unknown } | { id: number; error: SerializedError };

const workerFile = new URL('./pglite-thread-worker.mjs', import.meta.url);

/**
 * The type OIDs whose parsers keep the text as it is. Drizzle's are all such (dates, timestamps,
 * intervals and numeric arrays stay text for its own mapping); functions cannot cross to the worker,
 * so any other parser is refused rather than silently not applied.
 */
const textOidsOf = new WeakMap<object, number[]>();
function textOids(parsers: QueryOptions['parsers']): number[] | undefined {
  if (!parsers) return undefined;
  let oids = textOidsOf.get(parsers);
  if (!oids) {
    oids = Object.entries(parsers).map(([oid, parse]) => {
      if (parse('text kept as it is', Number(oid)) !== 'text kept as it is') throw new Error(`the database worker cannot apply the parser for type ${oid}`);
      return Number(oid);
    });
    textOidsOf.set(parsers, oids);
  }
  return oids;
}

/** The worker's error as the one PGlite threw: a DatabaseError keeps its SQLSTATE code, constraint, detail … */
function revive(serialized: SerializedError, options?: QueryOptions): Error {
  const { fields } = serialized;
  const error = serialized.database
    ? new messages.DatabaseError(serialized.message, Number(fields.length ?? 0), fields.name as messages.MessageName)
    : Object.assign(new Error(serialized.message), serialized.name ? { name: serialized.name } : {});
  return Object.assign(error, fields, options ? { queryOptions: options } : {});
}

/**
 * PGlite on a worker thread: statements run and their results are parsed there, on the second
 * core, while this thread serves HTTP. Implements the part of PGlite's client that drizzle-orm/pglite
 * uses (`query`, `transaction`) and `dumpDataDir`; results, and errors with their fields, come back
 * by structured clone.
 *
 * If the worker dies, every waiting and later call fails with why, and `onFailure` is told once.
 */
export class PgliteThread implements Queryable {
  private nextId = 1;
  private pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; options?: QueryOptions }>();
  private failure: Error | undefined;
  private closing = false;

  private constructor(
    private readonly worker: Worker,
    private readonly onFailure: (error: Error) => void,
  ) {}

  static async start(options: { dataDir: string; loadDataDir?: Blob; onFailure: (error: Error) => void }): Promise<PgliteThread> {
    const loadDataDir = options.loadDataDir ? await options.loadDataDir.arrayBuffer() : undefined;
    const worker = new Worker(workerFile, {
      workerData: { dataDir: options.dataDir, loadDataDir },
      transferList: loadDataDir ? [loadDataDir] : [],
    });
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error) => {
        worker.off('message', ready);
        worker.off('exit', exited);
        reject(error);
      };
      const exited = (code: number) => failed(new Error(`the embedded database's worker exited with code ${code} while starting`));
      const ready = () => {
        worker.off('error', failed);
        worker.off('exit', exited);
        resolve();
      };
      worker.once('message', ready);
      worker.once('error', failed);
      worker.once('exit', exited);
    });
    const thread = new PgliteThread(worker, options.onFailure);
    worker.on('message', (reply: Reply) => thread.settle(reply));
    worker.on('error', (error) => thread.fail(new Error(`the embedded database's worker failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => thread.fail(new Error(`the embedded database's worker exited with code ${code}`)));
    // Idle, the worker does not keep the process alive (as PGlite in this thread would not); waiting for a reply, it does.
    worker.unref();
    return thread;
  }

  query<T>(sql: string, params?: unknown[], options?: QueryOptions, tx?: number): Promise<Results<T>> {
    const { rowMode, parsers, ...rest } = options ?? {};
    const unsupported = Object.keys(rest).filter((key) => rest[key as keyof typeof rest] !== undefined);
    if (unsupported.length > 0) return Promise.reject(new Error(`the database worker does not take query options ${unsupported.join(', ')}`));
    return this.request({ op: 'query', tx, sql, params, rowMode, textOids: textOids(parsers) }, options) as Promise<Results<T>>;
  }

  /**
   * Runs `fn` in a transaction held open in the worker (other statements wait, as in PGlite): its
   * queries go to that transaction, and it commits when `fn` resolves or rolls back when it throws.
   */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const id = (await this.request({ op: 'begin' })) as number;
    let value: T;
    try {
      value = await fn({ query: (sql, params, options) => this.query(sql, params, options, id) });
    } catch (error) {
      await this.request({ op: 'end', tx: id, commit: false });
      throw error;
    }
    await this.request({ op: 'end', tx: id, commit: true });
    return value;
  }

  /** PGlite's data directory as a tarball. */
  async dumpDataDir(compression: 'none' | 'gzip'): Promise<Blob> {
    const dump = (await this.request({ op: 'dump', compression })) as ArrayBuffer;
    return new Blob([dump], { type: compression === 'gzip' ? 'application/x-gzip' : 'application/x-tar' });
  }

  async close(): Promise<void> {
    if (this.failure) return;
    await this.request({ op: 'close' });
    this.closing = true;
    await this.worker.terminate();
  }

  private request(request: Request, options?: QueryOptions): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, options });
      this.worker.postMessage({ ...request, id });
    });
  }

  private settle(reply: Reply): void {
    if (!('id' in reply)) return;
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if ('error' in reply) waiting.reject(revive(reply.error, waiting.options));
    else waiting.resolve(reply.result);
  }

  private fail(error: Error): void {
    if (this.closing || this.failure) return;
    this.failure = error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    this.onFailure(error);
  }
}
