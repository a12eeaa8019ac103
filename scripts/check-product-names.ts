/**
 * The payments core names no product: a product is added in src/products without editing
 * src/payments. This finds every line under src/payments that spells a registered product's id, a
 * word of it (no word exempt, not even the subject "article") or its name. Run by
 * test/architecture.test.ts and `npm run lint`, which prints each line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { products } from '../src/products/index.js';

const root = resolve(import.meta.dirname, '..');
const core = join(root, 'src', 'payments');

/**
 * The one file under src/payments that may spell the seed's subject: the API's field `article_id` and
 * the column charges.article_id are the contract, so they keep their names, in this file only.
 */
export const SEED_SUBJECT = join(core, 'subject.ts');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * Every way a product's id can be spelt in code or prose, and each word of it, also inside an
 * identifier (`articleId`, `needs_article`).
 */
export function spellings(id: string): RegExp[] {
  const words = id.split('_');
  const camel = words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
  const whole = [words.join('_'), words.join('-'), words.join(' '), camel].map((s) => new RegExp(`\\b${s}s?\\b`, 'i'));
  // A word starts after a non-letter, or capitalised (camelCase); it ends before a lowercase letter.
  const inIdentifiers = words.map((w) => new RegExp(`(?:(?<![A-Za-z])${w[0]}|${w[0]!.toUpperCase()})${w.slice(1)}s?(?![a-z])`));
  return [...whole, ...inIdentifiers];
}

/** Each line under src/payments (but SEED_SUBJECT) that names a product, as `file:line names id: text`. */
export function productNamesInCore(): string[] {
  const found: string[] = [];
  for (const file of sources(core).filter((f) => f !== SEED_SUBJECT)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const product of products) {
      const patterns = [...spellings(product.id), new RegExp(product.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i')];
      lines.forEach((line, i) => {
        if (patterns.some((pattern) => pattern.test(line))) found.push(`${relative(root, file)}:${i + 1} names ${product.id}: ${line.trim()}`);
      });
    }
  }
  return found;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const problems = productNamesInCore();
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`${problems.length} line(s) of src/payments name a product`);
    process.exit(1);
  }
  console.log(`payments core: names none of the ${products.length} products`);
}
