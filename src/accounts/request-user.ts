import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../db/schema.js';
import { ApiError, forbidden, routedPath } from '../http/errors.js';
import { hashSecret } from './tokens.js';
import { type CurrentCredential, userForSession, userForToken } from './service.js';

export const SESSION_COOKIE = 'sid';

/**
 * Who is calling: the JSON API authenticates with `Authorization: Bearer <token>` only,
 * pages with the session cookie only, so a cookie can never drive the API cross-site.
 */
export function resolveUser(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  const { db, clock } = request.server;
  let lookup: Promise<{ user: User; credential: CurrentCredential } | undefined> | undefined;
  // Decided on the routed path: `/%61pi/v1/tokens` is routed to the API, so it is the API.
  if (routedPath(request).startsWith('/api/')) {
    const header = request.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      lookup = userForToken(db, header.slice(7).trim(), clock).then((found) => found && { user: found.user, credential: { tokenId: found.tokenId } });
    }
  } else {
    const sid = request.cookies[SESSION_COOKIE];
    if (sid) lookup = userForSession(db, sid, clock).then((user) => user && { user, credential: { sessionHash: hashSecret(sid) } });
  }
  // Anonymous requests (most reads) finish synchronously: no promise, no database.
  if (!lookup) {
    done();
    return;
  }
  lookup.then((found) => {
    request.user = found?.user ?? null;
    request.credential = found?.credential ?? null;
    done();
  }, done);
}

/**
 * Whatever a session or a token unlocks is for one person: no browser or shared cache may keep it
 * (an onSend hook; a route that chose its own Cache-Control, like the stylesheet, keeps it).
 */
export function noStoreWhenSignedIn(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
  if (request.user && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  done(null, payload);
}

export function requireUser(request: FastifyRequest): User {
  if (!request.user) throw new ApiError(401, 'unauthenticated', 'Log in (or send a valid API token) to do this.');
  return request.user;
}

export function requireAdmin(request: FastifyRequest): User {
  const user = requireUser(request);
  if (!user.admin) throw forbidden('Only admins can do this.');
  return user;
}

/**
 * An API route whose schema declares a bearer token (`security`, as its document says) refuses a
 * caller without one (401), or a member on an /api/v1/admin/ route (403), before its input is
 * validated: who may call comes first. Its handler still asks requireUser or requireAdmin for the user.
 */
export function refuseUndeclaredCaller(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  try {
    if (!(request.routeOptions.schema as { security?: unknown } | undefined)?.security) done();
    else if (request.routeOptions.url?.startsWith('/api/v1/admin/')) done(void requireAdmin(request));
    else done(void requireUser(request));
  } catch (error) {
    done(error as Error);
  }
}
