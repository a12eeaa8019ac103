import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { DataValidationCxt } from 'ajv/dist/types/index.js';
import type { FieldTree } from './fixtures/extract-sdk-fields.js';

/**
 * Validates what the local Stripe answers against Stripe's OpenAPI spec (2023-08-16, extracted into
 * fixtures/stripe-openapi.json). How it decides:
 * - OpenAPI 3.0's `nullable: true` is read as "or null"; `anyOf` (expandable fields: an id or the
 *   object) and `$ref` as JSON Schema reads them.
 * - An object's fields are closed: a field the spec does not list is a violation unless the official
 *   SDK's TypeScript declarations (fixtures/sdk-fields.json, the API version the app pins) declare it
 *   at the same place — for fields newer than the 2023 spec the SDK's types win.
 * - An expansion to a resource the local Stripe does not have matches nothing (see extract-openapi.ts).
 */

const fixtures = path.join(import.meta.dirname, 'fixtures');
type Schema = Record<string, unknown>;
const spec = JSON.parse(readFileSync(path.join(fixtures, 'stripe-openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Record<string, Schema>>>;
  components: { schemas: Record<string, Schema> };
};
export const sdkFields = JSON.parse(readFileSync(path.join(fixtures, 'sdk-fields.json'), 'utf8')) as {
  stripe: string;
  fields: Record<string, FieldTree>;
};

/** Rewrites the spec's OpenAPI-only keywords into JSON Schema and closes every object's fields. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(rest)) {
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, toJsonSchema(v)])) : toJsonSchema(value);
  }
  if (out.properties && out.additionalProperties === undefined) out.sdkDeclared = true;
  if (nullable === true) {
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

type Tree = FieldTree | Array<FieldTree | string>;

/** The SDK's declared fields for what a response schema describes (a resource, a list of them, an error). */
function treeFor(schema: Schema | undefined): Tree {
  if (!schema) return {};
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.slice('#/components/schemas/'.length);
    return sdkFields.fields[name] ? [name] : treeFor(spec.components.schemas[name]);
  }
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Schema[]).flatMap((s) => asList(treeFor(s)));
  if (schema.items) return treeFor(schema.items as Schema);
  if (schema.properties) {
    return Object.fromEntries(Object.entries(schema.properties as Record<string, Schema>).map(([k, v]) => [k, treeFor(v)])) as FieldTree;
  }
  return {};
}

/** A tree as the list of field sets it stands for (resource names resolved). */
function asList(tree: Tree): Array<FieldTree | string> {
  return Array.isArray(tree) ? tree : [tree];
}

function resolve(nodes: Array<FieldTree | string>): FieldTree[] {
  return nodes.flatMap((n) => {
    if (typeof n === 'string') return sdkFields.fields[n] ? [sdkFields.fields[n]] : [];
    const resources = (n.$resources as string[] | undefined) ?? [];
    return [n, ...resources.flatMap((r) => (sdkFields.fields[r] ? [sdkFields.fields[r]] : []))];
  });
}

/** Whether the SDK declares `field` on the object at `instancePath` below `root`. */
function declared(root: Tree, instancePath: string, field: string): boolean {
  let nodes = resolve(asList(root));
  const segments = instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (const segment of segments) {
    // Arrays are transparent in the tree; a numeric segment indexes one.
    if (/^\d+$/.test(segment)) continue;
    nodes = resolve(nodes.flatMap((n) => (n[segment] === undefined ? [] : asList(n[segment] as Tree))));
  }
  return nodes.some((n) => n[field] !== undefined);
}

let currentRoot: Tree = {};

