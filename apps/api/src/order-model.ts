import { BaseModel } from '@strata/repository';
import type { RelationMappings } from 'objection';
import { OrderItem } from './order-item-model.js';

/** The states an order moves through (the `orders_status_check` constraint allows these). */
export const ORDER_STATUSES = ['placed', 'paid', 'shipped', 'cancelled'] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** An order of a user (table `orders`); its `items` relation loads the lines in one query per page. */
export class Order extends BaseModel {
  static override tableName = 'orders';

  static override relationMappings = (): RelationMappings => ({
    items: {
      relation: BaseModel.HasManyRelation,
      modelClass: OrderItem,
      join: { from: 'orders.id', to: 'order_items.order_id' },
      // Lines come back in the order they were added.
      filter: (query) => query.orderBy('order_items.id'),
    },
  });

  declare id: string;
  declare user_id: string;
  declare status: OrderStatus;
  /** Present when loaded with `{ with: 'items' }`. */
  declare items?: OrderItem[];
}
