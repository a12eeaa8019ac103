/**
 * A fetch client typed by the API's OpenAPI document (types.ts, generated from docs/openapi.json by
 * `npm run openapi:write`): the bench, the soak and the browser tests' harness call /api/v1 through
 * it, so a change of the contract breaks them at compile time.
 */
import createClient from 'openapi-fetch';
import type { paths } from './types.js';

export type ApiClient = ReturnType<typeof apiClient>;

/** A client for the app at `baseUrl`, sending `token` as the bearer token when given, through `fetch` when given (the soak's counted transport). */
export const apiClient = (baseUrl: string, token?: string, fetch?: (request: Request) => Promise<Response>) =>
  createClient<paths>({ baseUrl, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(fetch ? { fetch } : {}) });

/** An answer's body when the call succeeded; otherwise an error naming the call, its status and what it answered. */
export function answered<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (!result.response.ok || result.data === undefined) throw new Error(`${result.response.url} answered ${result.response.status}: ${JSON.stringify(result.error)}`);
  return result.data;
}
