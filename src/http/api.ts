/**
 * The /api/v1 contract: routes declare their inputs and answers as zod schemas (validated with our
 * own messages, serialised from the schema), and @fastify/swagger turns them into the OpenAPI 3.1
 * document served at /api/v1/openapi.json. docs/api.md says what may change within v1.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchemaCompiler, RouteOptions } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler } from 'fastify-type-provider-zod';
import { type ZodType, z } from 'zod';
import { API_DOCS_THEME_CSS } from './api-docs-theme.js';
import { parseInput } from './errors.js';

/**
 * Validates a route's params, query, body or headers with its zod schema; a failure is the same
 * 400 `validation_failed` with a sentence per field as `parseInput` gives (our words, not zod's).
 */
export const apiValidatorCompiler: FastifySchemaCompiler<ZodType> =
  ({ schema }) =>
  (data) => {
    try {
      return { value: parseInput(schema, data) };
    } catch (error) {
      return { error: error as Error };
    }
  };

export { serializerCompiler as apiSerializerCompiler };

/** Our one error body: `{error: {code, message, fields?}}`; a few errors add a field beside `error` (said on their route). */
const errorBodySchema = z
  .looseObject({
    error: z.object({
      code: z.string().meta({ description: 'A stable, machine-readable code (`validation_failed`, `not_found`, …).' }),
      decline_code: z.string().optional().meta({ description: 'For a declined card: the bank’s reason, as Stripe gives it.' }),
      message: z.string().meta({ description: 'A sentence for people; its wording may change.' }),
      fields: z
        .record(z.string(), z.string())
        .optional()
        .meta({ description: 'For `validation_failed`: each invalid field (a dotted path) and what is wrong with it, in a sentence.' }),
    }),
  })
  .meta({ id: 'Error', example: { error: { code: 'validation_failed', message: 'Some fields are invalid.', fields: { title: 'Enter a title.' } } } });

const ERROR_MEANINGS: Record<number, string> = {
  400: 'Invalid input: `validation_failed` names each bad field in `fields`.',
  402: 'The card was declined (`card_declined`, or the code Stripe gave); `charge` beside `error` is the failed charge.',
  401: 'No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`).',
  403: 'Signed in, but not allowed (`forbidden`).',
  404: 'No such thing, or not yours (`not_found`).',
  409: 'Conflicts with the current state (the code says which).',
  413: 'The request body is larger than 256 KiB (`payload_too_large`).',
  422: 'Valid input that the thing’s state does not allow now (the code says why).',
  415: 'The body is not JSON (`unsupported_media_type`).',
  429: 'Too many requests (`rate_limited`); `Retry-After` says when to try again.',
  500: 'Something went wrong on our side (`internal_error`); nothing about the request is said.',
  503: 'A service we depend on is unavailable; retry later.',
};

/** The error answers a route gives, by status, each with our error body. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof errorBodySchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorBodySchema.describe(ERROR_MEANINGS[s] ?? 'An error.')])) as Record<S, typeof errorBodySchema>;
}

/** Timestamps are sent as ISO 8601 strings (a `Date` in the handler). */
export const timestamp = z.date().meta({ description: 'An ISO 8601 date-time, UTC.' });

export const BEARER = [{ bearerToken: [] }];

const API_DESCRIPTION = `DevBoard's JSON API, version 1.

**Authentication.** Create a token with \`POST /api/v1/tokens\` (your e-mail and password), then send it on every call as \`Authorization: Bearer <token>\`. Routes under \`/api/v1/admin/\` need an admin's token; a member's gets 403.

**Errors** are always \`{"error": {"code", "message", "fields"?}}\`: \`code\` is stable, \`message\` is for people, and \`fields\` names each invalid field of a 400.

**Idempotency.** Calls that move money (\`POST /api/v1/charges\`, \`POST /api/v1/charges/{id}/confirm\`, \`POST /api/v1/checkout_sessions\`, \`POST /api/v1/admin/charges/{id}/refunds\`) accept an \`Idempotency-Key\` header (8 to 255 printable ASCII characters). Retrying with the same key and the same body returns the first answer and charges once; the same key with a different body is a 409 \`idempotency_key_reused\`, and a retry while the first is still being processed is a 409 \`request_in_progress\`.

**Versioning.** Within v1 the contract only grows: new routes, new optional inputs, new fields in answers. Anything else waits for v2 (docs/api.md).`;

/** The document's version: 1.x for /api/v1, the minor part raised with each addition (docs/api.md). */
const API_VERSION = '1.0.0';

