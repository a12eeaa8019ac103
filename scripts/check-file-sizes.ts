/**
 * No source file over 400 lines: a file that grows past it holds more than one concern and is split
 * by concern. Counts every TypeScript and JavaScript file of the project (sources, tests, bench,
 * scripts, the local Stripe; not dependencies or the build) but the one generated file. Run by
 * test/architecture.test.ts and `npm run lint`, which prints each file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
export const MAX_LINES = 400;
/** Written by `npm run openapi:write` from docs/openapi.json, never by hand. */
const GENERATED = new Set(['scripts/api/types.ts']);

/** Folders that hold no source of ours: dependencies, the build, results, hidden ones. */
const SKIPPED = new Set(['node_modules', 'dist', 'results']);

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(ts|tsx|mts|mjs|js)$/.test(entry.name)) yield path;
  }
}

/** Each source file over MAX_LINES, as `path: N lines`. */
export function oversizedFiles(): string[] {
  return [...sources(root)].flatMap((path) => {
    const file = relative(root, path);
    if (GENERATED.has(file)) return [];
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    return lines > MAX_LINES ? [`${file}: ${lines} lines`] : [];
  });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const problems = oversizedFiles();
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`${problems.length} source file(s) over ${MAX_LINES} lines: split each by concern`);
    process.exit(1);
  }
  console.log(`file sizes: no source file over ${MAX_LINES} lines`);
}
