/**
 * A charge's status is written in one place, src/payments/transition.ts (guarded by state.ts, with
 * its audit row): this finds every other write under src/. Run by test/architecture.test.ts and
 * `npm run lint`, which prints each write with its line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');
/** The one module that moves a charge's status. */
export const TRANSITION_MODULE = join(src, 'payments', 'transition.ts');

/** Raw SQL: the set clause of `update charges set …` (up to where/from/returning), and an insert's column list naming status. */
const UPDATE_SET = /\bupdate\s+(?:charges|\$\{charges\})\s+set\b((?:(?!\b(?:where|from|returning)\b)[\s\S])*)/i;
const INSERT_STATUS = /\binsert\s+into\s+(?:charges|\$\{charges\})\s*\([^)]*\bstatus\b/i;

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (/\.(ts|tsx|mts)$/.test(entry.name)) yield path;
  }
}

/**
 * Where a source file writes a charge's status: drizzle's `update(charges)…set({ status })`,
 * `insert(charges)…values({ status })` other than the initial 'pending' (or its `onConflictDoUpdate`
 * set), and raw SQL `update charges … status` / `insert into charges (… status …)`. A spread or a
 * variable the scan cannot see into counts as a write: it could carry the status.
 */
export function chargeStatusWrites(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const report = (nodes: ts.Node[], what: string) => {
    for (const node of nodes) found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${what}: ${node.getText().split('\n')[0]!.trim()}`);
  };
  /** The table an update or insert chain starts from: `x.update(charges).set(…)` → ['update', 'charges']. */
  const chainTable = (node: ts.Expression): [string, string] | undefined => {
    while (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      if ((method === 'update' || method === 'insert') && node.arguments.length === 1) return [method, node.arguments[0]!.getText()];
      node = node.expression.expression;
    }
    return undefined;
  };
  const name = (p: ts.ObjectLiteralElementLike) => p.name?.getText().replace(/^['"]|['"]$/g, '');
  /** The status properties (or what may hide one) of a set/values argument. */
  const statusIn = (node: ts.Expression, insert: boolean): ts.Node[] => {
    if (ts.isParenthesizedExpression(node)) return statusIn(node.expression, insert);
    if (ts.isConditionalExpression(node)) return [...statusIn(node.whenTrue, insert), ...statusIn(node.whenFalse, insert)];
    if (ts.isArrayLiteralExpression(node)) return node.elements.flatMap((e) => statusIn(e, insert));
    if (!ts.isObjectLiteralExpression(node)) return [node];
    return node.properties.flatMap((p) => {
      if (ts.isSpreadAssignment(p)) return statusIn(p.expression, insert);
      if (name(p) !== 'status') return [];
      const pending = ts.isPropertyAssignment(p) && ts.isStringLiteralLike(p.initializer) && p.initializer.text === 'pending';
      return insert && pending ? [] : [p];
    });
  };
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const table = chainTable(node.expression.expression);
      if (table?.[1] === 'charges' && node.arguments[0]) {
        const [kind] = table;
        if (method === 'set' && kind === 'update') report(statusIn(node.arguments[0], false), 'update(charges) sets status');
        if (method === 'values' && kind === 'insert') report(statusIn(node.arguments[0], true), 'insert(charges) sets a status other than pending');
        if (method === 'onConflictDoUpdate' && ts.isObjectLiteralExpression(node.arguments[0])) {
          for (const p of node.arguments[0].properties.filter((p) => name(p) === 'set')) {
            report(ts.isPropertyAssignment(p) ? statusIn(p.initializer, false) : [p], 'insert(charges) upserts status');
          }
        }
      }
    }
    if (ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      const raw = node.getText();
      const setClause = UPDATE_SET.exec(raw)?.[1];
      if ((setClause && /\bstatus\s*=/i.test(setClause)) || INSERT_STATUS.test(raw)) {
        report([node], 'SQL writes charges.status');
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every write of a charge's status under src/ outside the transition module. */
export function statusWritesOutsideTransition(): string[] {
  return [...files(src)].filter((file) => file !== TRANSITION_MODULE).flatMap((file) => chargeStatusWrites(relative(root, file), readFileSync(file, 'utf8')));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const problems = statusWritesOutsideTransition();
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`${problems.length} write(s) of a charge's status outside src/payments/transition.ts`);
    process.exit(1);
  }
  console.log("charge status: written only by src/payments/transition.ts");
}
