/**
 * What a schema-first route needs (fastify-type-provider-zod): our validator, so that a bad input is
 * our 400 `validation_failed` naming each field in a sentence (parseInput's words, not zod's), the
 * error body as a response schema, a 422 for a value the schema let through that breaks a domain
 * rule, and a hook that runs an access check before the input is read. A plugin registers the
 * compilers in its own scope (`withZodRoutes`).
 */
import type { FastifyInstance, FastifyRequest, FastifySchemaCompiler, preValidationHookHandler } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { type ZodType, z } from 'zod';
import { ApiError, parseInput } from './errors.js';

export const zodValidatorCompiler: FastifySchemaCompiler<ZodType> =
  ({ schema }) =>
  (data) => {
    try {
      return { value: parseInput(schema, data) };
    } catch (error) {
      return { error: error as Error };
    }
  };

/** The plugin's scope, typed by its routes' zod schemas and validated and serialised with them. */
export function withZodRoutes(app: FastifyInstance) {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.setValidatorCompiler(zodValidatorCompiler);
  typed.setSerializerCompiler(serializerCompiler);
  return typed;
}

/** Our error body: `{error: {code, message, fields?}}`, a few with a field beside `error`. */
export const errorBody = z.looseObject({
  error: z.object({ code: z.string(), message: z.string(), fields: z.record(z.string(), z.string()).optional() }),
});

/** The error answers a route gives, by status. */
export const errors = <S extends number>(...statuses: S[]) => Object.fromEntries(statuses.map((s) => [s, errorBody])) as Record<S, typeof errorBody>;

/** A value the route's schema let through that breaks a domain rule: a 422 naming the field. */
export const unprocessable = (field: string, message: string) => new ApiError(422, 'validation_failed', 'Some fields are invalid.', { [field]: message });

/** A preValidation hook running `check` (e.g. requireUser), so access is decided before the input is read. */
export const before =
  (check: (request: FastifyRequest) => unknown): preValidationHookHandler =>
  (request, _reply, done) => {
    try {
      check(request);
      done();
    } catch (error) {
      done(error as Error);
    }
  };
