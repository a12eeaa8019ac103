import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { dumpPglite, openDatabase } from '../../src/db/client.js';
import { productMigrations } from '../../src/products/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    pgTemplateDb: string;
    /** Where each test file adds how many /api/v1 answers it checked (api-contract.ts). */
    apiContractTally: string;
  }
}

/**
 * Migrates one template database per run; each test file then copies it instead of
 * initialising and migrating its own (PGlite: a data-directory dump; PostgreSQL: CREATE DATABASE … TEMPLATE).
 */
export default async function setup(project: TestProject) {
  const tallyFile = path.join(tmpdir(), `devboard-api-contract-${process.pid}.jsonl`);
  writeFileSync(tallyFile, '');
  project.provide('apiContractTally', tallyFile);
  const databaseTeardown = await setupDatabase(project);
  return async () => {
    printApiContractTally(tallyFile);
    rmSync(tallyFile, { force: true });
    await databaseTeardown();
  };
}

/** Like the local Stripe's conformance test: how many answers were checked against the document. */
function printApiContractTally(file: string) {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { validated: number; statuses: number[] });
  if (lines.length === 0) return;
  const validated = lines.reduce((sum, l) => sum + l.validated, 0);
  const statuses = [...new Set(lines.flatMap((l) => l.statuses))].sort();
  console.info(`api contract: ${validated} /api/v1 responses (statuses ${statuses.join(', ')}) from ${lines.length} test files validated against the OpenAPI document; a mismatch fails its test`);
}

async function setupDatabase(project: TestProject): Promise<() => Promise<void> | void> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const name = `devboard_tmpl_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const database = await openDatabase({ databaseUrl: withDatabase(url, name), poolSize: 1 });
    await database.migrate(productMigrations);
    await database.close();
    project.provide('pgTemplateDb', name);
    project.provide('pgliteTemplate', '');
    return async () => {
      // Copies made from the template are dropped by their own files; drop what is left.
      const { rows } = await admin.query<{ datname: string }>(
        `select datname from pg_database where datname like $1 or datname = $2`,
        [`${name}_%`, name],
      );
      for (const row of rows) await admin.query(`drop database if exists ${row.datname} with (force)`);
      await admin.end();
    };
  }
  const database = await openDatabase({ dataDir: 'memory://' });
  await database.migrate(productMigrations);
  const dump = await dumpPglite(database);
  await database.close();
  const file = path.join(tmpdir(), `devboard-template-${process.pid}.tar`);
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteTemplate', file);
  project.provide('pgTemplateDb', '');
  return () => rmSync(file, { force: true });
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
