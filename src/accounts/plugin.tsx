import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { User } from '../db/schema.js';
import { ApiError, idParam, parseInput } from '../http/errors.js';
import { CsrfField, ErrorList, type PageContext, pageContext, sendPage } from '../web/render.js';
import { CsrfTokens } from './csrf.js';
import { requireAdmin, requireUser, SESSION_COOKIE } from './request-user.js';
import {
  authenticate,
  createApiToken,
  createSession,
  createUser,
  deleteSession,
  listUsers,
  loginInput,
  publicUser,
  SESSION_TTL_MS,
  setCanPostJobs,
  signupInput,
} from './service.js';

export interface AccountsOptions {
  rateLimits: boolean;
}

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
      secure: request.protocol === 'https',
      maxAge: SESSION_TTL_MS / 1000,
    });
  }

  // ---- JSON API ----
  app.post('/api/v1/users', signupLimit, async (request, reply) => {
    const input = parseInput(signupInput, request.body);
    const user = await createUser(app.db, input);
    return reply.status(201).send({ user: publicUser(user) });
  });

  app.post('/api/v1/tokens', limited(10), async (request, reply) => {
    const input = parseInput(loginInput, request.body);
    const user = await authenticate(app.db, input.email, input.password);
    return reply.status(201).send({ token: await createApiToken(app.db, user.id) });
  });

  app.get('/api/v1/me', async (request) => ({ user: publicUser(requireUser(request)) }));

  app.post('/api/v1/admin/users/:id/permissions', async (request) => {
    const admin = requireAdmin(request);
    const { id } = parseInput(idParam, request.params);
    const input = parseInput(permissionInput, request.body);
    return { user: publicUser(await setCanPostJobs(app.db, admin, id, input.can_post_jobs, app.clock.now())) };
  });

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
      const user = await authenticate(app.db, input.email, input.password);
      await startSession(request, reply, user);
      return reply.redirect(next, 303);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return sendPage(reply, ctx, 'Log in', <LoginForm ctx={ctx} next={next} error={error} />, error.status);
    }
  });

  app.post('/logout', async (request, reply) => {
    const sid = request.cookies[SESSION_COOKIE];
    if (sid) await deleteSession(app.db, sid);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    CsrfTokens.endPreSession(reply);
    return reply.redirect('/', 303);
  });

  app.get('/settings', (request, reply) => {
    requireUser(request);
    const ctx = pageContext(request, reply);
    return sendPage(reply, ctx, 'Settings', <SettingsPage ctx={ctx} />);
  });

  app.post('/settings/tokens', async (request, reply) => {
    const user = requireUser(request);
    const ctx = pageContext(request, reply);
    const token = await createApiToken(app.db, user.id);
    return sendPage(reply, ctx, 'Settings', <SettingsPage ctx={ctx} newToken={token} />, 201);
  });

  app.get('/admin/users', async (request, reply) => {
    requireAdmin(request);
    const ctx = pageContext(request, reply);
    const all = await listUsers(app.db);
    return sendPage(reply, ctx, 'Users', <UsersPage ctx={ctx} users={all} />);
  });

  app.post('/admin/users/:id/permissions', async (request, reply) => {
    const admin = requireAdmin(request);
    const { id } = parseInput(idParam, request.params);
    const { can_post_jobs } = parseInput(permissionForm, request.body);
    await setCanPostJobs(app.db, admin, id, can_post_jobs, app.clock.now());
    return reply.redirect('/admin/users', 303);
  });
};

function SignupForm({ ctx, error, values }: { ctx: PageContext; error?: ApiError; values?: unknown }) {
  const v = (values ?? {}) as Record<string, string>;
  return (
    <div class="card">
      <h1>Create your account</h1>
      {error && <p class="flash-error">{error.message}</p>}
      <ErrorList fields={error?.fields} />
      <form method="post" action="/signup" class="stack">
        <CsrfField ctx={ctx} />
        <label>
          Username <input type="text" name="username" value={v.username ?? ''} required autocomplete="username" />
        </label>
        <label>
          E-mail <input type="email" name="email" value={v.email ?? ''} required autocomplete="email" />
        </label>
        <label>
          Password <input type="password" name="password" required minLength={8} autocomplete="new-password" />
        </label>
        <button type="submit">Sign up</button>
      </form>
    </div>
  );
}

function LoginForm({ ctx, next, error }: { ctx: PageContext; next: string; error?: ApiError }) {
  return (
    <div class="card">
      <h1>Log in</h1>
      {error && <p class="flash-error">{error.message}</p>}
      <ErrorList fields={error?.fields} />
      <form method="post" action="/login" class="stack">
        <CsrfField ctx={ctx} />
        <input type="hidden" name="next" value={next} />
        <label>
          E-mail <input type="email" name="email" required autocomplete="email" />
        </label>
        <label>
          Password <input type="password" name="password" required autocomplete="current-password" />
        </label>
        <button type="submit">Log in</button>
      </form>
    </div>
  );
}

function SettingsPage({ ctx, newToken }: { ctx: PageContext; newToken?: string }) {
  return (
    <>
      <h1>Settings</h1>
      <p>
        <a href="/settings/billing">Billing: your payments, receipts and saved cards</a>
      </p>
      <div class="card">
        <h2>API tokens</h2>
        <p class="muted">Use a token as <code>Authorization: Bearer …</code> with the JSON API under /api/v1.</p>
        {newToken && (
          <p class="flash">
            Your new token (shown only once): <code class="token">{newToken}</code>
          </p>
        )}
        <form method="post" action="/settings/tokens">
          <CsrfField ctx={ctx} />
          <button type="submit">Create a token</button>
        </form>
      </div>
    </>
  );
}

function UsersPage({ ctx, users }: { ctx: PageContext; users: User[] }) {
  return (
    <>
      <h1>Users</h1>
      <table>
        <thead>
          <tr>
            <th>Id</th>
            <th>Username</th>
            <th>E-mail</th>
            <th>Role</th>
            <th>Can post jobs</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr>
              <td>{u.id}</td>
              <td>{u.username}</td>
              <td>{u.email}</td>
              <td>{u.admin ? 'admin' : 'member'}</td>
              <td>
                <form method="post" action={`/admin/users/${u.id}/permissions`} class="inline">
                  <CsrfField ctx={ctx} />
                  <input type="hidden" name="can_post_jobs" value={u.canPostJobs ? '0' : '1'} />
                  {u.canPostJobs ? 'yes ' : 'no '}
                  <button type="submit" class="link">
                    {u.canPostJobs ? 'Revoke' : 'Grant'}
                  </button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
