import { ForeignKeyViolationError } from '@strata/errors';
import type { Pool } from '@strata/pool';
import { createRepository, type Page, Repository } from '@strata/repository';
import { currentTransaction, withTransaction } from '@strata/transactions';
import { UnknownReferenceError } from './app-errors.js';
import { OrderItem } from './order-item-model.js';
import { Order } from './order-model.js';

/** A line of a new order. */
export interface NewOrderItem {
  productId: string;
  qty: number;
}

/**
 * Orders with their items. Reads load the items of a whole page with one extra query
 * (never one per order); `createWithItems` writes an order and its lines atomically.
 */
export class OrderRepository extends Repository<Order> {
  readonly items: Repository<OrderItem>;
  readonly #pool: Pool;

  constructor(pool: Pool, options: { cursorSecret?: string | undefined } = {}) {
    const cursorSecret = options.cursorSecret ? { cursorSecret: options.cursorSecret } : {};
    super(pool, Order, { filterable: ['user_id'], writable: ['user_id'], maxPageSize: 100, ...cursorSecret });
    this.items = createRepository(pool, OrderItem, { writable: ['order_id', 'product_id', 'qty'] });
    this.#pool = pool;
  }

  /**
   * Inserts the order and its items in one transaction and returns the order with its items.
   * It joins the transaction already open in this async context (the caller's
   * `withTransaction`), or opens its own: either way all of it commits or none of it does.
   * An unknown `user_id` is an UnknownReferenceError naming the `userId` field.
   */
  createWithItems(order: { user_id: string }, items: readonly NewOrderItem[]): Promise<Order> {
    const work = async () => {
      let created: Order;
      try {
        created = await this.create({ user_id: order.user_id });
      } catch (error) {
        if (error instanceof ForeignKeyViolationError && error.constraint === 'orders_user_id_fkey') {
          throw new UnknownReferenceError('userId', 'user', order.user_id, { cause: error });
        }
        throw error;
      }
      // One multi-row INSERT for all lines (COPY from createMany's threshold on).
      await this.items.createMany(
        items.map((item) => ({ order_id: created.id, product_id: item.productId, qty: item.qty })),
      );
      return this.getById(created.id, { with: 'items' });
    };
    return currentTransaction(this.#pool) ? work() : withTransaction(this.#pool, work);
  }

  /** The order with `id` and its items, or NotFoundError. Two queries. */
  getWithItems(id: string): Promise<Order> {
    return this.getById(id, { with: 'items' });
  }

  /**
   * One page of a user's orders, newest first, each with its items: two queries per page
   * however many orders it holds (the orders, then the items of all of them).
   */
  listForUser(userId: string, options: { limit: number; after?: string | undefined }): Promise<Page<Order>> {
    return this.list({
      where: { user_id: userId },
      orderBy: { field: 'id', direction: 'desc' },
      limit: options.limit,
      after: options.after ?? null,
      with: 'items',
    });
  }
}
