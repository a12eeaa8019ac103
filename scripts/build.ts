/**
 * `npm run build`: compiles the app and the local Stripe to JavaScript in dist/ (tsc, the same
 * strict settings as `npm run typecheck`), bundles the browser scripts (ours and the local Stripe's
 * Stripe.js stand-in), and copies what the compiled code reads at run time (the stylesheet, the
 * migrations, the Markdown worker), and makes the embedded database's template. `NODE_ENV=production npm start` runs it with plain node.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleStripeJs, PREBUILT_STRIPE_JS } from '../local-stripe/stripe-js/bundle.js';
import { openDatabase } from '../src/db/client.js';
import { productMigrations } from '../src/products/index.js';
import { bundleClientScripts } from '../src/web/assets.js';

const t0 = Date.now();
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
// The compiled src/db/client.js finds the migrations at ../../drizzle, as the source does.
cpSync('drizzle', 'dist/drizzle', { recursive: true });
// Each product's own migrations, beside its compiled index.js that names the folder.
for (const product of readdirSync('src/products')) {
  const migrations = path.join('src/products', product, 'migrations');
  if (existsSync(migrations)) cpSync(migrations, path.join('dist', migrations), { recursive: true });
}
cpSync('src/web/assets', 'dist/src/web/assets', { recursive: true });
// The Markdown worker is plain JavaScript that tsc does not emit; beside the compiled markdown.js it loads that.
cpSync('src/articles/markdown-worker.mjs', 'dist/src/articles/markdown-worker.mjs');
// So is the embedded database's worker, beside the compiled pglite-thread.js.
cpSync('src/db/pglite-thread-worker.mjs', 'dist/src/db/pglite-thread-worker.mjs');
const bundles = path.join('dist/src/web/client-bundle');
mkdirSync(bundles, { recursive: true });
for (const [url, text] of await bundleClientScripts()) writeFileSync(path.join(bundles, path.basename(url)), text);
// The embedded local Stripe's Stripe.js stand-in, bundled now as the app's scripts are.
writeFileSync(path.join('dist/local-stripe/stripe-js', path.basename(PREBUILT_STRIPE_JS)), await bundleStripeJs());
// The embedded database's template (src/db/client.ts, EmbeddedTemplate), made now if this user has
// none for these migrations, so that the first start loads it rather than creating a database.
const scratch = mkdtempSync(path.join(tmpdir(), 'devboard-build-'));
const database = await openDatabase({ dataDir: scratch, template: productMigrations });
await database.migrate(productMigrations);
await database.close();
rmSync(scratch, { recursive: true, force: true });
console.log(`built dist/ in ${((Date.now() - t0) / 1000).toFixed(1)} s; run it with NODE_ENV=production npm start`);
