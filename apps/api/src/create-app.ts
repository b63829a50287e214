import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Migrator } from '@strata/migrate';
import type { Pool } from '@strata/pool';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import {
  createJsonSchemaTransform,
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { createAppMetrics } from './app-metrics.js';
import type { Problem } from './common-schemas.js';
import type { AppLogger } from './create-logger.js';
import { errorToProblem, type ProblemAnswer } from './error-to-problem.js';
import { healthRoutes } from './health-routes.js';
import { OrderRepository } from './order-repository.js';
import { orderRoutes } from './order-routes.js';
import { problemRoutes } from './problem-routes.js';
import { PROBLEM_TYPES, problemTypeUri } from './problem-types.js';
import { registerReadYourWrites } from './read-your-writes.js';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id.js';
import { UserRepository } from './user-repository.js';
import { userRoutes } from './user-routes.js';
import { validationFieldErrors } from './validation-problem.js';

/** What the app is built from; everything with a lifecycle (pool, server) belongs to the caller. */
export interface CreateAppOptions {
  pool: Pool;
  /** Readiness asks it whether pre-deploy migrations are pending. */
  migrator: Pick<Migrator, 'status'>;
  logger: AppLogger;
  /** Signs pagination cursors; see STRATA_API_CURSOR_SECRET. */
  cursorSecret?: string | undefined;
}

const DOCS_PREFIX = '/docs';
const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/**
 * Builds the Fastify app: zod schemas as the single source of request validation, response
 * serialization and the OpenAPI document (`/docs`, `/docs/json`); every error as an RFC 9457
 * problem; a request id on every log line and response; Prometheus metrics. It does not
 * listen; `startServer` does, and owns the pool and the database.
 */
export async function createApp(options: CreateAppOptions): Promise<FastifyInstance> {
  const { pool, migrator, logger } = options;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    genReqId: requestIdFor,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    // Shutdown: idle keep-alive sockets close at once, busy ones after their response. A
    // request that arrives on an open connection while draining is still served (with
    // Connection: close): the pool is open until the drain ends, and the answer stays a
    // real one rather than Fastify's non-problem 503.
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');

  const metrics = createAppMetrics(pool);
  // Callback-style hooks: they run on every request, and skip a promise each.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  registerReadYourWrites(app as unknown as FastifyInstance, pool);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const validation = hasZodFastifySchemaValidationErrors(error);
    const answer: ProblemAnswer = validation
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
    if (answer.retryAfterSeconds !== undefined) reply.header('retry-after', String(answer.retryAfterSeconds));
    return sendProblem(reply, request, answer);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, {
      slug: 'not-found',
      detail: `There is no route ${request.method} ${request.url.split('?')[0]}.`,
      serverFault: false,
    }),
  );

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Strata sample API',
        version: '0.0.0',
        description:
          'Users and orders on PostgreSQL through the Strata packages: one pool, repositories, ' +
          'ambient transactions and phased migrations. Errors are RFC 9457 problem documents.',
      },
      tags: [
        { name: 'users', description: 'Users, with optimistic locking' },
        { name: 'orders', description: 'Orders and their items' },
        { name: 'health', description: 'Probes for orchestrators' },
        { name: 'problems', description: 'The error catalogue' },
        { name: 'metrics', description: 'Prometheus metrics' },
      ],
    },
    transform: createJsonSchemaTransform({ skipList: [] }),
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX });

  const users = new UserRepository(pool, { cursorSecret: options.cursorSecret });
  const orders = new OrderRepository(pool, { cursorSecret: options.cursorSecret });
  await app.register(userRoutes, { users, orders });
  await app.register(orderRoutes, { pool, orders });
  await app.register(healthRoutes, { pool, migrator });
  await app.register(problemRoutes);
  app.get(
    '/metrics',
    { schema: { tags: ['metrics'], summary: 'Prometheus metrics: pool state and request durations' } },
    async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  return app as unknown as FastifyInstance;
}

function sendProblem(
  reply: {
    code(status: number): unknown;
    type(contentType: string): unknown;
    send(payload: string): unknown;
  },
  request: { id: string; url: string },
  answer: ProblemAnswer,
) {
  const kind = PROBLEM_TYPES[answer.slug];
  const problem: Problem = {
    type: problemTypeUri(answer.slug),
    title: kind.title,
    status: kind.status,
    detail: answer.detail,
    instance: request.url.split('?')[0],
    requestId: request.id,
    ...(answer.errors && answer.errors.length > 0 ? { errors: answer.errors } : {}),
  };
  reply.code(kind.status);
  reply.type(PROBLEM_CONTENT_TYPE);
  // A string, not an object: the route's response schemas describe success bodies, and a
  // problem must go out even from routes (or stages) that have none.
  return reply.send(JSON.stringify(problem));
}
