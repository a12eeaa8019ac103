import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { latestOrganizationRequest, permissionRequestInput, permissionRequestJson, permissionRequestSchema } from '../accounts/permission-requests.js';
import { requireAdmin, requireUser } from '../accounts/request-user.js';
import type { Mailer } from '../mail/mailer.js';
import { BEARER, errorResponses } from '../http/api.js';
import { ApiError, parseInput, unprocessable } from '../http/errors.js';
import { doneMessage, pageContext, sendPage, typed } from '../web/render.js';
import { OrganizationPage, type OrganizationPageProps, OrganizationsPage } from './pages.js';
import { organizationRoles, SLUG_PATTERN } from './schema.js';
import {
  addMember,
  askOrganizationPermission,
  billingInput,
  createOrganization,
  listMembers,
  mailNewMember,
  membership,
  memberInput,
  myOrganizations,
  organizationCards,
  organizationJson,
  removeMember,
  setOrganizationCanPostJobs,
  updateOrganization,
} from './service.js';

const address = z.object({
  line1: z.string().optional(),
  line2: z.string().optional(),
  city: z.string().optional(),
  postal_code: z.string().optional(),
  state: z.string().optional(),
  country: z.string(),
});
const organization = z.object({
  id: z.number().int(),
  slug: z.string(),
  name: z.string(),
  legal_name: z.string().nullable(),
  address: address.nullable(),
  tax_id: z.object({ type: z.string(), value: z.string() }).nullable(),
  can_post_jobs: z.boolean(),
  created_at: z.date(),
  role: z.enum(organizationRoles).optional(),
});
const member = z.object({ username: z.string(), role: z.enum(organizationRoles), joined_at: z.date() });
const slugParams = z.object({ slug: z.string().max(200) });
const memberParams = slugParams.extend({ username: z.string().max(200) });
const slugRule = new RegExp(SLUG_PATTERN);
const organizationInput = z.strictObject({ name: z.string().trim().min(1).max(100), slug: z.string().max(200) });

/** Checks the slug's form (the schema takes any string, so that a bad one is a 422 naming the field). */
const checkedSlug = (slug: string) => {
  if (!slugRule.test(slug)) throw unprocessable('slug', 'Lowercase letters, digits and "-" only, 2 to 40 of them.');
  return slug;
};

/** The billing form's flat fields, onto the API's input: an empty field clears it, an empty address or tax id removes it. */
const billingForm = z
  .object(Object.fromEntries(['name', 'legal_name', 'line1', 'line2', 'city', 'postal_code', 'state', 'country', 'tax_id_type', 'tax_id_value'].map((k) => [k, z.string().default('')])))
  .transform((f) => {
    const part = (v: string | undefined) => v?.trim() || undefined;
    const postal = { line1: part(f.line1), line2: part(f.line2), city: part(f.city), postal_code: part(f.postal_code), state: part(f.state), country: f.country?.trim().toUpperCase() ?? '' };
    const hasAddress = Object.values(postal).some(Boolean);
    const hasTaxId = Boolean(part(f.tax_id_type) || part(f.tax_id_value));
    return {
      name: f.name ?? '',
      legal_name: part(f.legal_name) ?? null,
      address: hasAddress ? postal : null,
      tax_id: hasTaxId ? { type: f.tax_id_type?.trim() ?? '', value: f.tax_id_value ?? '' } : null,
    };
  });
const memberForm = z.object({ username: z.string().default(''), role: z.string().default('member') });
/** Confirmations on the organization pages (fixed texts: nothing from the URL is shown). */
const LIST_DONE = { left: 'You left the organization.' } as const;
const PAGE_DONE = {
  created: 'Organization created: you are its first admin.',
  member_added: 'Member added: they were e-mailed.',
  member_removed: 'Member removed.',
  billing_saved: 'Billing details saved, here and on its Stripe customer.',
  permission_requested: 'Asked: a site admin will answer, and you will get an e-mail either way.',
} as const;

/**
 * The organizations API: create one (its first admin), see it (members; anyone else gets 404),
 * change its name and billing details, add (the new member is e-mailed), list and remove members (admins; the last admin stays), ask a site admin to let it post jobs (admins),
 * its saved cards (admins), and a site admin's permission to post jobs. Schema-first, with the zod compilers in this scope.
 */
