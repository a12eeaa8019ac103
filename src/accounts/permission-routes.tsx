import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { User } from '../db/schema.js';
import { BEARER, errorResponses } from '../http/api.js';
import { ApiError, idParam, parseInput } from '../http/errors.js';
import type { Mailer } from '../mail/mailer.js';
import { doneMessage, pageContext, sendPage, typed } from '../web/render.js';
import { DECISION_DONE, JobPermissionBox, PermissionRequestsPage } from './permission-pages.js';
import {
  decidePermissionRequest,
  decisionInput,
  latestRequest,
  mailDecision,
  pendingRequests,
  permissionRequestInput,
  permissionRequestJson,
  permissionRequestSchema,
  requestPermission,
} from './permission-requests.js';
import { requireAdmin, requireUser } from './request-user.js';
import { publicUser, publicUserSchema } from './service.js';

/** The permission to post jobs: members ask, admins answer, the member is e-mailed either way (API and pages). */
export const permissionRequestRoutes: FastifyPluginAsync<{ mailer?: Mailer }> = async (app, options) => {
  const api = app.withTypeProvider<ZodTypeProvider>();
  /** Decides, then e-mails the member when the answer is new; says whether the e-mail went out. */
  const decide = async (admin: User, id: number, decision: 'approve' | 'decline') => {
    const result = await decidePermissionRequest(app.db, admin, id, decision, app.clock.now());
    let mailed = false;
    if (result.changed && options.mailer) {
      mailed = await mailDecision(options.mailer, result.request, result.user, result.organization).then(
        () => true,
        (err) => {
          app.log.warn({ err }, 'permission decision e-mail failed');
          return false;
        },
      );
    }
    return { ...result, mailed };
  };

  api.post(
    '/api/v1/me/permission-requests',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Ask for the permission to post jobs',
        description: 'An admin answers; you are e-mailed either way. Asking again while a request waits, or when already allowed, is a 409.',
        security: BEARER,
        body: permissionRequestInput,
        response: { 201: z.object({ permission_request: permissionRequestSchema }), ...errorResponses(400, 401, 409) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      return reply.status(201).send({ permission_request: permissionRequestJson(await requestPermission(app.db, user, request.body.note, app.clock.now())) });
    },
  );

  api.get(
    '/api/v1/admin/permission-requests',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Requests waiting for an answer (admins): members\' own and organizations\'',
        security: BEARER,
        response: { 200: z.object({ permission_requests: z.array(permissionRequestSchema.extend({ username: z.string(), email: z.string() })) }), ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      requireAdmin(request);
      const pending = await pendingRequests(app.db);
      return { permission_requests: pending.map(({ request: r, user, organization }) => ({ ...permissionRequestJson(r, organization), username: user.username, email: user.email })) };
    },
  );

  api.post(
    '/api/v1/admin/permission-requests/:id',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Approve or decline a request (admins)',
        description:
          'Approving a request for an organization lets the organization post job listings; `user` is its admin who asked (e-mailed either way). Deciding again the same way changes nothing (`changed: false`); the other way is a 409.',
        security: BEARER,
        params: idParam,
        body: decisionInput,
        response: {
          200: z.object({
            permission_request: permissionRequestSchema,
            user: publicUserSchema,
            changed: z.boolean(),
            mailed: z.boolean().meta({ description: 'Whether the member was e-mailed the answer.' }),
          }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const admin = requireAdmin(request);
      const result = await decide(admin, request.params.id, request.body.decision);
      return { permission_request: permissionRequestJson(result.request, result.organization), user: publicUser(result.user), changed: result.changed, mailed: result.mailed };
    },
  );

  app.post('/permission-requests', async (request, reply) => {
    const user = requireUser(request);
    const note = typed(request.body, 'note');
    try {
      await requestPermission(app.db, user, parseInput(permissionRequestInput, request.body).note, app.clock.now());
      return reply.redirect('/articles/new?done=permission_requested', 303);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const ctx = pageContext(request, reply);
      const latest = await latestRequest(app.db, user.id);
      return sendPage(reply, ctx, 'Ask to post job listings', <JobPermissionBox ctx={ctx} latest={latest} error={error} note={note} />, error.status);
    }
  });

  app.get('/admin/permission-requests', async (request, reply) => {
    requireAdmin(request);
    const ctx = pageContext(request, reply);
    const pending = await pendingRequests(app.db);
    return sendPage(reply, ctx, 'Permission requests', <PermissionRequestsPage ctx={ctx} pending={pending} done={doneMessage(request.query, DECISION_DONE)} />);
  });

  app.post('/admin/permission-requests/:id', async (request, reply) => {
    const admin = requireAdmin(request);
    const { id } = parseInput(idParam, request.params);
    const { decision } = parseInput(decisionInput, request.body);
    const { request: decided, organization, changed, mailed } = await decide(admin, id, decision);
    const outcome = `${organization && decided.status === 'approved' ? 'organization_' : ''}${decided.status}`;
    const done = !changed ? `already_${decided.status}` : mailed ? outcome : `${outcome}_unmailed`;
    return reply.redirect(`/admin/permission-requests?done=${done}`, 303);
  });
};
