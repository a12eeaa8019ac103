import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` writes the browser scripts beside the compiled module. */
export const PREBUILT_DIR = fileURLToPath(new URL('./client-bundle/', import.meta.url));

/**
 * The browser scripts, served from memory: read from the build's output in production, otherwise
 * bundled at start-up (a few milliseconds).
 */
export async function clientScripts(): Promise<Map<string, string>> {
  if (existsSync(PREBUILT_DIR)) {
    return new Map(readdirSync(PREBUILT_DIR).map((name) => [`/assets/${name}`, readFileSync(`${PREBUILT_DIR}${name}`, 'utf8')]));
  }
  return bundleClientScripts();
}

/** Bundles the browser scripts from their TypeScript sources (esbuild, loaded only when needed). */
export async function bundleClientScripts(): Promise<Map<string, string>> {
  const { build } = await import('esbuild');
  const entry = (name: string) => fileURLToPath(new URL(`./client/${name}.ts`, import.meta.url));
  const result = await build({
    entryPoints: { checkout: entry('checkout'), confirm: entry('confirm') },
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    minify: true,
    outdir: '/assets',
  });
  return new Map(result.outputFiles.map((f) => [`/assets/${f.path.split('/').pop()}`, f.text]));
}
