import { NotFoundError } from '@strata/repository';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemResponse } from './common-schemas.js';
import { PROBLEM_TYPES, problemTypeUri } from './problem-types.js';

/** `GET /problems/:slug`: what a problem `type` means, so every type URI leads somewhere. */
export const problemRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/problems/:slug',
    {
      schema: {
        tags: ['problems'],
        summary: 'Describe a kind of problem (the `type` of an error response)',
        params: z.strictObject({
          slug: z.string().regex(/^[a-z-]{1,64}$/, 'must be a problem type name, e.g. "not-found"'),
        }),
        response: {
          200: z.object({ type: z.string(), status: z.int(), title: z.string(), description: z.string() }),
          404: problemResponse('No such problem type'),
        },
      },
    },
    async (request) => {
      const { slug } = request.params;
      if (!Object.hasOwn(PROBLEM_TYPES, slug)) throw new NotFoundError('Problem type', [slug]);
      const known = slug as keyof typeof PROBLEM_TYPES;
      return { type: problemTypeUri(known), ...PROBLEM_TYPES[known] };
    },
  );
};
