import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { products } from '../src/products/index.js';
import { chargeStatusWrites, statusWritesOutsideTransition } from '../scripts/check-charge-status.js';
import { productFolderImports, productTablesInCore, upwardImports } from '../scripts/check-layers.js';

const core = join(import.meta.dirname, '..', 'src', 'payments');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * Every way a product's id can be spelt in code or prose, and each word of it, also inside an
 * identifier (`articleId`, `needs_article`): no word is exempt, not even the subject "article".
 */
function spellings(id: string): RegExp[] {
  const words = id.split('_');
  const camel = words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
  const whole = [words.join('_'), words.join('-'), words.join(' '), camel].map((s) => new RegExp(`\\b${s}s?\\b`, 'i'));
  // A word starts after a non-letter, or capitalised (camelCase); it ends before a lowercase letter.
  const inIdentifiers = words.map((w) => new RegExp(`(?:(?<![A-Za-z])${w[0]}|${w[0]!.toUpperCase()})${w.slice(1)}s?(?![a-z])`));
  return [...whole, ...inIdentifiers];
}

/**
 * The one file under src/payments that may spell the seed's subject: the API's field `article_id` and
 * the column charges.article_id are the contract, so they keep their names, in this file only.
 */
const SEED_SUBJECT = join(core, 'subject.ts');

describe('the payments core', () => {
  it('names no product: a product is added in src/products without editing src/payments', () => {
    expect(products.length).toBeGreaterThanOrEqual(3);
    const found: string[] = [];
    for (const file of sources(core).filter((f) => f !== SEED_SUBJECT)) {
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

describe("a charge's status", () => {
  it('is written only by src/payments/transition.ts (the same check as npm run lint)', () => {
    expect(statusWritesOutsideTransition()).toEqual([]);
  });

  it('is found by the scan however it is written', () => {
    // Source text under test: #{ stands for a template's ${ (which a string literal may not hold here).
    const writes = (code: string) => chargeStatusWrites('x.ts', code.replaceAll('#{', '$' + '{')).length;
    expect(writes(`db.update(charges).set({ status: 'failed', updatedAt: now }).where(w)`)).toBe(1);
    expect(writes(`tx.update(charges).set({ ...(x ? { status } : {}), a: 1 })`)).toBe(1);
    expect(writes(`tx.update(charges).set(changes)`)).toBe(1);
    expect(writes(`db.insert(charges).values({ status: 'succeeded' })`)).toBe(1);
    expect(writes(`db.insert(charges).values({ a }).onConflictDoUpdate({ target: charges.id, set: { status: s } })`)).toBe(1);
    expect(writes('db.execute(sql`update #{charges} set status = #{s} where id = #{id}`)')).toBe(1);
    expect(writes("q('update charges set updated_at = now(), status = $1')".replace(/'/g, '`'))).toBe(1);
    expect(writes('db.execute(sql`insert into charges (user_id, status) values (1, #{s})`)')).toBe(1);
    // Creating a charge as pending, writing other columns, and reading the status are not moves.
    expect(writes(`db.insert(charges).values({ status: 'pending', amount })`)).toBe(0);
    expect(writes(`db.update(charges).set({ receiptSentAt: now }).where(eq(charges.status, 'succeeded'))`)).toBe(0);
    expect(writes('sql`update #{charges} set receipt_sent_at = null where status = #{s}`')).toBe(0);
    expect(writes(`db.update(refunds).set({ status: 'succeeded' })`)).toBe(0);
  });
});
