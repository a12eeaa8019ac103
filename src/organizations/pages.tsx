import { PermissionNoteForm } from '../accounts/permission-pages.js';
import type { PermissionRequest } from '../db/permission-schema.js';
import { formatUtc } from '../format.js';
import type { ApiError } from '../http/errors.js';
import type { SavedCard } from '../payments/cards.js';
import { ariaInvalid, CsrfField, DataTable, FieldError, Flash, type PageContext, PostButton, typed } from '../web/render.js';
import { type Organization, organizationRoles, type OrganizationRole, SLUG_PATTERN } from './schema.js';
import type { Membership } from './service.js';

/** A text input in a labelled field, with its error beside it; `value` is what was typed or what is saved. */
function Field({ label, name, value, error, field = name, ...rest }: { label: string; name: string; value: string; error?: ApiError; field?: string; required?: boolean; maxLength?: number; pattern?: string; autocomplete?: string }) {
  const id = `${name}-error`;
  return (
    <label>
      {label} <input type="text" name={name} value={value} aria-invalid={ariaInvalid(error, field)} aria-describedby={id} {...rest} />
      <FieldError error={error} field={field} id={id} />
    </label>
  );
}

const roleLabel = (role: OrganizationRole) => (role === 'admin' ? 'admin' : 'member');

export function OrganizationsPage({ ctx, memberships, done, error, values }: { ctx: PageContext; memberships: Membership[]; done?: string; error?: ApiError; values?: unknown }) {
  return (
    <>
      <h1>Organizations</h1>
      <Flash message={done} />
      <p class="muted">An organization is a company or a team: its members post job listings on its behalf, and its admins manage its members, its billing details and its cards.</p>
      <DataTable
        label="Your organizations"
        cards
        rows={memberships}
        empty="You belong to no organization yet."
        columns={[
          { heading: 'Organization', label: '', cell: (m) => <a href={`/organizations/${m.organization.slug}`}>{m.organization.name}</a> },
          { heading: 'Your role', cell: (m) => roleLabel(m.role) },
          { heading: 'Can post jobs', cell: (m) => (m.organization.canPostJobs ? 'yes' : 'no') },
        ]}
      />
      <div class="card">
        <h2>Create an organization</h2>
        {error && <p class="flash-error">{error.message}</p>}
        <form method="post" action="/organizations" class="stack">
          <CsrfField ctx={ctx} />
          <Field label="Name" name="name" value={typed(values, 'name')} error={error} required maxLength={100} autocomplete="organization" />
          <Field label="Address (lowercase letters, digits and -)" name="slug" value={typed(values, 'slug')} error={error} required maxLength={40} pattern={SLUG_PATTERN.slice(1, -1)} />
          <button type="submit">Create</button>
        </form>
      </div>
    </>
  );
}

export interface OrganizationPageProps {
  ctx: PageContext;
  membership: Membership;
  members: Array<{ username: string; role: OrganizationRole; joined_at: Date }>;
  /** Its saved cards (admins); undefined when Stripe could not list them. */
  cards?: SavedCard[];
  done?: string;
  /** A removal or a departure refused (the last admin). */
  removeError?: ApiError;
  memberError?: ApiError;
  memberValues?: unknown;
  billingError?: ApiError;
  billingValues?: unknown;
  /** Its latest request to post job listings (shown to its admins while it cannot). */
  permissionRequest?: PermissionRequest;
  permissionError?: ApiError;
  permissionNote?: string;
}

/**
 * To its admins while the organization cannot post job listings: its request's state, or the form to
 * ask a site admin (sent back with an error, it keeps the note as typed).
 */
function JobPermissionCard({ ctx, base, latest, error, note }: { ctx: PageContext; base: string; latest?: PermissionRequest; error?: ApiError; note?: string }) {
  return (
    <section class="card" aria-labelledby="job-permission">
      <h2 id="job-permission">Posting job listings</h2>
      {error && !error.fields && <p class="flash-error">{error.message}</p>}
      {latest?.status === 'pending' ? (
        <p class="notice" data-permission="pending">
          An admin of this organization asked to post job listings on {formatUtc(latest.createdAt)}. A site admin will answer by e-mail to whoever asked.
        </p>
      ) : (
        <>
          <p class="muted">Its members can post job listings on its behalf once a site admin allows it: ask here, and you will get an e-mail with the answer.</p>
          {latest?.status === 'declined' && latest.decidedAt && (
            <p class="muted" data-permission="declined">
              Its last request was declined on {formatUtc(latest.decidedAt)}. You can ask again with more detail.
            </p>
          )}
          <PermissionNoteForm ctx={ctx} action={`${base}/permission-requests`} question="What will it post? (a sentence or two for the site admin)" error={error} note={note} />
        </>
      )}
    </section>
  );
}

/** The billing form's fields: what was typed when sent back with an error, else what is saved. */
function billingValues(organization: Organization, values: unknown): Record<string, string> {
  if (values !== undefined) return Object.fromEntries(Object.entries(values as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : '']));
  const a = organization.address;
  return {
    name: organization.name,
    legal_name: organization.legalName ?? '',
    line1: a?.line1 ?? '',
    line2: a?.line2 ?? '',
    city: a?.city ?? '',
    postal_code: a?.postal_code ?? '',
    state: a?.state ?? '',
    country: a?.country ?? '',
    tax_id_type: organization.taxId?.type ?? '',
    tax_id_value: organization.taxId?.value ?? '',
  };
}

