import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../http/errors.js';
import { SESSION_COOKIE } from './request-user.js';

/** A random id binding a signed-out visitor's forms (log in, sign up) to their browser. */
export const PRE_SESSION_COOKIE = 'psid';

export const csrfRefused = () =>
  new ApiError(403, 'csrf_invalid', 'The form expired or was not sent from this site. Reload the page and try again.');

/**
 * CSRF tokens bound to the session: a token is an HMAC of the session id (signed in) or of the
 * pre-session id (signed out) under a server key. A token therefore works only with the cookie it
 * was made for: a pair taken from another browser, planted with a cookie set from another page on
 * the same host, does not verify against the victim's session. A new session id at login (and no
 * session after logout) makes every earlier token stale.
 */
export class CsrfTokens {
  private readonly key: Buffer;

  constructor(sessionSecret: string) {
    this.key = createHmac('sha256', sessionSecret).update('csrf-token-key').digest();
  }

  /** The token for this request's forms; a signed-out visitor without a pre-session gets one. */
  token(request: FastifyRequest, reply: FastifyReply): string {
    // A page carrying a token is for this browser only.
    reply.header('cache-control', 'no-store');
    let binding = this.binding(request);
    if (!binding) {
      const id = randomBytes(32).toString('base64url');
      reply.setCookie(PRE_SESSION_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https' });
      request.cookies[PRE_SESSION_COOKIE] = id;
      binding = `pre:${id}`;
    }
    return this.sign(binding);
  }

  /** Throws a 403 unless the request carries the token of its own session or pre-session. */
  verify(request: FastifyRequest): void {
    const binding = this.binding(request);
    const sent = (request.body as { _csrf?: unknown } | undefined)?._csrf ?? request.headers['x-csrf-token'];
    if (!binding || typeof sent !== 'string') throw csrfRefused();
    const expected = Buffer.from(this.sign(binding));
    const given = Buffer.from(sent);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw csrfRefused();
  }

  /** Forgets the pre-session: at login and logout, so no token from before carries over. */
  static endPreSession(reply: FastifyReply): void {
    reply.clearCookie(PRE_SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: reply.request.protocol === 'https' });
  }

  private binding(request: FastifyRequest): string | undefined {
    // The session id only counts when it names a live session (request.user is resolved from it).
    const sid = request.user ? request.cookies[SESSION_COOKIE] : undefined;
    if (sid) return `session:${sid}`;
    const pre = request.cookies[PRE_SESSION_COOKIE];
    return pre ? `pre:${pre}` : undefined;
  }

  private sign(binding: string): string {
    return createHmac('sha256', this.key).update(binding).digest('base64url');
  }
}
