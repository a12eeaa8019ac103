import type { FastifyRequest } from 'fastify';

/**
 * Route options limiting each signed-in member (or, signed out, each address) to `max` requests a
 * minute; none when rate limits are off (most tests). The route hook runs after the user is resolved.
 */
export const perMemberLimit = (enabled: boolean, max: number) =>
  enabled
    ? { config: { rateLimit: { max, timeWindow: '1 minute', keyGenerator: (r: FastifyRequest) => (r.user ? `user:${r.user.id}` : r.ip) } } }
    : {};
