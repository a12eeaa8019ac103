import type Stripe from 'stripe';
import { invalidRequest, resourceMissing } from '../errors.js';
import type { Store } from '../store.js';

/**
 * A page of a list endpoint, newest first (or in the order given: a session's line items), with
 * Stripe's `limit`, cursors and `created` filters.
 */
export function list<T extends { id: string; created?: number }>(
  store: Store,
  items: Iterable<T>,
  params: Record<string, unknown>,
  url: string,
  filter: (item: T) => boolean = () => true,
  order: 'newest' | 'given' = 'newest',
): Stripe.ApiList<T> {
  // `created=<unix time>` is an exact match; `created[gte]=…` and the like a range, as at Stripe.
  const created = (typeof params.created === 'number' ? { gte: params.created, lte: params.created } : (params.created ?? {})) as Record<string, number>;
  let all = [...items].filter(filter).filter(({ created: at = 0 }) => (created.gt === undefined || at > created.gt) && (created.gte === undefined || at >= created.gte) && (created.lt === undefined || at < created.lt) && (created.lte === undefined || at <= created.lte));
  if (order === 'newest') all.sort((a, b) => (b.created ?? 0) - (a.created ?? 0) || store.order(b.id) - store.order(a.id));
  const limit = (params.limit as number | undefined) ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('Invalid limit: must be between 1 and 100', { param: 'limit' });
  if (params.starting_after) {
    const i = all.findIndex((x) => x.id === params.starting_after);
    if (i < 0) throw resourceMissing('object', params.starting_after as string, 'starting_after');
    all = all.slice(i + 1);
  } else if (params.ending_before) {
    const i = all.findIndex((x) => x.id === params.ending_before);
    if (i < 0) throw resourceMissing('object', params.ending_before as string, 'ending_before');
    all = all.slice(Math.max(0, i - limit), i);
  }
  return { object: 'list', data: all.slice(0, limit), has_more: all.length > limit, url };
}

/** Per object type (`charge`), the fields `expand[]` may name, as Stripe's API reference marks them. */
export type Expandable = ReadonlyMap<string, readonly string[]>;

const notExpandable = (field: string, inList: boolean) =>
  invalidRequest(`This property cannot be expanded (${field}).${inList ? ` You may want to try expanding 'data.${field}' instead.` : ''}`);

/**
 * Replaces ids by objects along each `expand[]` path, as Stripe does: through a list's `data`, an
 * object's expandable fields and the plain hashes inside it (`invoice_settings.default_payment_method`).
 * Any other field is Stripe's 400 "This property cannot be expanded (field)."
 */
export function expand(store: Store, expandable: Expandable, body: unknown, paths: string[]): unknown {
  if (paths.length === 0) return body;
  const copy = structuredClone(body) as Record<string, unknown>;
  const walk = (node: unknown, segments: string[]): unknown => {
    if (!node || typeof node !== 'object' || segments.length === 0) return node;
    const [head, ...rest] = segments as [string, ...string[]];
    const obj = node as Record<string, unknown>;
    if (obj.object === 'list') {
      if (head !== 'data' || !Array.isArray(obj.data)) throw notExpandable(head, true);
      obj.data = obj.data.map((item) => walk(item, rest));
      return obj;
    }
    let value = obj[head];
    const typed = typeof obj.object === 'string';
    const isHash = value !== null && typeof value === 'object' && !('object' in (value as object));
    if (typed && !expandable.get(obj.object as string)?.includes(head) && !(isHash && rest.length)) throw notExpandable(head, false);
    if (!typed && !isHash && (typeof value !== 'string' || !store.byId(value)) && value !== null) throw notExpandable(head, false);
    if (typeof value === 'string') {
      const found = store.byId(value);
      if (found) value = structuredClone(found);
    }
    obj[head] = rest.length ? walk(value, rest) : value;
    return obj;
  };
  for (const path of paths) walk(copy, path.split('.'));
  return copy;
}
