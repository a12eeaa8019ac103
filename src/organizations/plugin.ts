import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAdmin, requireUser } from '../accounts/request-user.js';
import type { Mailer } from '../mail/mailer.js';
import { BEARER, errorResponses } from '../http/api.js';
import { unprocessable } from '../http/errors.js';
import { organizationRoles, SLUG_PATTERN } from './schema.js';
import {
  addMember,
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

/**
 * The organizations API: create one (its first admin), see it (members; anyone else gets 404),
 * change its name and billing details, add (the new member is e-mailed), list and remove members (admins; the last admin stays),
 * its saved cards (admins), and a site admin's permission to post jobs. Schema-first, with the zod compilers in this scope.
 */
export const organizationsPlugin: FastifyPluginAsync<{ mailer?: Mailer }> = async (parent, options) => {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  const signedIn = { tags: ['organizations'], security: BEARER };

  app.post(
    '/api/v1/organizations',
    {
      schema: {
        ...signedIn,
        summary: 'Create an organization; you are its first admin',
        description: 'Slug: lowercase letters, digits and `-`, 2 to 40 (422 otherwise; 409 when taken).',
        body: z.strictObject({ name: z.string().trim().min(1).max(100), slug: z.string().max(200) }),
        response: { 201: z.object({ organization }), ...errorResponses(400, 401, 409, 422) },
      },
    },
    async (request, reply) => {
      const { name, slug } = request.body;
      if (!slugRule.test(slug)) throw unprocessable('slug', 'Lowercase letters, digits and "-" only, 2 to 40 of them.');
      const created = await createOrganization(app.db, requireUser(request), { name, slug }, app.clock.now());
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
      const actor = requireUser(request);
      const added = await addMember(app.db, actor, request.params.slug, request.body, app.clock.now());
      // The membership stands whether or not the e-mail goes out; a failure is logged.
      if (options.mailer) await mailNewMember(options.mailer, added, actor).catch((err: unknown) => request.log.warn({ err }, 'new member e-mail failed'));
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
};
