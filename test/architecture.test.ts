import { describe, expect, it } from 'vitest';
import { products } from '../src/products/index.js';
import { chargeStatusWrites, statusWritesOutsideTransition } from '../scripts/check-charge-status.js';
import { MAX_LINES, oversizedFiles } from '../scripts/check-file-sizes.js';
import { productNamesInCore } from '../scripts/check-product-names.js';
import { productFolderImports, productTablesInCore, upwardImports } from '../scripts/check-layers.js';

describe('the payments core', () => {
  it('names no product: a product is added in src/products without editing src/payments (the same check as npm run lint)', () => {
    expect(products.length).toBeGreaterThanOrEqual(4);
    expect(productNamesInCore()).toEqual([]);
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

describe('source files', () => {
  it(`are at most ${MAX_LINES} lines each, the generated API types aside (the same check as npm run lint)`, () => {
    expect(oversizedFiles()).toEqual([]);
  });
});
