import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { apiSerializerCompiler, apiValidatorCompiler, registerApiDocument } from '../src/http/api.js';
import { installErrorHandler } from '../src/http/errors.js';
import { stripeWebhookDocument } from '../src/payments/webhooks/plugin.js';
import { ApiContract, checkApiAnswers, takeMismatches } from './helpers/api-contract.js';
import { startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let document: OpenAPIV3_1.Document;

beforeAll(async () => {
  t = await startTestApp();
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  expect(res.statusCode).toBe(200);
  document = res.json();
});
afterAll(() => t.close());

describe('the OpenAPI document at /api/v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every /api/v1 route the app registers, none missing and none extra, each with its answers', () => {
    const routes = t.app.routeTable
      .filter((r) => r.url.startsWith('/api/v1/'))
      .map((r) => `${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`)
      .sort();
    const operations = Object.entries(document.paths ?? {})
      .flatMap(([path, item]) => Object.keys(item ?? {}).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(operations).toEqual(routes);
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(item ?? {}) as Array<[string, OpenAPIV3_1.OperationObject]>) {
        const statuses = Object.keys(operation.responses ?? {});
        expect(statuses.some((s) => s.startsWith('2')), `${method} ${path} declares a success`).toBe(true);
        expect(statuses, `${method} ${path} declares our failure`).toContain('500');
        expect(operation.tags?.length, `${method} ${path} has a tag`).toBe(1);
        expect(operation.summary, `${method} ${path} has a summary`).toBeTruthy();
      }
    }
  });

  it('says how to authenticate, tags each room, and describes the Stripe webhook we receive', () => {
    expect(document.components?.securitySchemes?.bearerToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.info.description).toContain('Idempotency-Key');
    const tags = new Set(Object.values(document.paths ?? {}).flatMap((item) => Object.values(item ?? {}).flatMap((op) => (op as OpenAPIV3_1.OperationObject).tags ?? [])));
    expect([...tags].sort()).toEqual((document.tags ?? []).map((tag) => tag.name).sort());
    const admin = document.paths?.['/api/v1/admin/charges']?.get;
    expect(admin?.security).toEqual([{ bearerToken: [] }]);
    expect(Object.keys(admin?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '403']));
    expect(document.paths?.['/api/v1/charges']?.post?.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'idempotency-key' }));
    expect((document.webhooks?.stripeEvent as OpenAPIV3_1.PathItemObject | undefined)?.post?.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'Stripe-Signature' }));
  });

  it('declares a 400 with our error body where input is validated', () => {
    const badId = document.paths?.['/api/v1/tokens/{id}']?.delete?.responses?.['400'] as OpenAPIV3_1.ResponseObject;
    expect(badId.description).toContain('validation_failed');
    expect(badId.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(document.components?.schemas?.Error).toMatchObject({ properties: { error: { required: ['code', 'message'] } } });
  });

  it('describes each product’s own purchase fields, made from the catalog', async () => {
    const { products } = (await t.app.inject({ method: 'GET', url: '/api/v1/products' })).json() as { products: Array<{ id: string; requires: string[] }> };
    expect(products.length).toBeGreaterThan(1);
    for (const path of ['/api/v1/charges', '/api/v1/checkout_sessions']) {
      const body = (document.paths?.[path]?.post?.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content['application/json']?.schema as {
        oneOf: Array<{ properties: { product: { enum: string[] } }; required: string[] }>;
      };
      expect(body.oneOf.map((purchase) => purchase.properties.product.enum), path).toEqual(products.map((p) => [p.id]));
      for (const product of products) expect(body.oneOf.find((purchase) => purchase.properties.product.enum[0] === product.id)?.required).toEqual(['product', ...product.requires]);
    }
  });

  it('names the shapes answered in many places once, as components, and refers to them', () => {
    expect(Object.keys(document.components?.schemas ?? {})).toEqual(expect.arrayContaining(['Error', 'Charge']));
    const paid = document.paths?.['/api/v1/charges']?.post?.responses?.['201'] as OpenAPIV3_1.ResponseObject;
    expect(paid.content?.['application/json']?.schema).toMatchObject({ properties: { charge: { $ref: '#/components/schemas/Charge' } } });
    // Only what something refers to: no unused input forms.
    const text = JSON.stringify({ ...document, components: { ...document.components, schemas: {} } });
    for (const id of Object.keys(document.components?.schemas ?? {})) expect(text, `${id} is referred to`).toContain(`"#/components/schemas/${id}"`);
  });
});

describe('the reference page at /api/docs', () => {
  it('links our theme, which fixes Swagger UI’s low-contrast colours, served from our origin', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(page.body).toContain('href="./static/theme/theme.css"');
    const theme = await t.app.inject({ method: 'GET', url: '/api/docs/static/theme/theme.css' });
    expect(theme.statusCode).toBe(200);
    expect(theme.headers['content-type']).toContain('text/css');
    expect(theme.body).toContain('.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #248156; }');
  });
});

describe('the check of every answer against the document', () => {
  it('accepts a matching answer and names what is wrong with one that does not', () => {
    const contract = new ApiContract(document);
    const me = JSON.stringify({ user: { id: 1, username: 'ann', email: 'ann@example.test', admin: false, can_post_jobs: false } });
    expect(contract.mismatches('GET', '/api/v1/me', 200, 'application/json; charset=utf-8', me)).toEqual([]);
    expect(contract.mismatches('GET', '/api/v1/me', 200, 'application/json', JSON.stringify({ user: { id: '1' } }))[0]).toMatch(/GET \/api\/v1\/me → 200: .*must be integer/);
    expect(contract.mismatches('GET', '/api/v1/me', 418, 'application/json', '{}')[0]).toContain('status not declared');
    expect(contract.mismatches('GET', '/api/v1/me', 200, 'text/html', '<p>')[0]).toContain('content type text/html not declared');
    expect(contract.mismatches('GET', '/api/v1/nowhere', 200, 'application/json', '{}')[0]).toContain('not in the document');
  });

  it('fails on a deliberately wrong answer sent by a route (the hook the test helper installs)', async () => {
    const app = Fastify({ logger: false });
    installErrorHandler(app, (_request, reply, error) => reply.send(error.message));
    app.setValidatorCompiler(apiValidatorCompiler);
    app.setSerializerCompiler(apiSerializerCompiler);
    await registerApiDocument(app, { webhooks: stripeWebhookDocument });
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/wrong',
      { schema: { tags: ['documentation'], summary: 'Answers what it did not declare', response: { 200: z.object({ ok: z.boolean() }) } } },
      // A string skips the serialiser (as the cached jobs listing does), so the wrong shape goes out.
      async (_request, reply) => reply.type('application/json').send('{"ok":"yes"}' as never),
    );
    checkApiAnswers(app);
    const res = await app.inject({ method: 'GET', url: '/api/v1/wrong' });
    expect(res.statusCode).toBe(200);
    const mismatches = takeMismatches();
    expect(mismatches).toHaveLength(1);
    expect(mismatches[0]).toMatch(/GET \/api\/v1\/wrong → 200: data\/ok must be boolean/);
    await app.close();
  });
});
