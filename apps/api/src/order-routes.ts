import type { Pool } from '@strata/pool';
import { withTransaction } from '@strata/transactions';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { idParamsSchema, problemResponse } from './common-schemas.js';
import type { OrderRepository } from './order-repository.js';
import { createOrderBodySchema, orderSchema, toOrderResponse } from './order-schemas.js';

export interface OrderRoutesOptions {
  pool: Pool;
  orders: OrderRepository;
}

const busy = problemResponse('No database connection became free in time; see Retry-After');

/** `/orders`: place an order with its items (one transaction) and read it back. */
export const orderRoutes: FastifyPluginAsyncZod<OrderRoutesOptions> = async (app, { pool, orders }) => {
  app.post(
    '/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'Place an order with its items, atomically',
        body: createOrderBodySchema,
        response: {
          201: orderSchema,
          400: problemResponse('The request breaks the schema; `errors` names every invalid field'),
          422: problemResponse('userId names no user'),
          503: busy,
        },
      },
    },
    async (request, reply) => {
      const { userId, items } = request.body;
      // The repositories find this transaction in the async context and run on its
      // connection: the order and all its items commit together or not at all.
      const order = await withTransaction(pool, () => orders.createWithItems({ user_id: userId }, items));
      return reply.code(201).header('location', `/orders/${order.id}`).send(toOrderResponse(order));
    },
  );

  app.get(
    '/orders/:id',
    {
      schema: {
        tags: ['orders'],
        summary: 'Get an order with its items',
        params: idParamsSchema,
        response: {
          200: orderSchema,
          400: problemResponse('The request breaks the schema'),
          404: problemResponse('No order with this id'),
          503: busy,
        },
      },
    },
    async (request) => toOrderResponse(await orders.getWithItems(request.params.id)),
  );
};
