/**
 * http: what every route shares — one error shape and idiom (this file), bounded inputs (dates.ts),
 * rate limits counted in PostgreSQL.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
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

// A NUL, or a lone UTF-16 surrogate (half of a pair, from a JSON `\ud800` escape): text that
// PostgreSQL refuses (NUL) or that has no UTF-8 form at all.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the NUL character is what this looks for.
const unstorable = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const unstorableAll = new RegExp(unstorable.source, 'g');

/** The path of the first string (value or key) the database cannot store as text. */
function unstorablePath(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return unstorable.test(value) ? path || '_' : undefined;
  if (depth > 8 || value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = unstorablePath(item, path ? `${path}.${key}` : key, depth + 1) ?? (unstorable.test(key) ? key : undefined);
    if (found) return found;
  }
  return undefined;
}

/**
 * Refuses, for every route, a body, query or path parameter holding text the database cannot
 * store, with the same 400 as any invalid field (a preValidation hook: it runs before any handler).
 */
export function refuseUnstorableText(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  const field = unstorablePath(request.params, '') ?? unstorablePath(request.query, '') ?? unstorablePath(request.body, '');
  if (!field) {
    done();
    return;
  }
  // The field's name is shown back, so a bad key's characters are replaced.
  done(new ApiError(400, 'validation_failed', 'Some fields are invalid.', { [field.replace(unstorableAll, '?')]: 'Contains a NUL character or an unpaired surrogate.' }));
}

/**
 * What a field is called in an error sentence, for fields whose name does not say it in words;
 * any other field is called by its name with spaces (`expires_in_days`: "expires in days").
 */
const FIELD_NAMES: Record<string, string> = {
  body_markdown: 'body',
  link_url: 'link',
  image_url: 'image URL',
  email: 'e-mail address',
  article_id: 'article',
  payment_method: 'card',
  id: 'id in the address',
  user_id: 'user id',
  can_post_jobs: 'permission to post jobs',
  enabled: 'auto-renew setting',
  job_listing: 'job listing box',
  published: 'published box',
  new_password: 'new password',
  current_password: 'current password',
  expires_in_days: 'number of days',
};

// "an" before a vowel sound: an e-mail address, an image URL, a username.
const withArticle = (noun: string) => `${/^(?:[aeio]|un)/i.test(noun) ? 'an' : 'a'} ${noun}`;
const capitalised = (text: string) => text[0]!.toUpperCase() + text.slice(1);

/**
 * A sentence for an issue the schema gave no message of its own: what is wrong, in words, by the
 * issue's code and the field's name ("Enter a headline."). Explicit messages in schemas win.
 */
function fieldSentence(issue: z.core.$ZodRawIssue): string {
  const field = issue.path?.findLast((p) => typeof p === 'string');
  const noun = (typeof field === 'string' && FIELD_NAMES[field]) || (typeof field === 'string' ? field.replace(/_/g, ' ') : 'value');
  const The = `The ${noun}`;
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return issue.expected === 'string' || issue.expected === 'number' ? `Enter ${withArticle(noun)}.` : `${The} is missing.`;
      const kind: Record<string, string> = { string: 'text', number: 'a number', int: 'a whole number', boolean: 'true or false', array: 'a list', object: 'an object', date: 'a date' };
      return `${The} must be ${kind[issue.expected] ?? `of type ${issue.expected}`}.`;
    }
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? `Enter ${withArticle(noun)}.` : `${The} needs at least ${issue.minimum} characters.`;
      if (issue.origin === 'array' || issue.origin === 'set') return `Give at least ${issue.minimum} for the ${noun}.`;
      return issue.inclusive ? `${The} must be at least ${issue.minimum}.` : `${The} must be more than ${issue.minimum}.`;
    case 'too_big':
      if (issue.origin === 'string') return `${The} can be at most ${issue.maximum} characters.`;
      if (issue.origin === 'array' || issue.origin === 'set') return `${The} can have at most ${issue.maximum} items.`;
      return issue.inclusive ? `${The} can be at most ${issue.maximum}.` : `${The} must be less than ${issue.maximum}.`;
    case 'invalid_format':
      if (issue.format === 'email') return 'Enter an e-mail address like name@example.com.';
      if (issue.format === 'url') return `${The} must be a web address (https://…).`;
      return `${The} is not in the expected form.`;
    case 'invalid_value':
      return `${The} must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`;
    case 'unrecognized_keys':
      return `${capitalised(issue.keys.length === 1 ? 'this field is' : 'these fields are')} not accepted here: ${issue.keys.slice(0, 5).join(', ')}${issue.keys.length > 5 ? ', …' : ''}.`;
    default:
      return `${The} is not valid.`;
  }
}

/** Parses input with a zod schema; a failure is a 400 naming each bad field in a sentence. */
export function parseInput<T>(schema: ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input ?? {}, { error: fieldSentence });
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
    return sendError(request, reply, apiError ?? new ApiError(500, 'internal_error', 'Something went wrong on our side.'), renderHtml);
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, notFound('Page not found.'), renderHtml));
}

function sendError(request: FastifyRequest, reply: FastifyReply, error: ApiError, renderHtml: HtmlErrorRenderer) {
  reply.status(error.status);
  if (answersJson(request)) return reply.send(errorBody(error));
  return renderHtml(request, reply, error);
}

/**
 * Fastify's `frameworkErrors` (a URL the router cannot decode, `/articles/%E0%A4%A`), which bypass
 * the error handler: answered in our shape all the same (JSON, or the HTML error page).
 */
export const frameworkErrorSender =
  (renderHtml: HtmlErrorRenderer) =>
  (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    sendError(request, reply, toApiError(error) ?? new ApiError(400, 'bad_request', 'The request is malformed.'), renderHtml);
  };

/**
 * Node's `clientError`: a request that never became a request (a control character in a header, a
 * bad Content-Length, headers too large). There is no route, so the JSON error is written by hand.
 */
export function sendClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'The request headers are too large.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'The request took too long to arrive.']
        : [400, 'bad_request', 'The request is malformed (its request line or a header).'];
  const body = JSON.stringify(errorBody(new ApiError(status, code, message)));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Errors are JSON for the API, and for a page's own script that asks for JSON (the checkout form's
 * fetch), so it can put each field's error beside its field. Asking for JSON changes only the
 * format of the answer, never whether CSRF applies.
 */
function answersJson(request: FastifyRequest): boolean {
  return wantsJson(request) || (request.headers.accept?.startsWith('application/json') ?? false);
}

export function wantsJson(request: FastifyRequest): boolean {
  const path = routedPath(request);
  return path.startsWith('/api/') || path.startsWith('/webhooks/') || path === '/healthz';
}

/**
 * The path as the router read it: the matched route's pattern (`/api/v1/tokens` for a request to
 * `/%61pi/v1/tokens`, which the router decodes), or, when no route matched, the decoded path. What
 * a request is (API or page, cookie or token, CSRF or not) is decided on this, never on the raw URL.
 */
export function routedPath(request: FastifyRequest): string {
  const route = request.routeOptions.url;
  if (route !== undefined) return route;
  const path = request.url.split('?')[0]!;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** A value the route's schema let through that breaks a domain rule: a 422 naming the field. */
export const unprocessable = (field: string, message: string) => new ApiError(422, 'validation_failed', 'Some fields are invalid.', { [field]: message });
