import type { Spec } from '../params.js';
import type { RequestInfo, Store } from '../store.js';
import type { WebhookDispatcher } from '../webhooks.js';

/** What a route's handler gets: validated parameters, the URL's ids, and the state it acts on. */
export interface Ctx {
  params: Record<string, unknown>;
  path: Record<string, string>;
  request: RequestInfo;
  /** The request was made with the publishable key (Stripe.js). */
  publishable: boolean;
  store: Store;
  webhooks: WebhookDispatcher;
}

export interface Route {
  method: string;
  /** `/v1/customers/:id`, also the route's name in request counts. */
  path: string;
  pattern: RegExp;
  spec?: Spec;
  required?: string[];
  /** Stripe.js (publishable key) may call this route too. */
  publishable?: boolean;
  handler: (ctx: Ctx) => unknown;
}

/** One resource of Stripe's API reference: its routes, and what it does as time passes. */
export interface Resource {
  routes: Route[];
  /** The object it serves (`charge`) and the fields of it that `expand[]` may name. */
  expandable?: { object: string; fields: readonly string[] };
  /** Wires the resource to a store (e.g. work that happens "some time later" on clock moves). */
  attach?: (store: Store) => void;
}

export const route = (method: string, path: string, rest: Omit<Route, 'method' | 'path' | 'pattern'>): Route => ({
  method,
  path,
  pattern: new RegExp(`^${path.replace(/:(\w+)/g, '(?<$1>[^/]+)')}$`),
  ...rest,
});

export class Router {
  constructor(private readonly routes: Route[]) {}

  match(method: string, pathname: string): { route: Route; groups: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(pathname);
      if (m) return { route, groups: { ...m.groups } as Record<string, string> };
    }
    return undefined;
  }
}