const API_TAGS = [
  { name: 'accounts', description: 'Members, API tokens, passwords and the permission to post jobs.' },
  { name: 'articles', description: 'Articles and job listings.' },
  { name: 'payments', description: 'Products, charges, saved cards and hosted checkout.' },
  { name: 'payments console', description: 'Admins: charges, refunds, failed webhooks, disputes and mismatches.' },
  { name: 'finance', description: 'Admins: the ledger, exports, the audit log and reconciliation.' },
  { name: 'products', description: 'What each product adds: its own routes, and the renewals of every product with a period.' },
  { name: 'organizations', description: 'Companies: members, roles, billing details and their saved cards.' },
  { name: 'credits', description: 'Prepaid credits: prices and quotes.' },
  { name: 'documentation', description: 'This document.' },
];

/** Only /api/v1 routes are in the document; pages, assets and webhooks-as-routes are not. */
const onlyApiRoutes: typeof jsonSchemaTransform = (route) =>
  route.url.startsWith('/api/v1/') ? jsonSchemaTransform(route) : { schema: { ...route.schema, hide: true }, url: route.url };

/**
 * Shapes given an `id` in their zod metadata (`.meta({ id: 'Charge' })`, in zod's global registry)
 * are written once under `components.schemas` and referenced wherever they are answered, so clients
 * get named types. The transform also writes each one's input form (`ChargeInput`); the forms that
 * nothing references are left out.
 */
const namedComponents: typeof jsonSchemaTransformObject = (document) => {
  const openapi = jsonSchemaTransformObject(document) as OpenAPIV3_1.Document;
  const text = JSON.stringify(openapi);
  const schemas = Object.entries(openapi.components?.schemas ?? {}).filter(([id]) => !id.endsWith('Input') || text.includes(`"#/components/schemas/${id}"`));
  return { ...openapi, components: { ...openapi.components, schemas: Object.fromEntries(schemas) } };
};

type ApiWebhooks = OpenAPIV3_1.Document['webhooks'];

/**
 * The errors the framework answers on a route's behalf, added to every /api/v1 route's declared
 * answers: a body that is not JSON or too large, a request over its rate limit, and our own failure.
 */
function declareFrameworkErrors(route: RouteOptions): void {
  if (!route.url.startsWith('/api/v1/') || !route.schema?.response) return;
  const methods = [route.method].flat();
  const statuses: number[] = [500];
  if (methods.some((m) => ['POST', 'PUT', 'PATCH'].includes(m))) statuses.push(400, 413, 415);
  if ((route.config as { rateLimit?: unknown } | undefined)?.rateLimit) statuses.push(429);
  route.schema = { ...route.schema, response: { ...errorResponses(...statuses), ...(route.schema.response as object) } };
}

/** Registers the document's generator (before any route) and serves it at GET /api/v1/openapi.json. */
export async function registerApiDocument(app: FastifyInstance, options: { webhooks: ApiWebhooks }): Promise<void> {
  app.addHook('onRoute', declareFrameworkErrors);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'DevBoard API', version: API_VERSION, description: API_DESCRIPTION },
      tags: [...API_TAGS],
      components: {
        securitySchemes: {
          bearerToken: { type: 'http', scheme: 'bearer', description: 'An API token from `POST /api/v1/tokens` (or the settings page). Admin routes need an admin’s token.' },
        },
      },
      webhooks: options.webhooks,
    },
    transform: onlyApiRoutes,
    transformObject: namedComponents,
  });
  // The reference page: Swagger UI's own files, served from here (no CDN), reading the document above;
  // our theme fixes its colours' contrast and hides its top bar. Swagger UI writes style attributes into what it draws, so
  // its pages alone allow inline styles; scripts stay 'self' only (docs/decisions.md).
  await app.register(fastifySwaggerUi, {
    routePrefix: '/api/docs',
    theme: { title: 'DevBoard API reference', css: [{ filename: 'theme.css', content: API_DOCS_THEME_CSS }] },
    // Without deep links: they put a link inside each operation's summary button (nested-interactive).
    uiConfig: { deepLinking: false },
    transformStaticCSP: (header) => header.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
  });
  app.get(
    '/api/v1/openapi.json',
    {
      schema: {
        tags: ['documentation'],
        summary: 'This OpenAPI 3.1 document',
        response: { 200: z.looseObject({ openapi: z.literal('3.1.0') }).describe('The document you are reading.') },
      },
    },
    () => app.swagger(),
  );
}
