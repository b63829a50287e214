import { BaseModel } from '@strata/repository';

/** One line of an order (table `order_items`): a product and how many of it. */
export class OrderItem extends BaseModel {
  static override tableName = 'order_items';

  declare id: string;
  declare order_id: string;
  declare product_id: string;
  declare qty: number;
}
