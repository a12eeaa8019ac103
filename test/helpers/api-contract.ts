/**
 * Every /api/v1 answer the integration tests receive, checked against the app's OpenAPI document:
 * its status is declared for the route, its content type is one the document gives for that status,
 * and its body (JSON) matches the declared schema. A mismatch fails the test that caused it
 * (api-contract-setup.ts); how many answers were checked is printed at the end of the run.
 */
import { appendFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { inject } from 'vitest';

interface Tally {
  validated: number;
  statuses: Set<number>;
  mismatches: string[];
}

const tally: Tally = { validated: 0, statuses: new Set(), mismatches: [] };

/** The mismatches found since the last call (the setup file fails the running test with them). */
export function takeMismatches(): string[] {
  return tally.mismatches.splice(0);
}

/** Adds this file's count to the run's (global-setup.ts prints the total). */
export function recordTally(): void {
  const file = inject('apiContractTally');
  if (file && tally.validated > 0) appendFileSync(file, `${JSON.stringify({ validated: tally.validated, statuses: [...tally.statuses] })}\n`);
}

/** `/api/v1/tokens/:id` as the document writes it: `/api/v1/tokens/{id}`. */
const documentPath = (routeUrl: string) => routeUrl.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** Checks answers against one app's document. */
export class ApiContract {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly document: OpenAPIV3_1.Document) {
    addFormats.default(this.ajv);
    this.ajv.addSchema(document as object, 'openapi.json');
  }

  /** What is wrong with one answer, or nothing. */
  mismatches(method: string, routeUrl: string, status: number, contentType: string | undefined, body: string | undefined): string[] {
    const path = documentPath(routeUrl);
    const where = `${method} ${path} → ${status}`;
    const operation = this.document.paths?.[path]?.[method.toLowerCase() as OpenAPIV3_1.HttpMethods];
    if (!operation) return [`${method} ${path}: not in the document`];
    const response = operation.responses?.[String(status)] as OpenAPIV3_1.ResponseObject | undefined;
    if (!response) return [`${where}: status not declared (declared: ${Object.keys(operation.responses ?? {}).join(', ')})`];
    const declared = Object.keys(response.content ?? {});
    if (declared.length === 0) return body ? [`${where}: a body where none is declared`] : [];
    const type = contentType?.split(';')[0]?.trim();
    if (!type || !declared.includes(type)) return [`${where}: content type ${type} not declared (${declared.join(', ')})`];
    if (type !== 'application/json' || body === undefined) return [];
    const pointer = ['#', 'paths', path, method.toLowerCase(), 'responses', String(status), 'content', type, 'schema'].map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi.json${pointer}` });
      this.validators.set(pointer, validate);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return [`${where}: the body is not JSON`];
    }
    if (validate(parsed)) return [];
    return [`${where}: ${this.ajv.errorsText(validate.errors, { separator: '; ' })}\n  body: ${body.slice(0, 500)}`];
  }
}

/** Checks every /api/v1 answer of `app` (an onSend hook; add it before the app is ready). */
export function checkApiAnswers(app: FastifyInstance): void {
  let contract: ApiContract | undefined;
  app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => {
    const route = request.routeOptions.url;
    if (route?.startsWith('/api/v1/') && request.method !== 'HEAD') {
      contract ??= new ApiContract(app.swagger() as OpenAPIV3_1.Document);
      // A streamed export's body is not read here: its status and content type are checked.
      const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
      const found = contract.mismatches(request.method, route, reply.statusCode, reply.getHeader('content-type') as string | undefined, body || undefined);
      tally.validated++;
      tally.statuses.add(reply.statusCode);
      tally.mismatches.push(...found);
    }
    done(null, payload);
  });
}
