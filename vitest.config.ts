import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // A product's tests are in its folder (src/products/<name>/test/).
    include: ['test/**/*.test.{ts,tsx}', 'src/products/*/test/**/*.test.{ts,tsx}', 'local-stripe/test/**/*.test.ts'],
    exclude: ['test/e2e/**'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/api-contract-setup.ts'],
    pool: 'forks',
    // Lets the export test force garbage collection before it samples the heap.
    execArgv: ['--expose-gc'],
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
