/**
 * The house's floors: a module may import its own room or a room on a lower floor, never one above.
 * Run by `npm run lint`; `npx tsx scripts/check-layers.ts` prints each upward import with its line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Lowest first. Each entry is a file or a folder directly under src/ (extension left off). */
export const FLOORS: string[][] = [
  ['clock', 'format', 'private-files'],
  ['db'],
  ['config', 'cache'],
  ['http', 'mail', 'web', 'audit'],
  ['accounts'],
  ['payments'],
  ['products'],
  ['articles'],
  ['finance'],
  ['operations'],
  ['app', 'demo', 'main'],
];

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"`]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (/\.(ts|tsx|mts|mjs)$/.test(entry.name)) yield path;
  }
}

/** The room a path under src/ belongs to: its first segment, without extension. */
function room(path: string): string | undefined {
  const rel = relative(src, path);
  if (rel.startsWith('..')) return undefined;
  return rel.split(sep)[0]!.replace(/\.(ts|tsx|js|mjs)$/, '');
}

function floorOf(name: string): number {
  const floor = FLOORS.findIndex((rooms) => rooms.includes(name));
  if (floor < 0) throw new Error(`src/${name} is on no floor: add it to FLOORS in scripts/check-layers.ts`);
  return floor;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

export function upwardImports(): string[] {
  const problems: string[] = [];
  for (const file of files(src)) {
    const from = room(file)!;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2]!;
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      // The local Stripe is a stand-in for a remote service, usable from any floor like a package.
      if (target.startsWith(join(root, 'local-stripe'))) continue;
      const to = room(target);
      const where = `${relative(root, file)}:${lineOf(text, match.index + (match[0].startsWith('\n') ? 1 : 0))}`;
      if (to === undefined) {
        problems.push(`${where} imports ${spec}, outside src/`);
        continue;
      }
      if (to !== from && floorOf(to) > floorOf(from)) problems.push(`${where}: ${from} imports ${to} (${spec}), a room above it`);
    }
  }
  // The local Stripe stands in for a remote service: it imports nothing from the app.
  for (const file of files(join(root, 'local-stripe'))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2]!;
      if (spec.startsWith('.') && !resolve(dirname(file), spec).startsWith(join(root, 'local-stripe'))) {
        problems.push(`${relative(root, file)}:${lineOf(text, match.index)}: the local Stripe imports ${spec} from outside local-stripe/`);
      }
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const problems = upwardImports();
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`${problems.length} import(s) against the floors in scripts/check-layers.ts`);
    process.exit(1);
  }
  console.log(`layers: no upward imports (${FLOORS.flat().length} rooms)`);
}
