/**
 * The house's floors: a module may import its own room or a room on a lower floor, never one above.
 * Run by `npm run lint`; `npx tsx scripts/check-layers.ts` prints each upward import with its line.
 * It also keeps each product in its folder: nothing outside src/products/ imports one, and the core's
 * schema defines none of a product's tables.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Lowest first. Each entry is a file or a folder directly under src/ (extension left off). */
export const FLOORS: string[][] = [
  ['clock', 'format', 'private-files'],
  ['db'],
  ['config', 'cache'],
  ['http', 'mail', 'web', 'audit'],
  ['accounts'],
  ['payments'],
  ['organizations'],
  ['credits'],
  ['products'],
  ['articles'],
  ['finance'],
  ['operations'],
  ['app', 'demo', 'main'],
];

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"`]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

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

/** A product's own tests, under src/. */
const PRODUCT_TESTS = new RegExp(`^products\\${sep}[^\\${sep}]+\\${sep}test\\${sep}`);

export function upwardImports(): string[] {
  const problems: string[] = [];
  for (const file of files(src)) {
    const from = room(file)!;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3]!;
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      // The local Stripe is a stand-in for a remote service, usable from any floor like a package.
      if (target.startsWith(join(root, 'local-stripe'))) continue;
      const where = `${relative(root, file)}:${lineOf(text, match.index + (match[0].startsWith('\n') ? 1 : 0))}`;
      const isTest = PRODUCT_TESTS.test(relative(src, file));
      // A product's tests (src/products/<name>/test/) run on the shared test harness, as test/ does;
      // nothing else under src/ imports test code, which the build leaves out.
      if (target.includes(`${sep}test${sep}`)) {
        if (!isTest) problems.push(`${where} imports ${spec}: test code, which only a product's test/ folder may import`);
        continue;
      }
      const to = room(target);
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
      const spec = match[1] ?? match[2] ?? match[3]!;
      if (spec.startsWith('.') && !resolve(dirname(file), spec).startsWith(join(root, 'local-stripe'))) {
        problems.push(`${relative(root, file)}:${lineOf(text, match.index)}: the local Stripe imports ${spec} from outside local-stripe/`);
      }
    }
  }
  return problems;
}

/** What the rest of src/ may import from src/products/: the registry and the slot types, never a product's folder. */
export const PRODUCTS_SHARED = ['index', 'slots'];

/** Imports of a product's folder (or a products module other than PRODUCTS_SHARED) from outside src/products/. */
export function productFolderImports(): string[] {
  const products = join(src, 'products');
  const shared = PRODUCTS_SHARED.map((name) => join(products, name));
  const problems: string[] = [];
  for (const file of files(src)) {
    if (file.startsWith(products + sep)) continue;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3]!;
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec).replace(/\.(ts|tsx|js|mjs)$/, '');
      if (target.startsWith(products + sep) && !shared.includes(target)) {
        problems.push(`${relative(root, file)}:${lineOf(text, match.index + (match[0].startsWith('\n') ? 1 : 0))} imports ${spec}: only src/products/{${PRODUCTS_SHARED.join(',')}}.ts may be imported from outside src/products/`);
      }
    }
  }
  return problems;
}

const TABLE = /pgTable\(\s*['"](\w+)['"]/g;

/** Tables src/db/schema.ts defines that belong to a product: declared in a product's schema.ts, or one of the known ones. */
export function productTablesInCore(): string[] {
  const products = join(src, 'products');
  const owned = new Set(['billboards', 'featured_articles']);
  for (const entry of readdirSync(products, { withFileTypes: true })) {
    const schema = join(products, entry.name, 'schema.ts');
    if (entry.isDirectory() && existsSync(schema)) for (const match of readFileSync(schema, 'utf8').matchAll(TABLE)) owned.add(match[1]!);
  }
  const core = readFileSync(join(src, 'db', 'schema.ts'), 'utf8');
  return [...core.matchAll(TABLE)]
    .map((m) => m[1]!)
    .filter((name) => owned.has(name) || name.startsWith('listing_'))
    .map((name) => `src/db/schema.ts defines ${name}, a product's table: it belongs in src/products/<name>/schema.ts`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const problems = [...upwardImports(), ...productFolderImports(), ...productTablesInCore()];
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`${problems.length} problem(s) against the floors and product folders in scripts/check-layers.ts`);
    process.exit(1);
  }
  console.log(`layers: no upward imports (${FLOORS.flat().length} rooms); products stay in their folders`);
}
