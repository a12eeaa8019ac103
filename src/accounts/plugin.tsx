/**
 * accounts: members and who they are — sign-up, log in, sessions, API tokens, passwords and their
 * reset, roles, the permission to post jobs and requests for it. Routes and schemas here; views in
 * pages.tsx and permission-pages.tsx; rules in service.ts.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { User } from '../db/schema.js';
import { BEARER, errorResponses } from '../http/api.js';
import { ApiError, idParam, parseInput } from '../http/errors.js';
import type { Mailer } from '../mail/mailer.js';
import { doneMessage, pageContext, sendPage } from '../web/render.js';
import { CsrfTokens } from './csrf.js';
import { LoginForm, ResetForm, ResetLinkInvalid, ResetRequestForm, SettingsPage, type SettingsProps, SignupForm, UsersPage } from './pages.js';
import { permissionRequestRoutes } from './permission-routes.js';
import { PasswordResets, resetInput, resetRequestInput, resetTokenParam } from './password-reset.js';
import { requireAdmin, requireUser, SESSION_COOKIE } from './request-user.js';
import {
  authenticate,
  changePassword,
  createApiToken,
  createSession,
  createUser,
  deleteSession,
  listApiTokens,
  listUsers,
  loginInput,
  passwordChangeInput,
  publicUser,
  publicUserSchema,
  revokeApiToken,
  SESSION_TTL_MS,
  setCanPostJobs,
  signupInput,
  tokenJson,
  tokenOptions,
  tokenRequest,
  tokenSchema,
} from './service.js';

export interface AccountsOptions {
  rateLimits: boolean;
  /** Where password-reset e-mails go (the same way out as receipts). */
  mailer?: Mailer;
}

/** Form fields are strings: an empty one is absent, a checkbox is "on" when ticked. */
const tokenForm = z
  .object({ name: z.string().optional(), expires_in_days: z.string().optional() })
  .transform((f) => ({ name: f.name?.trim() || undefined, expires_in_days: f.expires_in_days ? Number(f.expires_in_days) : undefined }));
const checkbox = z
  .string()
  .optional()
  .transform((v) => v === 'on');
const passwordForm = z
  .object({ current_password: z.string().optional(), new_password: z.string().optional(), revoke_tokens: checkbox })
  .transform((f) => ({ ...f, current_password: f.current_password ?? '', new_password: f.new_password ?? '' }));
const resetForm = z.object({ new_password: z.string().optional(), revoke_tokens: checkbox }).transform((f) => ({ ...f, new_password: f.new_password ?? '' }));
/** Confirmations shown on the settings page after a change (a fixed list: nothing from the URL is echoed). */
const DONE = { token_revoked: 'The token was revoked.', password_changed: 'Your password was changed; your other sessions were logged out.' } as const;
const USERS_DONE = { granted: 'Permission granted: the member can post job listings.', revoked: 'Permission revoked: the member can no longer post job listings.' } as const;

const permissionInput = z.object({ can_post_jobs: z.boolean() });
const permissionForm = z.object({ can_post_jobs: z.enum(['0', '1']).transform((v) => v === '1') });
const safeNext = z
  .string()
  // A path on this site only: no scheme, no //host, no backslash, no space or control character.
  .refine((s) => /^\/(?!\/)/.test(s) && ![...s].some((c) => c <= ' ' || c === '\x7f' || c === '\\'))
  .catch('/dashboard');

