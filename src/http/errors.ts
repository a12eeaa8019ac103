import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ZodType, z } from 'zod';

/** An error the client caused or may see; anything else is a 500 with no details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string>,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const notFound = (what = 'Not found') => new ApiError(404, 'not_found', what);
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);

/** The path of the first string holding a NUL character, which PostgreSQL text cannot store. */
function nulPath(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '_' : undefined;
  if (depth > 8 || value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = nulPath(item, path ? `${path}.${key}` : key, depth + 1) ?? (key.includes('\u0000') ? key : undefined);
    if (found) return found;
  }
  return undefined;
}

/** Parses input with a zod schema; a failure is a 400 naming each bad field. */
export function parseInput<T>(schema: ZodType<T>, input: unknown): T {
  const nul = nulPath(input, '');
  if (nul) throw new ApiError(400, 'validation_failed', 'Some fields are invalid.', { [nul]: 'Contains a NUL character.' });
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const key = issue.path.join('.') || '_';
    fields[key] ??= issue.message;
  }
  throw new ApiError(400, 'validation_failed', 'Some fields are invalid.', fields);
}

export const idParam = z.object({ id: z.coerce.number().int().positive().max(2147483647) });

export function errorBody(error: ApiError) {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.fields ? { fields: error.fields } : {}),
    },
    ...(error.extra ?? {}),
  };
}

/** Maps Fastify's own errors (body too large, bad JSON, rate limit) to ApiErrors. */
export function toApiError(error: FastifyError | ApiError | Error): ApiError | undefined {
  if (error instanceof ApiError) return error;
  const fe = error as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiError(413, 'payload_too_large', 'Request body is too large.');
  if (fe.statusCode === 429) return new ApiError(429, 'rate_limited', 'Too many requests. Slow down and try again shortly.');
  // Only Fastify's own errors say something about the request; anyone else's 4xx (a Stripe error, say) is ours: a 500.
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 && typeof fe.code === 'string' && fe.code.startsWith('FST_'))
    return new ApiError(fe.statusCode, fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : 'bad_request', fe.message);
  return undefined;
}

export type HtmlErrorRenderer = (request: FastifyRequest, reply: FastifyReply, error: ApiError) => unknown;

/** JSON errors for /api and webhooks; an HTML page for everything else. */
export function installErrorHandler(app: FastifyInstance, renderHtml: HtmlErrorRenderer): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (!apiError) {
      request.log.error({ err: error }, 'unhandled error');
    }
    const shown = apiError ?? new ApiError(500, 'internal_error', 'Something went wrong on our side.');
    reply.status(shown.status);
    if (wantsJson(request)) return reply.send(errorBody(shown));
    return renderHtml(request, reply, shown);
  });
  app.setNotFoundHandler((request, reply) => {
    const error = notFound('Page not found.');
    reply.status(404);
    if (wantsJson(request)) return reply.send(errorBody(error));
    return renderHtml(request, reply, error);
  });
}

export function wantsJson(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/') || request.url.startsWith('/webhooks/') || request.url === '/healthz';
}
