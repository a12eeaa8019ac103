/**
 * `npm run build`: compiles the app and the local Stripe to JavaScript in dist/ (tsc, the same
 * strict settings as `npm run typecheck`), bundles the browser scripts, and copies what the compiled
 * code reads at run time (the stylesheet, the migrations). `NODE_ENV=production npm start` runs it
 * with plain node.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleClientScripts } from '../src/web/assets.js';

const t0 = Date.now();
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
// The compiled src/db/client.js finds the migrations at ../../drizzle, as the source does.
cpSync('drizzle', 'dist/drizzle', { recursive: true });
cpSync('src/web/assets', 'dist/src/web/assets', { recursive: true });
const bundles = path.join('dist/src/web/client-bundle');
mkdirSync(bundles, { recursive: true });
for (const [url, text] of await bundleClientScripts()) writeFileSync(path.join(bundles, path.basename(url)), text);
console.log(`built dist/ in ${((Date.now() - t0) / 1000).toFixed(1)} s; run it with NODE_ENV=production npm start`);