export const accountsPlugin: FastifyPluginAsync<AccountsOptions> = async (app, options) => {
  const limited = (max: number) =>
    options.rateLimits ? { config: { rateLimit: { max, timeWindow: '1 minute' } } } : {};
  // Sign-up must say when an e-mail is taken (docs/decisions.md, "Security decisions"); few tries a
  // minute per address keep that from becoming a fast way to test lists of addresses.
  const signupLimit = limited(5);

  const resets = new PasswordResets(app.db, app.clock, options.mailer, app.log);
  app.addHook('onClose', () => resets.idle());

  async function startSession(request: FastifyRequest, reply: FastifyReply, user: User) {
    // A fresh session id at every login (no fixation); the old one, if any, is dropped.
    const old = request.cookies[SESSION_COOKIE];
    if (old) await deleteSession(app.db, old);
    const sid = await createSession(app.db, user.id, app.clock);
    // Forms are now bound to the new session id; tokens from before the login stop working.
    CsrfTokens.endPreSession(reply);
    reply.setCookie(SESSION_COOKIE, sid, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: 'auto',
      maxAge: SESSION_TTL_MS / 1000,
    });
  }

  // ---- JSON API ----
  const api = app.withTypeProvider<ZodTypeProvider>();
  const userAnswer = z.object({ user: publicUserSchema });

  api.post(
    '/api/v1/users',
    {
      ...signupLimit,
      schema: {
        tags: ['accounts'],
        summary: 'Sign up',
        description: 'Creates a member. An e-mail address or username already taken is a 409 that says which.',
        body: signupInput,
        response: { 201: userAnswer, ...errorResponses(400, 409, 429) },
      },
    },
    async (request, reply) => {
      const user = await createUser(app.db, request.body);
      return reply.status(201).send({ user: publicUser(user) });
    },
  );

  api.post(
    '/api/v1/tokens',
    {
      ...limited(10),
      schema: {
        tags: ['accounts'],
        summary: 'Create an API token',
        description: 'With your e-mail and password. The secret (`token`) is shown only in this answer.',
        body: tokenRequest,
        response: { 201: tokenSchema.extend({ token: z.string().meta({ description: 'The secret: send it as `Authorization: Bearer <token>`.' }) }), ...errorResponses(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const input = request.body;
      const user = await authenticate(app.db, input.email, input.password, app.clock.now());
      const { secret, token } = await createApiToken(app.db, user.id, input, app.clock.now());
      return reply.status(201).send({ ...tokenJson(token), token: secret });
    },
  );

  api.get(
    '/api/v1/tokens',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Your API tokens',
        security: BEARER,
        response: { 200: z.object({ tokens: z.array(tokenSchema.extend({ current: z.boolean().meta({ description: 'The token making this request.' }) })) }), ...errorResponses(401) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const current = request.credential?.tokenId;
      return { tokens: (await listApiTokens(app.db, user.id)).map((t) => ({ ...tokenJson(t), current: t.id === current })) };
    },
  );

  api.delete(
    '/api/v1/tokens/:id',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Revoke one of your API tokens',
        security: BEARER,
        params: idParam,
        response: { 204: z.undefined().describe('Revoked.'), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await revokeApiToken(app.db, user.id, request.params.id, app.clock.now());
      return reply.status(204).send();
    },
  );

  api.post(
    '/api/v1/me/password',
    {
      ...limited(10),
      schema: {
        tags: ['accounts'],
        summary: 'Change your password',
        description: 'Logs out your other sessions; `revoke_tokens` also revokes your other API tokens.',
        security: BEARER,
        body: passwordChangeInput,
        response: { 200: userAnswer, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      await changePassword(app.db, user, request.body, request.credential ?? {}, app.clock.now());
      return { user: publicUser(user) };
    },
  );

  api.get(
    '/api/v1/me',
    { schema: { tags: ['accounts'], summary: 'Who you are', security: BEARER, response: { 200: userAnswer, ...errorResponses(401) } } },
    async (request) => ({ user: publicUser(requireUser(request)) }),
  );

  api.post(
    '/api/v1/admin/users/:id/permissions',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Grant or revoke the permission to post jobs (admins)',
        security: BEARER,
        params: idParam,
        body: permissionInput,
        response: { 200: userAnswer, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const admin = requireAdmin(request);
      return { user: publicUser(await setCanPostJobs(app.db, admin, request.params.id, request.body.can_post_jobs, app.clock.now())) };
    },
  );

  // ---- Pages ----
  app.get('/signup', (request, reply) => {
    const ctx = pageContext(request, reply);
    return sendPage(reply, ctx, 'Sign up', <SignupForm ctx={ctx} />);
  });

  app.post('/signup', signupLimit, async (request, reply) => {
    const ctx = pageContext(request, reply);
    try {
      const user = await createUser(app.db, parseInput(signupInput, request.body));
      await startSession(request, reply, user);
      return reply.redirect('/dashboard', 303);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return sendPage(reply, ctx, 'Sign up', <SignupForm ctx={ctx} error={error} values={request.body} />, error.status);
    }
  });

  app.get('/login', (request, reply) => {
    const ctx = pageContext(request, reply);
    const next = safeNext.parse((request.query as { next?: unknown }).next);
    return sendPage(reply, ctx, 'Log in', <LoginForm ctx={ctx} next={next} />);
  });

  app.post('/login', limited(10), async (request, reply) => {
    const ctx = pageContext(request, reply);
    const next = safeNext.parse((request.body as { next?: unknown } | undefined)?.next);
    try {
      const input = parseInput(loginInput, request.body);
      const user = await authenticate(app.db, input.email, input.password, app.clock.now());
      await startSession(request, reply, user);
      return reply.redirect(next, 303);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return sendPage(reply, ctx, 'Log in', <LoginForm ctx={ctx} next={next} error={error} values={request.body} />, error.status);
    }
  });

  app.get('/password-reset', (request, reply) => {
    const ctx = pageContext(request, reply);
    return sendPage(reply, ctx, 'Reset your password', <ResetRequestForm ctx={ctx} />);
  });

  app.post('/password-reset', limited(5), async (request, reply) => {
    const ctx = pageContext(request, reply);
    try {
      const { email } = parseInput(resetRequestInput, request.body);
      // The same answer, at once, whether or not the address has an account.
      resets.request(email);
      return sendPage(reply, ctx, 'Reset your password', <ResetRequestForm ctx={ctx} sentTo={email} />);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return sendPage(reply, ctx, 'Reset your password', <ResetRequestForm ctx={ctx} error={error} values={request.body} />, error.status);
    }
  });

  app.get('/password-reset/:token', async (request, reply) => {
    const ctx = pageContext(request, reply);
    try {
      const { token } = parseInput(resetTokenParam, request.params);
      const user = await resets.check(token);
      return sendPage(reply, ctx, 'Choose a new password', <ResetForm ctx={ctx} token={token} username={user.username} />);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return sendPage(reply, ctx, 'Choose a new password', <ResetLinkInvalid error={error} />, error.status);
    }
  });

  app.post('/password-reset/:token', limited(10), async (request, reply) => {
    const ctx = pageContext(request, reply);
    let token = '';
    try {
      token = parseInput(resetTokenParam, request.params).token;
      const user = await resets.complete(token, parseInput(resetInput, parseInput(resetForm, request.body)));
      // The reset proves the mailbox: the member is signed in with a fresh session.
      await startSession(request, reply, user);
      return reply.redirect('/settings?done=password_changed', 303);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.code === 'reset_link_invalid' || !token) return sendPage(reply, ctx, 'Choose a new password', <ResetLinkInvalid error={error} />, error.status);
      return sendPage(reply, ctx, 'Choose a new password', <ResetForm ctx={ctx} token={token} error={error} values={request.body} />, error.status);
    }
  });

  app.post('/logout', async (request, reply) => {
    const sid = request.cookies[SESSION_COOKIE];
    if (sid) await deleteSession(app.db, sid);
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto' });
    CsrfTokens.endPreSession(reply);
    return reply.redirect('/', 303);
  });

  const settingsPage = async (request: FastifyRequest, reply: FastifyReply, user: User, extra: Partial<SettingsProps> = {}, status = 200) => {
    const ctx = pageContext(request, reply);
    const tokens = await listApiTokens(app.db, user.id);
    return sendPage(reply, ctx, 'Settings', <SettingsPage ctx={ctx} tokens={tokens} done={doneMessage(request.query, DONE)} {...extra} />, status);
  };

  app.get('/settings', (request, reply) => settingsPage(request, reply, requireUser(request)));

  app.post('/settings/tokens', async (request, reply) => {
    const user = requireUser(request);
    try {
      const options = parseInput(tokenOptions, parseInput(tokenForm, request.body));
      const { secret, token } = await createApiToken(app.db, user.id, options, app.clock.now());
      return settingsPage(request, reply, user, { newToken: { secret, name: token.name } }, 201);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return settingsPage(request, reply, user, { tokenError: error, tokenValues: request.body }, error.status);
    }
  });

  app.post('/settings/tokens/:id/revoke', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    await revokeApiToken(app.db, user.id, id, app.clock.now());
    return reply.redirect('/settings?done=token_revoked', 303);
  });

  app.post('/settings/password', limited(10), async (request, reply) => {
    const user = requireUser(request);
    try {
      const input = parseInput(passwordChangeInput, parseInput(passwordForm, request.body));
      await changePassword(app.db, user, input, request.credential ?? {}, app.clock.now());
      return reply.redirect('/settings?done=password_changed', 303);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return settingsPage(request, reply, user, { passwordError: error, passwordValues: request.body }, error.status);
    }
  });

  app.get('/admin/users', async (request, reply) => {
    requireAdmin(request);
    const ctx = pageContext(request, reply);
    const all = await listUsers(app.db);
    return sendPage(reply, ctx, 'Users', <UsersPage ctx={ctx} users={all} done={doneMessage(request.query, USERS_DONE)} />);
  });

  app.post('/admin/users/:id/permissions', async (request, reply) => {
    const admin = requireAdmin(request);
    const { id } = parseInput(idParam, request.params);
    const { can_post_jobs } = parseInput(permissionForm, request.body);
    await setCanPostJobs(app.db, admin, id, can_post_jobs, app.clock.now());
    return reply.redirect(`/admin/users?done=${can_post_jobs ? 'granted' : 'revoked'}`, 303);
  });

  await app.register(permissionRequestRoutes, { mailer: options.mailer });
};
