import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Problem } from './common-schemas.js';
import { errorToProblem, type ProblemAnswer } from './error-to-problem.js';
import { PROBLEM_TYPES, problemTypeUri } from './problem-types.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import { validationFieldErrors } from './validation-problem.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

// Field names can come from the request (unknown keys): a problem never grows with them,
// nor with their number (a body of 50,000 unknown keys gets the first 100 named).
const MAX_FIELD_LENGTH = 200;
const MAX_ERRORS = 100;

/**
 * The RFC 9457 document of `answer`. `instance` is the request path, given only for requests
 * that matched a route: an unmatched URL is not echoed back.
 */
export function problemDocument(answer: ProblemAnswer, requestId: string, instance?: string): Problem {
  const kind = PROBLEM_TYPES[answer.slug];
  return {
    type: problemTypeUri(answer.slug),
    title: kind.title,
    status: kind.status,
    detail: answer.detail,
    ...(instance === undefined ? {} : { instance }),
    requestId,
    ...(answer.errors && answer.errors.length > 0
      ? {
          errors: answer.errors
            .slice(0, MAX_ERRORS)
            .map((error) =>
              error.field.length > MAX_FIELD_LENGTH
                ? { ...error, field: `${error.field.slice(0, MAX_FIELD_LENGTH)}…` }
                : error,
            ),
        }
      : {}),
  };
}

/** Answers the request with `answer` as a problem document. */
export function sendProblem(reply: FastifyReply, request: FastifyRequest, answer: ProblemAnswer) {
  const routed = request.routeOptions.url !== undefined && request.is404 !== true;
  const problem = problemDocument(answer, request.id, routed ? request.url.split('?')[0] : undefined);
  if (answer.retryAfterSeconds !== undefined) reply.header('retry-after', String(answer.retryAfterSeconds));
  // Set here too: framework errors (a bad URL) are answered before the onRequest hooks run.
  reply.header(REQUEST_ID_HEADER, request.id);
  reply.code(problem.status);
  reply.type(PROBLEM_CONTENT_TYPE);
  // A string, not an object: the route's response schemas describe success bodies, and a
  // problem must go out even from routes (or stages) that have none.
  return reply.send(JSON.stringify(problem));
}

/**
 * The app's error handler, and its `frameworkErrors` (a URL that does not decode, a path
 * segment over maxParamLength): every error becomes a problem, logged by its kind — a
 * server fault with its stack, a 5xx the client can retry as a warning, a rejected request
 * as info.
 */
export function handleRequestError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const answer: ProblemAnswer = hasZodFastifySchemaValidationErrors(error)
    ? {
        slug: 'validation-error',
        detail: 'The request has invalid fields; see errors.',
        errors: validationFieldErrors(request, error.validationContext),
        serverFault: false,
      }
    : errorToProblem(error);
  const status = PROBLEM_TYPES[answer.slug].status;
  if (answer.serverFault) {
    request.log.error({ err: error }, 'request failed');
  } else if (status >= 500) {
    request.log.warn({ code: (error as { code?: unknown }).code, reason: error.message }, answer.detail);
  } else {
    request.log.info({ code: (error as { code?: unknown }).code ?? answer.slug }, 'request rejected');
  }
  return sendProblem(reply, request, answer);
}

/** The answer to a method and path no route serves; neither is echoed. */
export function handleUnknownRoute(request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(reply, request, {
    slug: 'not-found',
    detail: 'There is no route for this method and path; the routes are listed at /docs.',
    serverFault: false,
  });
}
