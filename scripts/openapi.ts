/**
 * The API's OpenAPI document, generated from the routes: `npm run openapi:write` writes it to
 * docs/openapi.json, and the TypeScript types our scripts' client is typed by to scripts/api/types.ts;
 * `npm run openapi:check` (CI) fails when either committed file differs, so every change of the
 * contract is a reviewed diff (docs/api.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import openapiTS, { astToString } from 'openapi-typescript';
import { buildApp } from '../src/app.js';
import { systemClock } from '../src/clock.js';
import { openDatabase } from '../src/db/client.js';
import { createStripeGateway } from '../src/payments/stripe.js';

const DOCUMENT_PATH = new URL('../docs/openapi.json', import.meta.url);
const TYPES_PATH = new URL('./api/types.ts', import.meta.url);
const TYPES_HEADER = '/** Generated from docs/openapi.json by `npm run openapi:write` (openapi-typescript): do not edit. */\n';

/** The types openapi-typescript makes of a document. */
async function generatedTypes(document: string): Promise<string> {
  return TYPES_HEADER + astToString(await openapiTS(JSON.parse(document)));
}

/** The document as the app serves it, formatted as committed. Nothing is called: no database query, no Stripe request. */
export async function generatedDocument(): Promise<string> {
  const database = await openDatabase({ dataDir: 'memory://' });
  const app = await buildApp({
    database,
    clock: systemClock,
    sessionSecret: 'openapi-document-openapi-document',
    stripe: createStripeGateway({ secretKey: 'sk_test_document', publishableKey: 'pk_test_document', apiUrl: 'http://127.0.0.1:9' }),
    publicUrl: 'http://localhost',
    webhookSecrets: [],
  });
  try {
    const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    if (res.statusCode !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.statusCode}: ${res.body}`);
    return `${JSON.stringify(res.json(), null, 2)}\n`;
  } finally {
    await app.close();
    await database.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const document = await generatedDocument();
  const types = await generatedTypes(document);
  if (process.argv.includes('--check')) {
    const stale = [
      readFileSync(DOCUMENT_PATH, 'utf8') === document ? [] : ['docs/openapi.json'],
      readFileSync(TYPES_PATH, 'utf8') === types ? [] : ['scripts/api/types.ts'],
    ].flat();
    if (stale.length > 0) {
      writeFileSync(new URL('../docs/openapi.generated.json', import.meta.url), document);
      console.error(`${stale.join(' and ')} differ from the routes. Run \`npm run openapi:write\`, review the diff and commit it (docs/api.md: within v1, only additions).`);
      process.exit(1);
    }
    console.log('docs/openapi.json and scripts/api/types.ts match the routes.');
  } else {
    writeFileSync(DOCUMENT_PATH, document);
    writeFileSync(TYPES_PATH, types);
    console.log('wrote docs/openapi.json and scripts/api/types.ts');
  }
}
