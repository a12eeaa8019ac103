import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

let bundled: Promise<string> | undefined;

/** The Stripe.js stand-in as one browser script, built once per process (a few milliseconds). */
export function stripeJs(): Promise<string> {
  bundled ??= build({
    entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    minify: true,
  }).then((result) => result.outputFiles[0]!.text);
  return bundled;
}