export function OrganizationPage(props: OrganizationPageProps) {
  const { ctx, membership, members, cards, done, removeError, memberError, memberValues, billingError, billingValues: typedBilling, permissionError } = props;
  const { organization, role } = membership;
  const admin = role === 'admin';
  const me = ctx.user?.username.toLowerCase();
  const base = `/organizations/${organization.slug}`;
  const b = billingValues(organization, typedBilling);
  return (
    <>
      <h1>{organization.name}</h1>
      <p class="muted">
        You are {role === 'admin' ? 'an admin' : 'a member'} of this organization. {organization.canPostJobs ? 'Its members can post job listings on its behalf.' : 'It cannot post job listings yet: a site admin grants that, when one of its admins asks.'}{' '}
        <a href={`${base}/credits`}>Its credits</a> · <a href="/organizations">All your organizations</a>
      </p>
      <Flash message={done} />
      {/* A member's forms are an admin's: what a member is refused is said here, as is a request for an organization already allowed. */}
      {[removeError, (!admin || organization.canPostJobs) && permissionError, !admin && (memberError ?? billingError)].map((e) => e && <p class="flash-error">{e.message}</p>)}
      <h2>Members</h2>
      <DataTable
        label="Members"
        cards
        rows={members}
        columns={[
          { heading: 'Username', label: '', cell: (m) => m.username },
          { heading: 'Role', cell: (m) => roleLabel(m.role) },
          { heading: 'Joined', cell: (m) => formatUtc(m.joined_at) },
          {
            heading: '',
            cell: (m) =>
              m.username.toLowerCase() === me ? (
                <PostButton ctx={ctx} action={`${base}/members/${encodeURIComponent(m.username)}/remove`} class="link" label={`Leave ${organization.name}`}>
                  Leave
                </PostButton>
              ) : (
                admin && (
                  <PostButton ctx={ctx} action={`${base}/members/${encodeURIComponent(m.username)}/remove`} class="link" label={`Remove ${m.username}`}>
                    Remove
                  </PostButton>
                )
              ),
          },
        ]}
      />
      {admin && (
        <>
          {!organization.canPostJobs && <JobPermissionCard ctx={ctx} base={base} latest={props.permissionRequest} error={permissionError} note={props.permissionNote} />}
          <div class="card">
            <h2>Add a member</h2>
            {memberError && <p class="flash-error">{memberError.message}</p>}
            <form method="post" action={`${base}/members`} class="stack">
              <CsrfField ctx={ctx} />
              <Field label="Username" name="username" value={typed(memberValues, 'username')} error={memberError} required maxLength={30} />
              <label>
                Role
                <select name="role" aria-invalid={ariaInvalid(memberError, 'role')} aria-describedby="role-error">
                  {organizationRoles.map((r) => (
                    <option value={r} selected={(typed(memberValues, 'role') || 'member') === r}>
                      {r === 'admin' ? 'admin: manages members, billing and pays' : 'member'}
                    </option>
                  ))}
                </select>
                <FieldError error={memberError} field="role" id="role-error" />
              </label>
              <p class="muted">They are e-mailed that you added them.</p>
              <button type="submit">Add</button>
            </form>
          </div>
          <div class="card">
            <h2>Billing details</h2>
            <p class="muted">Printed on its receipts and kept on its Stripe customer.</p>
            {billingError && <p class="flash-error">{billingError.message}</p>}
            <form method="post" action={`${base}/billing`} class="stack">
              <CsrfField ctx={ctx} />
              <Field label="Name" name="name" value={b.name ?? ''} error={billingError} required maxLength={100} />
              <Field label="Legal name" name="legal_name" value={b.legal_name ?? ''} error={billingError} maxLength={200} />
              <fieldset class="fields">
                <legend>Address</legend>
                <Field label="Line 1" name="line1" field="address.line1" value={b.line1 ?? ''} error={billingError} maxLength={200} autocomplete="address-line1" />
                <Field label="Line 2" name="line2" field="address.line2" value={b.line2 ?? ''} error={billingError} maxLength={200} autocomplete="address-line2" />
                <Field label="City" name="city" field="address.city" value={b.city ?? ''} error={billingError} maxLength={100} autocomplete="address-level2" />
                <Field label="Postal code" name="postal_code" field="address.postal_code" value={b.postal_code ?? ''} error={billingError} maxLength={20} autocomplete="postal-code" />
                <Field label="State or region" name="state" field="address.state" value={b.state ?? ''} error={billingError} maxLength={100} autocomplete="address-level1" />
                <Field label="Country (two letters, like DE or US)" name="country" field="address.country" value={b.country ?? ''} error={billingError} maxLength={2} autocomplete="country" />
              </fieldset>
              <fieldset class="fields">
                <legend>Tax id</legend>
                <Field label="Type (like eu_vat or us_ein)" name="tax_id_type" field="tax_id.type" value={b.tax_id_type ?? ''} error={billingError} maxLength={20} />
                <Field label="Number" name="tax_id_value" field="tax_id.value" value={b.tax_id_value ?? ''} error={billingError} maxLength={50} />
              </fieldset>
              <button type="submit">Save billing details</button>
            </form>
          </div>
          <h2>Saved cards</h2>
          {cards === undefined ? (
            <p class="flash-error">Its saved cards could not be listed — try again.</p>
          ) : (
            <DataTable
              label="Saved cards"
              cards
              rows={cards}
              empty="No saved card yet: one is kept when an admin pays for the organization and saves the card."
              columns={[
                { heading: 'Card', label: '', cell: (c) => `${c.brand} ···· ${c.last4}` },
                { heading: 'Expires', cell: (c) => `${String(c.exp_month).padStart(2, '0')}/${c.exp_year}` },
              ]}
            />
          )}
        </>
      )}
    </>
  );
}
