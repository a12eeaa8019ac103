/**
 * Loaded into the app by `bench/profile-checkout.ts` (NODE_OPTIONS=--import): counts the statements
 * the app sends to PostgreSQL, by prepared name or text, and writes them to STATEMENT_COUNTS_FILE on
 * SIGUSR2. Measurement only: nothing in src/ knows about it.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const pg = createRequire(`${process.cwd()}/package.json`)('pg');
const counts = new Map();
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  const name = typeof config === 'string' ? config : (config?.name ?? config?.text ?? String(config));
  const key = name.replace(/\s+/g, ' ').slice(0, 120);
  counts.set(key, (counts.get(key) ?? 0) + 1);
  return query.call(this, config, ...rest);
};
process.on('SIGUSR2', () => writeFileSync(process.env.STATEMENT_COUNTS_FILE, JSON.stringify(Object.fromEntries(counts))));
