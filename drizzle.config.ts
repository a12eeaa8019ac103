import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  // The core's tables (src/db, src/organizations, src/credits) and each product's own: one snapshot,
  // so that a change to either is generated here (a product's migration is then moved into its
  // folder's migrations/).
  schema: ['./src/db/schema.ts', './src/db/organization-schema.ts', './src/db/permission-schema.ts', './src/db/renewal-schema.ts', './src/organizations/schema.ts', './src/credits/schema.ts', './src/products/*/schema.ts'],
  out: './drizzle',
});
