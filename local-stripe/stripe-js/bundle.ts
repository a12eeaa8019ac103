import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` writes the bundle beside the compiled module (dist/ has no index.ts to bundle). */
export const PREBUILT_STRIPE_JS = fileURLToPath(new URL('./stripe-js.bundle.js', import.meta.url));

let bundled: Promise<string> | undefined;

/** The Stripe.js stand-in as one browser script: the build's, else bundled once per process (a few milliseconds). */
export function stripeJs(): Promise<string> {
  bundled ??= existsSync(PREBUILT_STRIPE_JS) ? readFile(PREBUILT_STRIPE_JS, 'utf8') : bundleStripeJs();
  return bundled;
}

/** Bundles the stand-in from its TypeScript source (esbuild, loaded only when needed). */
export async function bundleStripeJs(): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    minify: true,
  });
  return result.outputFiles[0]!.text;
}
