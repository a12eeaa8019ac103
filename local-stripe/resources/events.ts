import { list } from '../http/lists.js';
import { type Resource, route } from '../http/router.js';
import { listSpec } from '../params.js';

export const eventResource: Resource = {
  routes: [
    route('GET', '/v1/events', {
      spec: { ...listSpec, type: 'string', types: 'array' },
      handler: (c) => {
        const types = c.params.types as string[] | undefined;
        const type = c.params.type as string | undefined;
        // `type` may end in `*` (`charge.*`), as Stripe allows.
        const matches = (t: string) => (!type || (type.endsWith('*') ? t.startsWith(type.slice(0, -1)) : t === type)) && (!types || types.includes(t));
        return list(c.store, c.store.events.values(), c.params, '/v1/events', (ev) => matches(ev.type));
      },
    }),
    route('GET', '/v1/events/:id', { handler: (c) => c.store.get(c.store.events, 'event', c.path.id!) }),
  ],
};
