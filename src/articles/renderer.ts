import { Worker } from 'node:worker_threads';
import { ApiError } from '../http/errors.js';

export interface RendererOptions {
  /** A render still running after this long is stopped and the body refused. */
  deadlineMs?: number;
  /** Renders waiting beyond this many are refused with a 503 rather than queued. */
  maxQueue?: number;
}

interface Job {
  markdown: string;
  resolve: (html: string) => void;
  reject: (error: Error) => void;
}

const workerFile = new URL('./markdown-worker.mjs', import.meta.url);

const refused = (message: string) => new ApiError(400, 'validation_failed', 'Some fields are invalid.', { body_markdown: message });
const TOO_SLOW = 'Too complex to render in time: simplify deeply nested HTML, quotes or lists, or long runs of markup characters.';

/**
 * Renders Markdown on a worker thread, one body at a time, each within a deadline. The event loop
 * never waits on a render, and a body that would take longer than the deadline (whatever the
 * reason: a parser's worst case, deep HTML nesting) costs at most the deadline: the worker is
 * stopped and a fresh one started for the next body.
 */
export class MarkdownRenderer {
  private readonly deadlineMs: number;
  private readonly maxQueue: number;
  private worker: Worker | undefined;
  private ready = false;
  private queue: Job[] = [];
  private running: Job | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: RendererOptions = {}) {
    this.deadlineMs = options.deadlineMs ?? 2_000;
    this.maxQueue = options.maxQueue ?? 100;
  }

  render(markdown: string): Promise<string> {
    if (this.closed) return Promise.reject(new Error('markdown renderer is closed'));
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(new ApiError(503, 'busy', 'Too many articles are being saved right now. Try again in a moment.'));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ markdown, resolve, reject });
      this.next();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const closed = new Error('markdown renderer is closed');
    for (const job of this.queue.splice(0)) job.reject(closed);
    this.running?.reject(closed);
    this.running = undefined;
    clearTimeout(this.timer);
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private next(): void {
    if (this.running || this.closed || this.queue.length === 0) return;
    if (!this.worker) this.start();
    // Start-up (loading the parser in a fresh thread) does not count against a body's deadline.
    if (!this.ready) return;
    const job = this.queue.shift()!;
    this.running = job;
    this.worker!.postMessage(job.markdown);
    this.timer = setTimeout(() => this.stop(refused(TOO_SLOW)), this.deadlineMs);
  }

  private start(): void {
    const worker = new Worker(workerFile);
    this.worker = worker;
    this.ready = false;
    worker.on('message', (message: { ready?: true; html?: string; refused?: string }) => {
      if (worker !== this.worker) return;
      if (message.ready) {
        this.ready = true;
      } else if (this.running) {
        clearTimeout(this.timer);
        const job = this.running;
        this.running = undefined;
        if (message.html !== undefined) job.resolve(message.html);
        else job.reject(refused(message.refused ?? TOO_SLOW));
      }
      this.next();
    });
    worker.on('error', (error) => {
      if (worker === this.worker) this.stop(error);
    });
    worker.on('exit', () => {
      if (worker === this.worker) this.stop(new Error('markdown worker exited'));
    });
  }

  /**
   * Stops the worker (ending the CPU it was burning) and fails the body it was rendering, or, if it
   * died before it was ready, the next one waiting, so a worker that cannot start fails requests
   * instead of hanging them.
   */
  private stop(error: Error): void {
    clearTimeout(this.timer);
    const job = this.running ?? this.queue.shift();
    this.running = undefined;
    const worker = this.worker;
    this.worker = undefined;
    this.ready = false;
    void worker?.terminate();
    job?.reject(error);
    this.next();
  }
}
