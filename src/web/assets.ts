import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The browser scripts, bundled once at start-up (a few milliseconds) and served from memory. */
export async function bundleClientScripts(): Promise<Map<string, string>> {
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
