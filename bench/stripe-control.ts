import { type ChildProcess, fork } from 'node:child_process';
import type { StripeCalls } from './stripe-process.js';

export interface StripeControl {
  process: ChildProcess;
  url: string;
  secretKey: string;
  publishableKey: string;
  /** One call into the local Stripe's process (bench/stripe-process.ts). */
  call<K extends keyof StripeCalls>(call: K, ...args: Parameters<StripeCalls[K]>): Promise<Awaited<ReturnType<StripeCalls[K]>>>;
  stop(): Promise<void>;
}

/** The local Stripe in a process of its own, so its CPU is measured apart from the app's and the load's. */
export async function startStripeProcess(): Promise<StripeControl> {
  const child = fork('bench/stripe-process.ts', [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const replies = new Map<number, (result: unknown) => void>();
  let nextId = 0;
  const ready = await new Promise<{ url: string; secretKey: string; publishableKey: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the local Stripe exited with ${code}`)));
    child.on('message', (message: { ready?: { url: string; secretKey: string; publishableKey: string }; id?: number; result?: unknown }) => {
      if (message.ready) resolve(message.ready);
      else replies.get(message.id!)?.(message.result);
    });
  });
  return {
    process: child,
    ...ready,
    call(call, ...args) {
      const id = nextId++;
      return new Promise((resolve) => {
        replies.set(id, (result) => {
          replies.delete(id);
          resolve(result as never);
        });
        child.send({ id, call, args });
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
