import { PERMISSION_NOTE_MAX, type PermissionRequest } from '../db/permission-schema.js';
import type { ApiError } from '../http/errors.js';
import { AdminNav, ariaInvalid, CsrfField, DataTable, FieldError, Flash, type PageContext, PostButton } from '../web/render.js';
import type { PendingRequest } from './permission-requests.js';
import { formatUtc } from '../format.js';

/**
 * On the Write page of a member who cannot post jobs: how to get the permission, and where their
 * request stands. Sent back with an error, it keeps the note as typed.
 */
export function JobPermissionBox({ ctx, latest, error, note }: { ctx: PageContext; latest?: PermissionRequest; error?: ApiError; note?: string }) {
  if (error?.code === 'already_allowed') {
    return (
      <section class="card" aria-labelledby="job-permission">
        <h2 id="job-permission">Posting job listings</h2>
        <p class="notice">
          {error.message} <a href="/articles/new">Write one</a> and tick "This is a job listing".
        </p>
      </section>
    );
  }
  if (latest?.status === 'pending') {
    return (
      <section class="card" aria-labelledby="job-permission">
        <h2 id="job-permission">Posting job listings</h2>
        <p class="notice" data-permission="pending">
          You asked to post job listings on {formatUtc(latest.createdAt)}. An admin will answer by e-mail; until then you can write articles.
        </p>
      </section>
    );
  }
  return (
    <section class="card" aria-labelledby="job-permission">
      <h2 id="job-permission">Posting job listings</h2>
      <p>
        Anyone can write articles. Job listings (shown on <a href="/jobs">/jobs</a> for a week per payment) need an admin's permission: ask for it
        here, and you will get an e-mail with the answer.
      </p>
      {latest?.status === 'declined' && latest.decidedAt && (
        <p class="muted" data-permission="declined">
          Your last request was declined on {formatUtc(latest.decidedAt)}. You can ask again with more detail.
        </p>
      )}
      {error && !error.fields && <p class="flash-error">{error.message}</p>}
      <PermissionNoteForm ctx={ctx} action="/permission-requests" question="What will you post? (a sentence or two for the admin)" error={error} note={note} />
    </section>
  );
}

/** Asking for permission to post job listings, for oneself or an organization: the note the admin reads. */
export function PermissionNoteForm({ ctx, action, question, error, note }: { ctx: PageContext; action: string; question: string; error?: ApiError; note?: string }) {
  return (
    <form method="post" action={action} class="stack">
      <CsrfField ctx={ctx} />
      <label>
        {question}
        <textarea name="note" class="short" required maxLength={PERMISSION_NOTE_MAX} aria-invalid={ariaInvalid(error, 'note')} aria-describedby="note-error">
          {note ?? ''}
        </textarea>
        <FieldError error={error} field="note" id="note-error" />
      </label>
      <button type="submit">Ask to post job listings</button>
    </form>
  );
}

export const DECISION_DONE = {
  approved: 'Approved: the member can post job listings now, and we e-mailed them.',
  organization_approved: "Approved: the organization's members can post job listings on its behalf now, and we e-mailed its admin who asked.",
  organization_approved_unmailed: "Approved: the organization's members can post job listings on its behalf now. The e-mail to its admin who asked could not be sent; tell them another way.",
  declined: 'Declined: we e-mailed the member.',
  approved_unmailed: 'Approved: the member can post job listings now. The e-mail to them could not be sent; tell them another way.',
  declined_unmailed: 'Declined. The e-mail to the member could not be sent; tell them another way.',
  already_approved: 'That request was already approved; nothing changed.',
  already_declined: 'That request was already declined; nothing changed.',
} as const;

export function PermissionRequestsPage({ ctx, pending, done }: { ctx: PageContext; pending: PendingRequest[]; done?: string }) {
  return (
    <>
      <h1>Permission requests</h1>
      <AdminNav />
      <Flash message={done} />
      {pending.length === 0 ? (
        <p class="muted">No member is waiting for an answer. Requests to post job listings, for members themselves or for their organizations, appear here; you can also grant the permission on <a href="/admin/users">Users</a>.</p>
      ) : (
        <DataTable
          label="Pending permission requests"
          rows={pending}
          rowAttrs={({ request }) => ({ 'data-request': String(request.id) })}
          columns={[
            {
              heading: 'Member',
              cell: ({ user, organization }) => (
                <>
                  {user.username}
                  <br />
                  <span class="muted">{user.email}</span>
                  {organization && (
                    <>
                      <br />
                      <span data-organization={organization.slug}>for the organization {organization.name}</span>
                    </>
                  )}
                </>
              ),
            },
            {
              heading: 'Answer',
              cell: ({ request, user, organization }) =>
                (['approve', 'decline'] as const).map((decision) => (
                  <PostButton
                    ctx={ctx}
                    action={`/admin/permission-requests/${request.id}`}
                    fields={{ decision }}
                    formClass="decision"
                    class={decision === 'approve' ? undefined : 'secondary'}
                    label={`${decision === 'approve' ? 'Approve' : 'Decline'} ${organization ? organization.name : user.username}`}
                  >
                    {decision === 'approve' ? 'Approve' : 'Decline'}
                  </PostButton>
                )),
            },
            { heading: 'Note', cell: ({ request }) => request.note, attrs: () => ({ class: 'note' }) },
            { heading: 'Asked', cell: ({ request }) => formatUtc(request.createdAt) },
          ]}
        />
      )}
    </>
  );
}
