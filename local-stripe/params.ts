import { invalidRequest, missingParam, unknownParam } from './errors.js';

/**
 * A small parameter schema, enough to validate what the SDK sends as Stripe does:
 * unknown parameters, missing ones and wrong types each get Stripe's error code and `param`.
 */
export type ParamType =
  | 'string'
  | 'url'
  | 'integer'
  | 'timestamp_or_range'
  | 'boolean'
  | 'hash'
  | 'array'
  | { enum: readonly string[] }
  /** A hash Stripe lets the caller unset with an empty string (`address=`): '' gives null. */
  | { emptyable: Spec }
  /** An array of hashes (`line_items[0][quantity]=1`), each validated against the spec. */
  | { items: Spec; max: number }
  | Spec;
export interface Spec {
  [name: string]: ParamType;
}
type Parsed = Record<string, unknown>;

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function validate(input: unknown, spec: Spec, required: string[] = [], prefix = ''): Parsed {
  const body = isPlain(input) ? input : {};
  const out: Parsed = {};
  for (const [key, raw] of Object.entries(body)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    const type = spec[key];
    if (!type) throw unknownParam(name);
    out[key] = coerce(raw, type, name);
  }
  for (const key of required) {
    if (out[key] === undefined || out[key] === '') throw missingParam(prefix ? `${prefix}[${key}]` : key);
  }
  return out;
}

function coerce(raw: unknown, type: ParamType, name: string): unknown {
  if (type === 'string') {
    if (typeof raw !== 'string') throw invalidRequest(`Invalid string: ${JSON.stringify(raw)}`, { code: 'parameter_invalid_string', param: name });
    return raw;
  }
  if (type === 'url') {
    // Stripe answers "Not a valid URL" (error code url_invalid) for a URL it cannot follow.
    if (typeof raw !== 'string' || !safeUrl(raw)) throw invalidRequest('Not a valid URL', { code: 'url_invalid', param: name });
    return raw;
  }
  if (type === 'timestamp_or_range') {
    return typeof raw === 'string' ? coerce(raw, 'integer', name) : coerce(raw, { gt: 'integer', gte: 'integer', lt: 'integer', lte: 'integer' }, name);
  }
  if (type === 'integer') {
    if (typeof raw !== 'string' || !/^-?\d{1,15}$/.test(raw))
      throw invalidRequest(`Invalid integer: ${typeof raw === 'string' ? raw : JSON.stringify(raw)}`, { code: 'parameter_invalid_integer', param: name });
    return Number(raw);
  }
  if (type === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw invalidRequest(`Invalid boolean: ${String(raw)}`, { code: 'parameter_invalid_boolean', param: name });
    return raw === 'true';
  }
  if (type === 'hash') {
    if (raw === '') return {};
    if (!isPlain(raw) || Object.values(raw).some((v) => typeof v !== 'string'))
      throw invalidRequest(`Invalid hash`, { code: 'parameter_invalid_hash', param: name });
    return raw;
  }
  if (type === 'array') {
    const values = Array.isArray(raw) ? raw : isPlain(raw) ? Object.values(raw) : [raw];
    if (values.some((v) => typeof v !== 'string')) throw invalidRequest(`Invalid array`, { code: 'parameter_invalid_array', param: name });
    return values;
  }
  if ('emptyable' in type && typeof type.emptyable === 'object') {
    return raw === '' ? null : coerce(raw, type.emptyable as Spec, name);
  }
  if ('items' in type && typeof type.max === 'number') {
    const values = Array.isArray(raw) ? raw : isPlain(raw) ? Object.values(raw) : null;
    if (!values || values.some((v) => !isPlain(v))) throw invalidRequest('Invalid array', { code: 'parameter_invalid_array', param: name });
    if (values.length > type.max) throw invalidRequest(`${name} can have at most ${type.max} items; it has ${values.length}.`, { param: name });
    return values.map((v, i) => validate(v, type.items as Spec, [], `${name}[${i}]`));
  }
  if ('enum' in type && Array.isArray(type.enum)) {
    if (typeof raw !== 'string' || !type.enum.includes(raw))
      throw invalidRequest(`Invalid ${name}: must be one of ${type.enum.join(', ')}`, { code: 'parameter_invalid_string', param: name });
    return raw;
  }
  if (!isPlain(raw)) throw invalidRequest(`Invalid object`, { code: 'parameter_invalid_hash', param: name });
  return validate(raw, type as Spec, [], name);
}

/** Stripe's list parameters, shared by every list endpoint. */
export const listSpec: Spec = {
  limit: 'integer',
  starting_after: 'string',
  ending_before: 'string',
  created: 'timestamp_or_range',
  expand: 'array',
};

/** `metadata[key]=value`; an empty value removes the key on update, as at Stripe. */
export const metadata = 'hash' as const;

export function mergeMetadata(current: Record<string, string>, update: Record<string, string>): Record<string, string> {
  const merged = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === '') delete merged[k];
    else merged[k] = v;
  }
  return merged;
}

/** A URL a browser may be sent to: absolute http(s) only (no `javascript:`, `data:`, …). */
export function safeUrl(raw: string): string | null {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
