import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Migrator } from '@strata/migrate';
import type { Pool } from '@strata/pool';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import {
  createJsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { createAppMetrics } from './app-metrics.js';
import type { AppLogger } from './create-logger.js';
import { healthRoutes } from './health-routes.js';
import { answerClientError, answerConnect, answerUnmetExpectation } from './http-framing-errors.js';
import { useStrictJsonBodies } from './json-body-parser.js';
import { OrderRepository } from './order-repository.js';
import { orderRoutes } from './order-routes.js';
import { handleRequestError, handleUnknownRoute } from './problem-reply.js';
import { problemRoutes } from './problem-routes.js';
import { registerReadYourWrites } from './read-your-writes.js';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id.js';
import { nameServerSpan } from './server-span.js';
import { useStrictRequests } from './strict-requests.js';
import { UserRepository } from './user-repository.js';
import { userRoutes } from './user-routes.js';

/** What the app is built from; everything with a lifecycle (pool, server) belongs to the caller. */
export interface CreateAppOptions {
  pool: Pool;
  /** Readiness asks it whether pre-deploy migrations are pending. */
  migrator: Pick<Migrator, 'status'>;
  logger: AppLogger;
  /**
   * Signs pagination cursors; see STRATA_API_CURSOR_SECRET. Without it, the repositories sign
   * them with a random key of this process (and a line of the log says so).
   */
  cursorSecret?: string | undefined;
}

const DOCS_PREFIX = '/docs';

/**
 * Builds the Fastify app: zod schemas as the single source of request validation, response
 * serialization and the OpenAPI document (`/docs`, `/docs/json`); strict parsing (UTF-8 JSON
 * only, no unknown query parameters, no text the database would refuse or change); every
 * error as an RFC 9457 problem, down to HTTP messages Node's parser rejects; a request id on
 * every log line and response; Prometheus metrics. It does not listen; `startServer` does,
 * and owns the pool and the database.
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
    // Node answers a missing Host with a bare 400 of its own; the strict request rules
    // answer it with a problem instead.
    http: { requireHostHeader: false },
    // A URL that does not decode, a path segment over maxParamLength (100).
    frameworkErrors: handleRequestError,
    // What Node's HTTP parser rejects (framing, headers over 16 KiB, timeouts).
    clientErrorHandler: (error, socket) => answerClientError(logger, error, socket),
  }).withTypeProvider<ZodTypeProvider>();
  app.server.on('checkExpectation', answerUnmetExpectation);
  app.server.on('connect', answerConnect);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // UTF-8 JSON only: a text/plain body is a 415, not a string that fails validation.
  useStrictJsonBodies(app);

  const metrics = createAppMetrics(pool);
  // Callback-style hooks: they run on every request, and skip a promise each.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    nameServerSpan(request.method, request.routeOptions.url);
    done();
  });
  // After the request id hook: a request these rules reject still carries its id.
  useStrictRequests(app, { exemptPrefix: DOCS_PREFIX });
  registerReadYourWrites(app as unknown as FastifyInstance, pool);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler(handleRequestError);
  app.setNotFoundHandler(handleUnknownRoute);

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

  if (options.cursorSecret === undefined) {
    logger.info(
      'STRATA_API_CURSOR_SECRET is not set: pagination cursors are signed with a random key made for this process, so they stop working after a restart and on other instances',
    );
  }
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
