import { NotFoundError } from '@strata/repository';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConflictingVersionsError, PreconditionRequiredError } from './app-errors.js';
import { cursorSchema, idParamsSchema, limitSchema, problemResponse } from './common-schemas.js';
import type { OrderRepository } from './order-repository.js';
import { orderPageSchema, toOrderResponse } from './order-schemas.js';
import type { UserRepository } from './user-repository.js';
import {
  createUserBodySchema,
  etagOf,
  listUsersQuerySchema,
  toUserResponse,
  updateUserBodySchema,
  userPageSchema,
  userSchema,
  versionFromETag,
  versionHeadersSchema,
} from './user-schemas.js';

export interface UserRoutesOptions {
  users: UserRepository;
  orders: OrderRepository;
}

const invalid = problemResponse('The request breaks the schema; `errors` names every invalid field');
const notFound = problemResponse('No user with this id');
const busy = problemResponse('No database connection became free in time; see Retry-After');

/** The version a write applies to: If-Match or the body's `version` (they must agree). */
function expectedVersion(ifMatch: string | undefined, bodyVersion: number | undefined): number | undefined {
  const headerVersion = ifMatch === undefined ? undefined : versionFromETag(ifMatch);
  if (headerVersion !== undefined && bodyVersion !== undefined && headerVersion !== bodyVersion) {
    throw new ConflictingVersionsError(headerVersion, bodyVersion);
  }
  return headerVersion ?? bodyVersion;
}

/** `/users`: create, read, page through, update with optimistic locking, delete; and a user's orders. */
export const userRoutes: FastifyPluginAsyncZod<UserRoutesOptions> = async (app, { users, orders }) => {
  app.post(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a user',
        body: createUserBodySchema,
        response: {
          201: userSchema,
          400: invalid,
          409: problemResponse('A user with this email exists'),
          503: busy,
        },
      },
    },
    async (request, reply) => {
      const user = await users.create({ email: request.body.email, name: request.body.name });
      return reply
        .code(201)
        .header('location', `/users/${user.id}`)
        .header('etag', etagOf(user))
        .send(toUserResponse(user));
    },
  );

  app.get(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'List users, a page at a time (keyset pagination), or find one by email',
        querystring: listUsersQuerySchema,
        response: { 200: userPageSchema, 400: invalid, 503: busy },
      },
    },
    async (request) => {
      const { email, sort, limit, after } = request.query;
      const page = await users.listUsers({ email, sort, limit, after });
      return { items: page.items.map(toUserResponse), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Get a user; its ETag is the version to send back when updating',
        params: idParamsSchema,
        response: { 200: userSchema, 400: invalid, 404: notFound, 503: busy },
      },
    },
    async (request, reply) => {
      const user = await users.getById(request.params.id);
      return reply.header('etag', etagOf(user)).send(toUserResponse(user));
    },
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Change a user, if it is still the version you read (If-Match or "version")',
        params: idParamsSchema,
        headers: versionHeadersSchema,
        body: updateUserBodySchema,
        response: {
          200: userSchema,
          400: invalid,
          404: notFound,
          409: problemResponse('The user changed since you read it, or the email is taken'),
          428: problemResponse('No version given'),
          503: busy,
        },
      },
    },
    async (request, reply) => {
      const { version: bodyVersion, ...changes } = request.body;
      const version = expectedVersion(request.headers['if-match'], bodyVersion);
      if (version === undefined) throw new PreconditionRequiredError();
      const user = await users.updateIfVersion(request.params.id, changes, version);
      return reply.header('etag', etagOf(user)).send(toUserResponse(user));
    },
  );

  app.delete(
    '/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Delete a user (only that version, when If-Match is given)',
        params: idParamsSchema,
        headers: versionHeadersSchema,
        response: {
          204: z.null().meta({ description: 'Deleted' }),
          400: invalid,
          404: notFound,
          409: problemResponse('The user changed since you read it, or still has orders'),
          503: busy,
        },
      },
    },
    async (request, reply) => {
      const version = expectedVersion(request.headers['if-match'], undefined);
      const deleted = await users.delete(request.params.id, version === undefined ? {} : { version });
      if (!deleted) throw new NotFoundError(users.entity, [request.params.id]);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/users/:id/orders',
    {
      schema: {
        tags: ['users', 'orders'],
        summary: "A user's orders with their items, newest first: three queries per page, whatever its size",
        params: idParamsSchema,
        querystring: z.strictObject({ limit: limitSchema, after: cursorSchema }),
        response: { 200: orderPageSchema, 400: invalid, 404: notFound, 503: busy },
      },
    },
    async (request) => {
      // 404 for an unknown user rather than an empty page.
      const user = await users.getById(request.params.id);
      const page = await orders.listForUser(user.id, request.query);
      return { items: page.items.map(toOrderResponse), nextCursor: page.nextCursor };
    },
  );
};
