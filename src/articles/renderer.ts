import { Worker } from 'node:worker_threads';
import { ApiError } from '../http/errors.js';

export interface RendererOptions {
  /** A render still running after this long is stopped and the body refused. */
  deadlineMs?: number;
  /** Renders waiting beyond this many (everyone's together) are refused with a 503 rather than queued. */
  maxQueue?: number;
  /** Worker threads rendering at once: one per core the app may use. */
  workers?: number;
  /** Renders one author may have waiting or running; more are refused with a 429. */
  perAuthor?: number;
}

/** Whose body it is: each author gets a bounded, fair share of the workers. */
export type AuthorId = number | 'system';

interface Job {
  markdown: string;
  author: AuthorId;
  resolve: (html: string) => void;
  reject: (error: Error) => void;
}

/** One worker thread and the body it is rendering. */
interface Slot {
  worker: Worker | undefined;
  ready: boolean;
  running: Job | undefined;
  timer: NodeJS.Timeout | undefined;
}

const workerFile = new URL('./markdown-worker.mjs', import.meta.url);

const refused = (message: string) => new ApiError(400, 'validation_failed', 'Some fields are invalid.', { body_markdown: message });
const TOO_SLOW = 'Too complex to render in time: simplify deeply nested HTML, quotes or lists, or long runs of markup characters.';

/**
 * Renders Markdown on worker threads, each body within a deadline. The event loop never waits on a
 * render, and a body that would take longer than the deadline (whatever the reason: a parser's
 * worst case, deep HTML nesting) costs at most the deadline: its worker is stopped and a fresh one
 * started for the next body.
 *
 * The workers are shared fairly: an author has at most `perAuthor` bodies in flight (more answer
 * 429), and a free worker takes the body of the author served longest ago (one not served while
 * they had bodies in flight first). So members flooding the workers with large bodies delay
 * another member's save by at most the renders already running, not by their queue.
 */
export class MarkdownRenderer {
  private readonly deadlineMs: number;
  private readonly maxQueue: number;
  private readonly perAuthor: number;
  private readonly slots: Slot[];
  private queue: Job[] = [];
  /** Authors with bodies in flight: how many, and when one of theirs last started (a counter). */
  private readonly authors = new Map<AuthorId, { inFlight: number; lastStarted: number }>();
  private starts = 0;
  private closed = false;

  constructor(options: RendererOptions = {}) {
    this.deadlineMs = options.deadlineMs ?? 2_000;
    this.maxQueue = options.maxQueue ?? 100;
    this.perAuthor = options.perAuthor ?? 4;
    this.slots = Array.from({ length: options.workers ?? 2 }, () => ({ worker: undefined, ready: false, running: undefined, timer: undefined }));
  }

  render(markdown: string, author: AuthorId = 'system'): Promise<string> {
    if (this.closed) return Promise.reject(new Error('markdown renderer is closed'));
    const share = this.authors.get(author) ?? { inFlight: 0, lastStarted: 0 };
    if (share.inFlight >= this.perAuthor) {
      return Promise.reject(
        new ApiError(429, 'rendering_busy', `You have ${this.perAuthor} articles being rendered already. Wait for one of them to be saved, then try again.`),
      );
    }
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(new ApiError(503, 'busy', 'Too many articles are being saved right now. Try again in a moment.'));
    }
    share.inFlight++;
    this.authors.set(author, share);
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ markdown, author, resolve, reject });
      this.next();
    }).finally(() => {
      if (--share.inFlight === 0) this.authors.delete(author);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const closed = new Error('markdown renderer is closed');
    for (const job of this.queue.splice(0)) job.reject(closed);
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.running?.reject(closed);
        slot.running = undefined;
        clearTimeout(slot.timer);
        const worker = slot.worker;
        slot.worker = undefined;
        await worker?.terminate();
      }),
    );
  }

  private next(): void {
    for (const slot of this.slots) {
      if (slot.running || this.closed || this.queue.length === 0) continue;
      if (!slot.worker) this.start(slot);
      // Start-up (loading the parser in a fresh thread) does not count against a body's deadline.
      if (!slot.ready) continue;
      const job = this.takeFairly();
      slot.running = job;
      slot.worker!.postMessage(job.markdown);
      slot.timer = setTimeout(() => this.stop(slot, refused(TOO_SLOW)), this.deadlineMs);
    }
  }

  /** The oldest body of the author whose last render started longest ago. */
  private takeFairly(): Job {
    let chosen = 0;
    let chosenStarted = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.queue.length; i++) {
      const started = this.authors.get(this.queue[i]!.author)?.lastStarted ?? 0;
      if (started < chosenStarted) {
        chosen = i;
        chosenStarted = started;
      }
    }
    const [job] = this.queue.splice(chosen, 1);
    const share = this.authors.get(job!.author);
    if (share) share.lastStarted = ++this.starts;
    return job!;
  }

  private start(slot: Slot): void {
    const worker = new Worker(workerFile);
    slot.worker = worker;
    slot.ready = false;
    worker.on('message', (message: { ready?: true; html?: string; refused?: string }) => {
      if (worker !== slot.worker) return;
      if (message.ready) {
        slot.ready = true;
      } else if (slot.running) {
        clearTimeout(slot.timer);
        const job = slot.running;
        slot.running = undefined;
        if (message.html !== undefined) job.resolve(message.html);
        else job.reject(refused(message.refused ?? TOO_SLOW));
      }
      this.next();
    });
    worker.on('error', (error) => {
      if (worker === slot.worker) this.stop(slot, error);
    });
    worker.on('exit', () => {
      if (worker === slot.worker) this.stop(slot, new Error('markdown worker exited'));
    });
  }

  /**
   * Stops a worker (ending the CPU it was burning) and fails the body it was rendering, or, if it
   * died before it was ready, the next one waiting, so a worker that cannot start fails requests
   * instead of hanging them.
   */
  private stop(slot: Slot, error: Error): void {
    clearTimeout(slot.timer);
    const job = slot.running ?? (slot.ready ? undefined : this.queue.shift());
    slot.running = undefined;
    const worker = slot.worker;
    slot.worker = undefined;
    slot.ready = false;
    void worker?.terminate();
    job?.reject(error);
    this.next();
  }
}
