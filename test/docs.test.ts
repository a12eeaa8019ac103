import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { handlers } from '../src/payments/webhooks/handlers/index.js';
import { products, schedules } from '../src/products/index.js';

/**
 * The docs checked against the code where a machine can judge: names, commands, settings, paths and
 * the one code example. A failure here means a doc says something the code does not.
 */

const root = join(import.meta.dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const payments = read('docs/payments.md');
const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);

/** The lines of the first Markdown table after `heading`. */
function tableAfter(text: string, heading: string): string[] {
  const lines = text.slice(text.indexOf(heading)).split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
  return lines.slice(start, end);
}

/** The members of an exported interface, as declared in a source file. */
function interfaceMembers(file: string, name: string): string[] {
  const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.Latest);
  const declaration = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  return declaration!.members.map((m) => (m.name as ts.Identifier).text);
}

/** The type errors of `text` compiled as the file `path` of this project, with the project's settings. */
function compileErrors(path: string, text: string): string[] {
  const file = join(root, path);
  const options: ts.CompilerOptions = { ...ts.parseJsonConfigFileContent({ compilerOptions: JSON.parse(read('tsconfig.json')).compilerOptions }, ts.sys, root).options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (name, ...rest) => (name === file ? ts.createSourceFile(name, text, ts.ScriptTarget.Latest) : getSourceFile.call(host, name, ...rest));
  host.fileExists = (name) => name === file || ts.sys.fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('docs/payments.md', () => {
  it('names every webhook event type the handlers folder handles, in full', () => {
    expect(Object.keys(handlers).filter((type) => !payments.includes(`\`${type}\``))).toEqual([]);
  });

  it('says how many products exist and names each', () => {
    const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    const said = payments.match(/(\w+) products exist/i);
    expect(said?.[1]?.toLowerCase()).toBe(words[products.length]);
    expect(products.filter((p) => !payments.includes(`\`${p.id}\``)).map((p) => p.id)).toEqual([]);
  });

  it('lists exactly the members of the Product interface in src/payments/catalog.ts', () => {
    const table = tableAfter(payments, 'A product declares').slice(2);
    const named = table.flatMap((row) => [...row.split('|')[1]!.matchAll(/`(\w+)/g)].map((m) => m[1]!));
    expect(new Set(named)).toEqual(new Set(interfaceMembers('src/payments/catalog.ts', 'Product')));
  });

  it('shows an example product that compiles against the real interface', () => {
    const example = payments.match(/```ts\n(\/\/ (src\/products\/[\w/-]+\.ts)\n[\s\S]*?)```/);
    expect(example, 'a ```ts block starting with the path of the example product').not.toBeNull();
    expect(compileErrors(example![2]!, example![1]!)).toEqual([]);
  }, 60_000);

  it('shows, under "How to add a way to pay", an example way that compiles against the real interface', () => {
    const section = payments.slice(payments.indexOf('### How to add a way to pay'));
    const example = section.match(/```ts\n(\/\/ (src\/payments\/ways-to-pay\/[\w/-]+\.ts)\n[\s\S]*?)```/);
    expect(example, 'a ```ts block starting with the path of the example way to pay').not.toBeNull();
    expect(example![1]).toMatch(/: WayToPay = \{/);
    expect(compileErrors(example![2]!, example![1]!)).toEqual([]);
  }, 60_000);
});

describe('README.md', () => {
  it('has every package.json script, and .ci/run, as a row of its commands table', () => {
    const table = tableAfter(read('README.md'), '## Commands').join('\n');
    const missing = scripts.filter((s) => !new RegExp(`\`npm (run )?${s.replace(':', '\\:')}[\` ]`).test(table));
    expect(missing).toEqual([]);
    expect(table).toContain('`bash .ci/run`');
  });

  it('has every environment variable src/config.ts reads in its configuration table', () => {
    const table = tableAfter(read('README.md'), '## Configuration').join('\n');
    const variables = [...read('src/config.ts').matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    expect(variables.length).toBeGreaterThan(10);
    expect(variables.filter((v) => !table.includes(`\`${v}\``))).toEqual([]);
  });
});

describe('every doc', () => {
  it('runs only npm scripts that exist', () => {
    const unknown = docs.flatMap((doc) => [...read(doc).matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!).filter((s) => !scripts.includes(s)).map((s) => `${doc}: npm run ${s}`));
    expect(unknown).toEqual([]);
  });

  it('names only files and folders that exist', () => {
    const top = /^(src|test|docs|bench|scripts|local-stripe|drizzle|\.ci)\//;
    const missing = docs.flatMap((doc) =>
      [...read(doc).matchAll(/`([\w.-]+(?:\/[\w.-]+)+\/?)`/g)]
        .map((m) => m[1]!)
        .filter((p) => top.test(p) && !p.includes('<') && !existsSync(join(root, p)))
        .map((p) => `${doc}: ${p}`),
    );
    expect(missing).toEqual([]);
  });

  it('does not say there is no build step, since production runs npm run build', () => {
    expect(scripts).toContain('build');
    expect(docs.filter((doc) => /no build step/i.test(read(doc)))).toEqual([]);
  });
});

describe('docs/operations.md', () => {
  it("names every periodic task src/main.ts schedules in the multi-instance table's periodic row", () => {
    // main.ts names its own tasks and runs every product's (their schedules, from the registry).
    const tasks = [...[...read('src/main.ts').matchAll(/new PeriodicTaskRunner\([^{]*\{\s*name: '([\w-]+)'/g)].map((m) => m[1]!), ...schedules.map((s) => s.name)];
    expect(tasks.length).toBeGreaterThanOrEqual(4);
    const row = tableAfter(read('docs/operations.md'), 'What is shared through PostgreSQL').find((line) => line.startsWith('| periodic tasks'));
    expect(tasks.filter((task) => !row?.includes(`\`${task}\``))).toEqual([]);
  });
});

describe('docs/local-stripe.md', () => {
  it("names every module of the emulator in its layout", () => {
    const layout = read('docs/local-stripe.md').split('## Running it')[0]!;
    const modules = ['', 'http/', 'resources/'].flatMap((dir) =>
      readdirSync(join(root, 'local-stripe', dir))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => ({ dir, name: f.replace(/\.ts$/, '') })),
    );
    const missing = modules.filter(({ dir, name }) => !layout.includes(`\`${name}.ts\``) && !(dir && new RegExp(`\`${name}\``).test(layout)));
    expect(missing.map(({ dir, name }) => `${dir}${name}.ts`)).toEqual([]);
  });

  it('does not promise that a new endpoint touches one file', () => {
    expect(read('docs/local-stripe.md')).not.toMatch(/touches one file/);
  });
});

describe('src/db/schema.ts', () => {
  it('gives each column at most one doc comment', () => {
    const twice = read('src/db/schema.ts')
      .split('\n')
      .flatMap((line, i, lines) => (/^\s*\/\*\*.*\*\/\s*$/.test(line) && /^\s*\/\*\*.*\*\/\s*$/.test(lines[i + 1] ?? '') ? [`line ${i + 1}: ${lines[i + 2]?.trim()}`] : []));
    expect(twice).toEqual([]);
  });
});

describe('docs/benchmarks.md and bench/webhook-load.ts', () => {
  it('measure webhooks with an event type the app handles', () => {
    const types = [...read('bench/webhook-load.ts').matchAll(/type: '([a-z_.]+)'/g)].map((m) => m[1]!);
    expect(types.length).toBeGreaterThan(0);
    expect(types.filter((type) => !(type in handlers))).toEqual([]);
    const said = read('docs/benchmarks.md').match(/Webhooks are signed `([a-z_.]+)` events/);
    expect(said?.[1]).toBeDefined();
    expect(types).toContain(said![1]);
  });
});
