import type Stripe from 'stripe';
import { invalidRequest, resourceMissing } from '../errors.js';
import { list } from '../http/lists.js';
import { type Resource, route } from '../http/router.js';
import { listSpec, metadata } from '../params.js';
import type { Store } from '../store.js';
import { type Endpoint, newWebhookSecret, type WebhookDispatcher } from '../webhooks.js';

/**
 * Endpoints live with the dispatcher, outside the saved state: the app registers its endpoint on
 * every start, so a restored one would receive each event twice.
 */
export function createWebhookEndpoint(store: Store, webhooks: WebhookDispatcher, url: string, secret = newWebhookSecret(), enabledEvents = ['*']): Endpoint {
  const endpoint: Endpoint = {
    id: store.newId('we'),
    url,
    secret,
    enabledEvents,
    created: store.now(),
    description: null,
    metadata: {},
    status: 'enabled',
    apiVersion: null,
  };
  webhooks.endpoints.set(endpoint.id, endpoint);
  return endpoint;
}

/** Stripe's API versions: a release date, named since 2024 (`2026-10-28.endive`). */
const API_VERSION_FORMAT = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;

function endpointFor(webhooks: WebhookDispatcher, id: string): Endpoint {
  const endpoint = webhooks.endpoints.get(id);
  if (!endpoint) throw resourceMissing('webhook_endpoint', id);
  return endpoint;
}

function endpointJson(e: Endpoint): Stripe.WebhookEndpoint {
  return {
    id: e.id,
    object: 'webhook_endpoint',
    api_version: e.apiVersion,
    application: null,
    created: e.created,
    description: e.description,
    enabled_events: e.enabledEvents,
    livemode: false,
    metadata: e.metadata,
    status: e.status,
    url: e.url,
  };
}

export const webhookEndpointResource: Resource = {
  routes: [
    route('POST', '/v1/webhook_endpoints', {
      spec: { url: 'url', enabled_events: 'array', description: 'string', metadata, api_version: 'string', expand: 'array' },
      required: ['url', 'enabled_events'],
      handler: (c) => {
        const apiVersion = (c.params.api_version as string | undefined) ?? null;
        if (apiVersion !== null && !API_VERSION_FORMAT.test(apiVersion)) throw invalidRequest(`Invalid api_version: ${apiVersion}`, { param: 'api_version' });
        const endpoint = createWebhookEndpoint(c.store, c.webhooks, c.params.url as string, undefined, c.params.enabled_events as string[]);
        endpoint.description = (c.params.description as string) ?? null;
        endpoint.apiVersion = apiVersion;
        // The signing secret is shown only in the creation's response, as at Stripe.
        return { ...endpointJson(endpoint), secret: endpoint.secret };
      },
    }),
    route('GET', '/v1/webhook_endpoints', {
      spec: listSpec,
      handler: (c) => list(c.store, [...c.webhooks.endpoints.values()].map(endpointJson), c.params, '/v1/webhook_endpoints'),
    }),
    route('GET', '/v1/webhook_endpoints/:id', { handler: (c) => endpointJson(endpointFor(c.webhooks, c.path.id!)) }),
    route('POST', '/v1/webhook_endpoints/:id', {
      spec: { url: 'url', enabled_events: 'array', disabled: 'boolean', description: 'string', metadata, expand: 'array' },
      handler: (c) => {
        const endpoint = endpointFor(c.webhooks, c.path.id!);
        if (c.params.url) endpoint.url = c.params.url as string;
        if (c.params.enabled_events) endpoint.enabledEvents = c.params.enabled_events as string[];
        if (c.params.disabled !== undefined) endpoint.status = c.params.disabled ? 'disabled' : 'enabled';
        return endpointJson(endpoint);
      },
    }),
    route('DELETE', '/v1/webhook_endpoints/:id', {
      handler: (c) => {
        endpointFor(c.webhooks, c.path.id!);
        c.webhooks.endpoints.delete(c.path.id!);
        return { id: c.path.id, object: 'webhook_endpoint', deleted: true };
      },
    }),
  ],
};
