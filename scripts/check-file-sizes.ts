/**
 * No source file over 400 lines: a file that grows past it holds more than one concern and is split
 * by concern. Counts every TypeScript and JavaScript file git tracks (sources, tests, bench,
 * scripts, the local Stripe) but the one generated file. Run by test/architecture.test.ts and
 * `npm run lint`, which prints each file.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
export const MAX_LINES = 400;
/** Written by `npm run openapi:write` from docs/openapi.json, never by hand. */
const GENERATED = new Set(['scripts/api/types.ts']);

/** Each tracked source file over MAX_LINES, as `path: N lines`. */
export function oversizedFiles(): string[] {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.tsx', '*.mts', '*.mjs', '*.js'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file && !GENERATED.has(file));
  return files.flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(join(root, file), 'utf8');
    } catch {
      return []; // deleted in the working tree, not yet in the index
    }
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