const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictTuples: false, strictRequired: false });
ajv.addFormat('unix-time', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
ajv.addFormat('decimal', { type: 'string', validate: (s: string) => /^-?\d+(\.\d+)?$/.test(s) });
ajv.addKeyword({
  keyword: 'sdkDeclared',
  schemaType: 'boolean',
  errors: true,
  validate: function sdkDeclared(this: unknown, _schema: boolean, data: unknown, parentSchema?: Schema, cxt?: DataValidationCxt) {
    if (!data || typeof data !== 'object' || Array.isArray(data)) return true;
    const known = (parentSchema?.properties ?? {}) as Schema;
    const extra = Object.keys(data).filter((k) => !(k in known) && !declared(currentRoot, cxt?.instancePath ?? '', k));
    if (extra.length === 0) return true;
    (sdkDeclared as unknown as { errors: Partial<ErrorObject>[] }).errors = extra.map((field) => ({
      keyword: 'sdkDeclared',
      message: `has "${field}", which neither the 2023-08-16 spec nor the SDK's types declare here`,
      params: { field },
    }));
    return false;
  },
});
// The spec's schemas live under `components`, a container rather than a keyword.
ajv.addKeyword('components');
ajv.addSchema({ $id: 'stripe', components: { schemas: toJsonSchema(spec.components.schemas) } });

const compiled = new Map<string, ValidateFunction>();
function compile(key: string, schema: Schema): ValidateFunction {
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(toJsonSchema(rebase(schema)) as Schema);
    compiled.set(key, validate);
  }
  return validate;
}

/** Points a path's inline schema's `$ref`s at the added document. */
function rebase(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rebase);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? `stripe${v}` : rebase(v)]));
}

/** The spec's path template for a request path (`/v1/customers/cus_1` → `/v1/customers/{customer}`). */
export function operationPath(method: string, pathname: string): string | undefined {
  return Object.keys(spec.paths).find((template) => {
    if (!spec.paths[template]![method.toLowerCase()]) return false;
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    return pattern.test(pathname);
  });
}

export interface Violation {
  where: string;
  errors: string[];
}

/** Validates one response body against its operation's schema for that status (errors: `error`). */
export function validateResponse(method: string, pathname: string, status: number, body: unknown): Violation | null {
  const template = operationPath(method, pathname);
  const where = `${method} ${pathname} ${status}`;
  if (!template) return { where, errors: ['no such operation in the spec'] };
  const responses = spec.paths[template]![method.toLowerCase()]!;
  const schema = responses[String(status)] ?? responses.default!;
  return run(compile(`${template} ${method} ${status in responses ? status : 'default'}`, schema), treeFor(schema), body, where);
}

/** Validates a resource (an event's `data.object`) against its schema. */
export function validateResource(schemaName: string, body: unknown, where: string): Violation | null {
  const schema = { $ref: `#/components/schemas/${schemaName}` };
  return run(compile(schemaName, schema), [schemaName], body, where);
}

/**
 * For a resource newer than the 2023 spec (a ConfirmationToken, 2024): the SDK's types are the only
 * reference, so every field, at every depth, must be one they declare at that place.
 */
export function validateSdkDeclared(resource: string, body: unknown, where: string): Violation | null {
  const errors: string[] = [];
  const walk = (node: unknown, pointer: string) => {
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      const isIndex = Array.isArray(node);
      if (!isIndex && !declared([resource], pointer, key)) errors.push(`${pointer || '/'} has "${key}", which the SDK's types do not declare here`);
      else walk(value, `${pointer}/${key}`);
    }
  };
  walk(body, '');
  const root = sdkFields.fields[resource] ?? {};
  // The SDK's optional fields (`mandate_data?`) are not told apart from the others; these may be absent.
  const optional = new Set(['mandate_data']);
  const missing = Object.keys(root).filter((field) => !optional.has(field) && !(field in (body as object)));
  if (missing.length) errors.push(`/ lacks ${missing.join(', ')}`);
  return errors.length ? { where, errors } : null;
}

function run(validate: ValidateFunction, root: Tree, body: unknown, where: string): Violation | null {
  currentRoot = root;
  if (validate(body)) return null;
  // Inside an anyOf every failed branch reports; the branch errors say why, the anyOf line only that one failed.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'anyOf').map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'allowedValues' in e.params ? ` ${JSON.stringify(e.params.allowedValues)}` : ''}`);
  return { where, errors: [...new Set(errors)] };
}
