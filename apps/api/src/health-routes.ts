import type { Migrator } from '@strata/migrate';
import type { Pool } from '@strata/pool';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkReadiness } from './readiness.js';

const liveSchema = z.object({ status: z.literal('ok') });
const readySchema = z
  .object({
    status: z.enum(['ready', 'not ready']),
    database: z.enum(['ok', 'unreachable']),
    pendingMigrations: z.array(z.string()),
    replicas: z.array(
      z.object({
        host: z.string(),
        port: z.number().int(),
        state: z.enum(['healthy', 'lagging', 'unreachable', 'not-a-standby', 'unknown']),
        lagMs: z
          .number()
          .nullable()
          .meta({ description: 'How far behind the primary, in ms; null when unknown' }),
      }),
    ),
  })
  .meta({ id: 'Readiness' });

export interface HealthRoutesOptions {
  pool: Pool;
  migrator: Pick<Migrator, 'status'>;
}

/** Liveness (the process answers) and readiness (database reachable, schema up to date). */
export const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = async (app, { pool, migrator }) => {
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process is up and answering',
        response: { 200: liveSchema },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        summary:
          'Readiness: the database answers and no pre-deploy migration is pending; each read replica with its lag',
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (_request, reply) => {
      const readiness = await checkReadiness(pool, migrator);
      return reply.code(readiness.ready ? 200 : 503).send({
        status: readiness.ready ? 'ready' : 'not ready',
        database: readiness.database,
        pendingMigrations: readiness.pendingMigrations,
        replicas: readiness.replicas,
      });
    },
  );
};
