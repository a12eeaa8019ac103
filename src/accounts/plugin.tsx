import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { User } from '../db/schema.js';
import type { ApiToken } from '../db/schema.js';
import { ApiError, idParam, parseInput } from '../http/errors.js';
import type { Mailer } from '../mail/mailer.js';
import { CsrfField, ErrorList, FieldError, type PageContext, pageContext, ScrollX, sendPage } from '../web/render.js';
import { CsrfTokens } from './csrf.js';
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
  revokeApiToken,
  SESSION_TTL_MS,
  setCanPostJobs,
  signupInput,
  tokenJson,
  tokenOptions,
  tokenRequest,
} from './service.js';
import { formatUtc } from '../format.js';

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
const doneQuery = z.object({ done: z.enum(Object.keys(DONE) as [keyof typeof DONE]).optional() }).catch({});

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
  app.post('/api/v1/users', signupLimit, async (request, reply) => {
    const input = parseInput(signupInput, request.body);
    const user = await createUser(app.db, input);
    return reply.status(201).send({ user: publicUser(user) });
  });

  app.post('/api/v1/tokens', limited(10), async (request, reply) => {
    const input = parseInput(tokenRequest, request.body);
    const user = await authenticate(app.db, input.email, input.password, app.clock.now());
    const { secret, token } = await createApiToken(app.db, user.id, input, app.clock.now());
    return reply.status(201).send({ ...tokenJson(token), token: secret });
  });

  app.get('/api/v1/tokens', async (request) => {
    const user = requireUser(request);
    const current = request.credential?.tokenId;
    return { tokens: (await listApiTokens(app.db, user.id)).map((t) => ({ ...tokenJson(t), current: t.id === current })) };
  });

  app.delete('/api/v1/tokens/:id', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseInput(idParam, request.params);
    await revokeApiToken(app.db, user.id, id, app.clock.now());
    return reply.status(204).send();
  });

  app.post('/api/v1/me/password', limited(10), async (request) => {
    const user = requireUser(request);
    const input = parseInput(passwordChangeInput, request.body);
    await changePassword(app.db, user, input, request.credential ?? {}, app.clock.now());
    return { user: publicUser(user) };
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
    const done = doneQuery.parse(request.query).done;
    return sendPage(reply, ctx, 'Settings', <SettingsPage ctx={ctx} tokens={tokens} done={done && DONE[done]} {...extra} />, status);
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

function LoginForm({ ctx, next, error, values }: { ctx: PageContext; next: string; error?: ApiError; values?: unknown }) {
  const v = (values ?? {}) as Record<string, string>;
  return (
    <div class="card">
      <h1>Log in</h1>
      {error && <p class="flash-error">{error.message}</p>}
      <ErrorList fields={error?.fields} />
      <form method="post" action="/login" class="stack">
        <CsrfField ctx={ctx} />
        <input type="hidden" name="next" value={next} />
        <label>
          E-mail <input type="email" name="email" value={typeof v.email === 'string' ? v.email : ''} required autocomplete="email" />
        </label>
        <label>
          Password <input type="password" name="password" required autocomplete="current-password" />
        </label>
        <button type="submit">Log in</button>
      </form>
      <p>
        <a href="/password-reset">Forgot your password?</a>
      </p>
    </div>
  );
}

const str = (values: unknown, key: string) => {
  const v = (values as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'string' ? v : '';
};

interface SettingsProps {
  ctx: PageContext;
  tokens: ApiToken[];
  done?: string;
  newToken?: { secret: string; name: string };
  tokenError?: ApiError;
  tokenValues?: unknown;
  passwordError?: ApiError;
  passwordValues?: unknown;
}

function SettingsPage({ ctx, tokens, done, newToken, tokenError, tokenValues, passwordError, passwordValues }: SettingsProps) {
  const expiry = str(tokenValues, 'expires_in_days');
  return (
    <>
      <h1>Settings</h1>
      {done && <p class="flash">{done}</p>}
      <p>
        <a href="/settings/billing">Billing: your payments, receipts and saved cards</a>
      </p>
      <div class="card">
        <h2>API tokens</h2>
        <p class="muted">Use a token as <code>Authorization: Bearer …</code> with the JSON API under /api/v1.</p>
        {newToken && (
          <p class="flash">
            Your new token “{newToken.name}” (shown only once): <code class="token">{newToken.secret}</code>
          </p>
        )}
        {tokens.length === 0 ? (
          <p class="muted">No tokens.</p>
        ) : (
          <ScrollX label="API tokens">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th>Expires</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {tokens.map((t) => (
                  <tr>
                    <td>{t.name}</td>
                    <td>{formatUtc(t.createdAt)}</td>
                    <td>{t.lastUsedAt ? formatUtc(t.lastUsedAt) : 'never'}</td>
                    <td>{t.expiresAt ? (t.expiresAt <= ctx.now ? `expired ${formatUtc(t.expiresAt)}` : formatUtc(t.expiresAt)) : 'never'}</td>
                    <td>
                      <form method="post" action={`/settings/tokens/${t.id}/revoke`} class="inline">
                        <CsrfField ctx={ctx} />
                        <button type="submit" class="link">
                          Revoke
                        </button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollX>
        )}
        <h3>New token</h3>
        {tokenError && <p class="flash-error">{tokenError.message}</p>}
        <form method="post" action="/settings/tokens" class="stack">
          <CsrfField ctx={ctx} />
          <label>
            Name <input type="text" name="name" value={str(tokenValues, 'name')} maxLength={60} placeholder="API token" />
            <FieldError error={tokenError} field="name" />
          </label>
          <label>
            Expires
            <select name="expires_in_days">
              {[
                ['', 'never'],
                ['7', 'in 7 days'],
                ['30', 'in 30 days'],
                ['90', 'in 90 days'],
                ['365', 'in a year'],
              ].map(([value, label]) => (
                <option value={value} selected={expiry === value}>
                  {label}
                </option>
              ))}
            </select>
            <FieldError error={tokenError} field="expires_in_days" />
          </label>
          <button type="submit">Create a token</button>
        </form>
      </div>
      <div class="card">
        <h2>Password</h2>
        {passwordError && <p class="flash-error">{passwordError.message}</p>}
        <form method="post" action="/settings/password" class="stack">
          <CsrfField ctx={ctx} />
          <label>
            Current password <input type="password" name="current_password" required autocomplete="current-password" />
            <FieldError error={passwordError} field="current_password" />
          </label>
          <label>
            New password <input type="password" name="new_password" required minLength={8} autocomplete="new-password" />
            <FieldError error={passwordError} field="new_password" />
          </label>
          <label class="check">
            <input type="checkbox" name="revoke_tokens" checked={str(passwordValues, 'revoke_tokens') === 'on'} /> Also revoke all my API tokens
          </label>
          <p class="muted">Changing your password logs out your other sessions.</p>
          <button type="submit">Change password</button>
        </form>
      </div>
    </>
  );
}

function ResetRequestForm({ ctx, error, values, sentTo }: { ctx: PageContext; error?: ApiError; values?: unknown; sentTo?: string }) {
  return (
    <div class="card">
      <h1>Reset your password</h1>
      {sentTo && (
        <p class="flash">
          If an account uses {sentTo}, we sent it a link to choose a new password. It works once, within an hour.
        </p>
      )}
      {error && <p class="flash-error">{error.message}</p>}
      <form method="post" action="/password-reset" class="stack">
        <CsrfField ctx={ctx} />
        <label>
          E-mail <input type="email" name="email" value={sentTo ?? str(values, 'email')} required autocomplete="email" />
          <FieldError error={error} field="email" />
        </label>
        <button type="submit">Send me a link</button>
      </form>
    </div>
  );
}

function ResetForm({ ctx, token, username, error, values }: { ctx: PageContext; token: string; username?: string; error?: ApiError; values?: unknown }) {
  return (
    <div class="card">
      <h1>Choose a new password{username ? ` for ${username}` : ''}</h1>
      {error && <p class="flash-error">{error.message}</p>}
      <form method="post" action={`/password-reset/${token}`} class="stack">
        <CsrfField ctx={ctx} />
        <label>
          New password <input type="password" name="new_password" required minLength={8} autocomplete="new-password" />
          <FieldError error={error} field="new_password" />
        </label>
        <label class="check">
          <input type="checkbox" name="revoke_tokens" checked={str(values, 'revoke_tokens') === 'on'} /> Also revoke all my API tokens
        </label>
        <p class="muted">Every session of this account is logged out; you are logged in here.</p>
        <button type="submit">Set the new password</button>
      </form>
    </div>
  );
}

function ResetLinkInvalid({ error }: { error: ApiError }) {
  return (
    <div class="card">
      <h1>Choose a new password</h1>
      <p class="flash-error">{error.message}</p>
      <p>
        <a href="/password-reset">Ask for a new link</a>
      </p>
    </div>
  );
}

function UsersPage({ ctx, users }: { ctx: PageContext; users: User[] }) {
  return (
    <>
      <h1>Users</h1>
      <ScrollX label="Members">
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
      </ScrollX>
    </>
  );
}
