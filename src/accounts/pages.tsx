import type { ApiToken, User } from '../db/schema.js';
import type { ApiError } from '../http/errors.js';
import { formatUtc } from '../format.js';
import { AdminNav, ariaInvalid, CsrfField, DataTable, FieldError, Flash, type PageContext, PostButton, typed } from '../web/render.js';

export function SignupForm({ ctx, error, values }: { ctx: PageContext; error?: ApiError; values?: unknown }) {
  return (
    <div class="card">
      <h1>Create your account</h1>
      {error && <p class="flash-error">{error.message}</p>}
      <form method="post" action="/signup" class="stack">
        <CsrfField ctx={ctx} />
        <label>
          Username <input type="text" name="username" value={typed(values, 'username')} required autocomplete="username" aria-invalid={ariaInvalid(error, 'username')} aria-describedby="username-error" />
          <FieldError error={error} field="username" id="username-error" />
        </label>
        <label>
          E-mail <input type="email" name="email" value={typed(values, 'email')} required autocomplete="email" aria-invalid={ariaInvalid(error, 'email')} aria-describedby="email-error" />
          <FieldError error={error} field="email" id="email-error" />
        </label>
        <label>
          Password <input type="password" name="password" required minLength={8} autocomplete="new-password" aria-invalid={ariaInvalid(error, 'password')} aria-describedby="password-error" />
          <FieldError error={error} field="password" id="password-error" />
        </label>
        <button type="submit">Sign up</button>
      </form>
      <p>
        Already a member? <a href="/login">Log in</a>
      </p>
    </div>
  );
}

export function LoginForm({ ctx, next, error, values }: { ctx: PageContext; next: string; error?: ApiError; values?: unknown }) {
  return (
    <div class="card">
      <h1>Log in</h1>
      {error && <p class="flash-error">{error.message}</p>}
      <form method="post" action="/login" class="stack">
        <CsrfField ctx={ctx} />
        <input type="hidden" name="next" value={next} />
        <label>
          E-mail <input type="email" name="email" value={typed(values, 'email')} required autocomplete="email" aria-invalid={ariaInvalid(error, 'email')} aria-describedby="email-error" />
          <FieldError error={error} field="email" id="email-error" />
        </label>
        <label>
          Password <input type="password" name="password" required autocomplete="current-password" aria-invalid={ariaInvalid(error, 'password')} aria-describedby="password-error" />
          <FieldError error={error} field="password" id="password-error" />
        </label>
        <button type="submit">Log in</button>
      </form>
      <p>
        <a href="/password-reset">Forgot your password?</a> · New here? <a href="/signup">Sign up</a>
      </p>
    </div>
  );
}

export interface SettingsProps {
  ctx: PageContext;
  tokens: ApiToken[];
  done?: string;
  newToken?: { secret: string; name: string };
  tokenError?: ApiError;
  tokenValues?: unknown;
  passwordError?: ApiError;
  passwordValues?: unknown;
}

export function SettingsPage({ ctx, tokens, done, newToken, tokenError, tokenValues, passwordError, passwordValues }: SettingsProps) {
  const expiry = typed(tokenValues, 'expires_in_days');
  return (
    <>
      <h1>Settings</h1>
      <Flash message={done} />
      <p>
        <a href="/settings/billing">Billing: your payments, receipts and saved cards</a>
      </p>
      <p>
        <a href="/organizations">Organizations: the companies and teams you belong to</a>
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
          <DataTable
            label="API tokens"
            rows={tokens}
            columns={[
              { heading: 'Name', cell: (t) => t.name },
              { heading: 'Created', cell: (t) => formatUtc(t.createdAt) },
              { heading: 'Last used', cell: (t) => (t.lastUsedAt ? formatUtc(t.lastUsedAt) : 'never') },
              { heading: 'Expires', cell: (t) => (t.expiresAt ? (t.expiresAt <= ctx.now ? `expired ${formatUtc(t.expiresAt)}` : formatUtc(t.expiresAt)) : 'never') },
              {
                heading: '',
                cell: (t) => (
                  <PostButton ctx={ctx} action={`/settings/tokens/${t.id}/revoke`} class="link">
                    Revoke
                  </PostButton>
                ),
              },
            ]}
          />
        )}
        <h3>New token</h3>
        {tokenError && <p class="flash-error">{tokenError.message}</p>}
        <form method="post" action="/settings/tokens" class="stack">
          <CsrfField ctx={ctx} />
          <label>
            Name <input type="text" name="name" value={typed(tokenValues, 'name')} maxLength={60} placeholder="API token" />
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
            <input type="checkbox" name="revoke_tokens" checked={typed(passwordValues, 'revoke_tokens') === 'on'} /> Also revoke all my API tokens
          </label>
          <p class="muted">Changing your password logs out your other sessions.</p>
          <button type="submit">Change password</button>
        </form>
      </div>
    </>
  );
}

export function ResetRequestForm({ ctx, error, values, sentTo }: { ctx: PageContext; error?: ApiError; values?: unknown; sentTo?: string }) {
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
          E-mail <input type="email" name="email" value={sentTo ?? typed(values, 'email')} required autocomplete="email" />
          <FieldError error={error} field="email" />
        </label>
        <button type="submit">Send me a link</button>
      </form>
    </div>
  );
}

export function ResetForm({ ctx, token, username, error, values }: { ctx: PageContext; token: string; username?: string; error?: ApiError; values?: unknown }) {
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
          <input type="checkbox" name="revoke_tokens" checked={typed(values, 'revoke_tokens') === 'on'} /> Also revoke all my API tokens
        </label>
        <p class="muted">Every session of this account is logged out; you are logged in here.</p>
        <button type="submit">Set the new password</button>
      </form>
    </div>
  );
}

export function ResetLinkInvalid({ error }: { error: ApiError }) {
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

export function UsersPage({ ctx, users, done }: { ctx: PageContext; users: User[]; done?: string }) {
  return (
    <>
      <h1>Users</h1>
      <AdminNav />
      <Flash message={done} />
      <DataTable
        label="Members"
        rows={users}
        columns={[
          { heading: 'Id', cell: (u) => u.id },
          { heading: 'Username', cell: (u) => u.username },
          { heading: 'E-mail', cell: (u) => u.email },
          { heading: 'Role', cell: (u) => (u.admin ? 'admin' : 'member') },
          {
            heading: 'Can post jobs',
            cell: (u) => (
              <>
                {u.canPostJobs ? 'yes ' : 'no '}
                <PostButton ctx={ctx} action={`/admin/users/${u.id}/permissions`} fields={{ can_post_jobs: u.canPostJobs ? '0' : '1' }} class="link">
                  {u.canPostJobs ? 'Revoke' : 'Grant'}
                </PostButton>
              </>
            ),
          },
        ]}
      />
    </>
  );
}