export const organizationsPlugin: FastifyPluginAsync<{ mailer?: Mailer }> = async (parent, options) => {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  const signedIn = { tags: ['organizations'], security: BEARER };

  /** Adds a member and e-mails them: the membership stands whether or not the e-mail goes out (a failure is logged). */
  const addAndMail = async (request: FastifyRequest, slug: string, input: z.infer<typeof memberInput>) => {
    const actor = requireUser(request);
    const added = await addMember(app.db, actor, slug, input, app.clock.now());
    if (options.mailer) await mailNewMember(options.mailer, added, actor).catch((err: unknown) => request.log.warn({ err }, 'new member e-mail failed'));
    return added;
  };

  app.post(
    '/api/v1/organizations',
    {
      schema: {
        ...signedIn,
        summary: 'Create an organization; you are its first admin',
        description: 'Slug: lowercase letters, digits and `-`, 2 to 40 (422 otherwise; 409 when taken).',
        body: organizationInput,
        response: { 201: z.object({ organization }), ...errorResponses(400, 401, 409, 422) },
      },
    },
    async (request, reply) => {
      const { name, slug } = request.body;
      const created = await createOrganization(app.db, requireUser(request), { name, slug: checkedSlug(slug) }, app.clock.now());
      return reply.status(201).send({ organization: organizationJson(created.organization, created.role) });
    },
  );

  app.get(
    '/api/v1/organizations',
    { schema: { ...signedIn, summary: 'Your organizations, with your role in each', response: { 200: z.object({ organizations: z.array(organization) }), ...errorResponses(401) } } },
    async (request) => ({ organizations: (await myOrganizations(app.db, requireUser(request))).map((m) => organizationJson(m.organization, m.role)) }),
  );

  app.get(
    '/api/v1/organizations/:slug',
    { schema: { ...signedIn, summary: 'One of your organizations (404 to anyone not a member)', params: slugParams, response: { 200: z.object({ organization }), ...errorResponses(400, 401, 404) } } },
    async (request) => {
      const found = await membership(app.db, requireUser(request), request.params.slug);
      return { organization: organizationJson(found.organization, found.role) };
    },
  );

  app.patch(
    '/api/v1/organizations/:slug',
    { schema: { ...signedIn, summary: 'Change its name and billing details (admins); kept on its Stripe customer', params: slugParams, body: billingInput, response: { 200: z.object({ organization }), ...errorResponses(400, 401, 403, 404, 503) } } },
    async (request) => {
      const user = requireUser(request);
      const updated = await updateOrganization(app.db, app.payments.stripe.client, user, request.params.slug, request.body, app.clock.now());
      return { organization: organizationJson(updated, 'admin') };
    },
  );

  app.post(
    '/api/v1/organizations/:slug/members',
    { schema: { ...signedIn, summary: 'Add a member, admin or member (admins); the new member is e-mailed', params: slugParams, body: memberInput, response: { 201: z.object({ member }), ...errorResponses(400, 401, 403, 404, 409) } } },
    async (request, reply) => {
      const added = await addAndMail(request, request.params.slug, request.body);
      return reply.status(201).send({ member: { username: added.member.username, role: added.role, joined_at: added.joinedAt } });
    },
  );

  app.get(
    '/api/v1/organizations/:slug/members',
    { schema: { ...signedIn, summary: 'Its members and their roles', params: slugParams, response: { 200: z.object({ members: z.array(member) }), ...errorResponses(400, 401, 404) } } },
    async (request) => ({ members: await listMembers(app.db, requireUser(request), request.params.slug) }),
  );

  app.delete(
    '/api/v1/organizations/:slug/members/:username',
    { schema: { ...signedIn, summary: 'Remove a member (admins), or leave; the last admin stays (409)', params: memberParams, response: { 204: z.undefined().describe('Removed.'), ...errorResponses(400, 401, 403, 404, 409) } } },
    async (request, reply) => {
      await removeMember(app.db, requireUser(request), request.params.slug, request.params.username, app.clock.now());
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/organizations/:slug/payment_methods',
    {
      schema: {
        ...signedIn,
        summary: 'The cards saved on its Stripe customer (admins)',
        params: slugParams,
        response: {
          200: z.object({ payment_methods: z.array(z.object({ id: z.string(), brand: z.string(), last4: z.string(), exp_month: z.number().int(), exp_year: z.number().int() })) }),
          ...errorResponses(400, 401, 403, 404, 503),
        },
      },
    },
    async (request) => ({ payment_methods: await organizationCards(app.db, app.payments.stripe, requireUser(request), request.params.slug) }),
  );

  app.post(
    '/api/v1/organizations/:slug/permission-requests',
    {
      schema: {
        ...signedIn,
        summary: 'Ask a site admin to let it post job listings (its admins)',
        description: 'A site admin answers; you are e-mailed either way. Asking while its request waits, or when it can already post job listings, is a 409.',
        params: slugParams,
        body: permissionRequestInput,
        response: { 201: z.object({ permission_request: permissionRequestSchema }), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const asked = await askOrganizationPermission(app.db, requireUser(request), request.params.slug, request.body.note, app.clock.now());
      return reply.status(201).send({ permission_request: permissionRequestJson(asked.request, asked.organization) });
    },
  );

  app.post(
    '/api/v1/admin/organizations/:slug/permissions',
    {
      schema: {
        ...signedIn,
        summary: 'Let an organization post job listings, or stop it (site admins)',
        params: slugParams,
        body: z.strictObject({ can_post_jobs: z.boolean() }),
        response: { 200: z.object({ organization }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const updated = await setOrganizationCanPostJobs(app.db, requireAdmin(request), request.params.slug, request.body.can_post_jobs, app.clock.now());
      return { organization: organizationJson(updated) };
    },
  );

  // ---- Pages ----
  app.get('/organizations', async (request, reply) => {
    const user = requireUser(request);
    const ctx = pageContext(request, reply);
    return sendPage(reply, ctx, 'Organizations', <OrganizationsPage ctx={ctx} memberships={await myOrganizations(app.db, user)} done={doneMessage(request.query, LIST_DONE)} />);
  });

  app.post('/organizations', async (request, reply) => {
    const user = requireUser(request);
    try {
      const input = parseInput(organizationInput, { name: typed(request.body, 'name'), slug: typed(request.body, 'slug') });
      const { organization } = await createOrganization(app.db, user, { name: input.name, slug: checkedSlug(input.slug) }, app.clock.now());
      return reply.redirect(`/organizations/${organization.slug}?done=created`, 303);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const ctx = pageContext(request, reply);
      return sendPage(reply, ctx, 'Organizations', <OrganizationsPage ctx={ctx} memberships={await myOrganizations(app.db, user)} error={error} values={request.body} />, error.status);
    }
  });

  /** An organization's page for one of its members (404 to anyone else), with what went wrong on it if anything. */
  const organizationPage = async (request: FastifyRequest, reply: FastifyReply, slug: string, extra: Partial<OrganizationPageProps> = {}, status = 200) => {
    const user = requireUser(request);
    const found = await membership(app.db, user, slug);
    const ctx = pageContext(request, reply);
    const members = await listMembers(app.db, user, slug);
    const cards = found.role === 'admin' ? await organizationCards(app.db, app.payments.stripe, user, slug).catch(unlessUnavailable) : [];
    const permissionRequest = found.role === 'admin' && !found.organization.canPostJobs ? await latestOrganizationRequest(app.db, found.organization.id) : undefined;
    const done = doneMessage(request.query, PAGE_DONE);
    const page = <OrganizationPage ctx={ctx} membership={found} members={members} cards={cards} permissionRequest={permissionRequest} done={done} {...extra} />;
    return sendPage(reply, ctx, found.organization.name, page, status);
  };
  /** Stripe unreachable: the page says its cards could not be listed, and shows the rest. */
  const unlessUnavailable = (error: unknown): undefined => {
    if (error instanceof ApiError && error.status === 503) return undefined;
    throw error;
  };
  /** Runs a change from one of its forms: its confirmation after a redirect, or the page again with the error beside the form. */
  const fromForm = async (request: FastifyRequest, reply: FastifyReply, change: (slug: string) => Promise<string>, onError: (error: ApiError) => Partial<OrganizationPageProps>) => {
    const { slug } = parseInput(slugParams, request.params);
    try {
      return reply.redirect(await change(slug), 303);
    } catch (error) {
      // An organization not found (or not the caller's) is the 404 page; an unknown username is shown beside its field.
      if (!(error instanceof ApiError) || (error.status === 404 && !error.fields)) throw error;
      return organizationPage(request, reply, slug, onError(error), error.status);
    }
  };

  app.get('/organizations/:slug', (request, reply) => organizationPage(request, reply, parseInput(slugParams, request.params).slug));

  app.post('/organizations/:slug/members', (request, reply) =>
    fromForm(
      request,
      reply,
      async (slug) => {
        await addAndMail(request, slug, parseInput(memberInput, parseInput(memberForm, request.body)));
        return `/organizations/${slug}?done=member_added`;
      },
      (error) => ({ memberError: error, memberValues: request.body }),
    ),
  );

  app.post('/organizations/:slug/members/:username/remove', (request, reply) =>
    fromForm(
      request,
      reply,
      async (slug) => {
        const user = requireUser(request);
        const { username } = parseInput(memberParams, request.params);
        await removeMember(app.db, user, slug, username, app.clock.now());
        return username.toLowerCase() === user.username.toLowerCase() ? '/organizations?done=left' : `/organizations/${slug}?done=member_removed`;
      },
      (error) => ({ removeError: error }),
    ),
  );

  app.post('/organizations/:slug/permission-requests', (request, reply) =>
    fromForm(
      request,
      reply,
      async (slug) => {
        await askOrganizationPermission(app.db, requireUser(request), slug, parseInput(permissionRequestInput, { note: typed(request.body, 'note') }).note, app.clock.now());
        return `/organizations/${slug}?done=permission_requested`;
      },
      (error) => ({ permissionError: error, permissionNote: typed(request.body, 'note') }),
    ),
  );

  app.post('/organizations/:slug/billing', (request, reply) =>
    fromForm(
      request,
      reply,
      async (slug) => {
        const input = parseInput(billingInput, parseInput(billingForm, request.body));
        await updateOrganization(app.db, app.payments.stripe.client, requireUser(request), slug, input, app.clock.now());
        return `/organizations/${slug}?done=billing_saved`;
      },
      (error) => ({ billingError: error, billingValues: request.body }),
    ),
  );
};
