import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { products } from '../src/products/index.js';
import { productFolderImports, productTablesInCore, upwardImports } from '../scripts/check-layers.js';

const core = join(import.meta.dirname, '..', 'src', 'payments');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Every way a product's id can be spelt in code or prose, and each word of it except the generic subject "article". */
function spellings(id: string): RegExp[] {
  const words = id.split('_');
  const camel = words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
  const whole = [words.join('_'), words.join('-'), words.join(' '), camel];
  return [...whole, ...words.filter((w) => w !== 'article')].map((s) => new RegExp(`\\b${s}s?\\b`, 'i'));
}

describe('the payments core', () => {
  it('names no product: a product is added in src/products without editing src/payments', () => {
    expect(products.length).toBeGreaterThanOrEqual(3);
    const found: string[] = [];
    for (const file of sources(core)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      for (const product of products) {
        for (const pattern of [...spellings(product.id), new RegExp(product.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i')]) {
          lines.forEach((line, i) => {
            if (pattern.test(line)) found.push(`${file}:${i + 1} names ${product.id}: ${line.trim()}`);
          });
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('has no upward imports between rooms (the same check as npm run lint)', () => {
    expect(upwardImports()).toEqual([]);
  });
});

describe('a product is one folder', () => {
  it('is imported from outside src/products/ only through the registry (index.ts) and the slot types (slots.ts)', () => {
    expect(productFolderImports()).toEqual([]);
  });

  it("keeps its tables out of the core's schema (src/db/schema.ts)", () => {
    expect(productTablesInCore()).toEqual([]);
  });
});
