/** Fails a test in which an /api/v1 answer did not match the document (api-contract.ts). */
import { afterAll, afterEach } from 'vitest';
import { recordTally, takeMismatches } from './api-contract.js';

afterEach(() => {
  const mismatches = takeMismatches();
  if (mismatches.length > 0) throw new Error(`${mismatches.length} /api/v1 answer(s) do not match the OpenAPI document:\n${mismatches.join('\n')}`);
});

afterAll(() => {
  const mismatches = takeMismatches();
  recordTally();
  if (mismatches.length > 0) throw new Error(`${mismatches.length} /api/v1 answer(s) outside any test do not match the OpenAPI document:\n${mismatches.join('\n')}`);
});
