import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiError } from '../../http/errors.js';
import { ErrorList, pageContext, sendPage } from '../render.js';

export function renderErrorPage(request: FastifyRequest, reply: FastifyReply, error: ApiError) {
  if (error.status === 401 && request.method === 'GET') {
    return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 302);
  }
  const ctx = pageContext(request, reply);
  return sendPage(
    reply,
    ctx,
    'Error',
    <div class="card">
      <h1>{error.status === 404 ? 'Not found' : 'Something is not right'}</h1>
      <p class="flash-error">{error.message}</p>
      <ErrorList fields={error.fields} />
      <p>
        <a href="/">Back to the home page</a>
      </p>
    </div>,
    error.status,
  );
}
