import { z } from 'zod';
import { idOutputSchema, idSchema, pageSchema, timestampSchema } from './common-schemas.js';
import { ORDER_STATUSES, type Order } from './order-model.js';

export const orderItemSchema = z
  .object({ id: idOutputSchema, productId: idOutputSchema, qty: z.int() })
  .meta({ id: 'OrderItem' });

/** An order as the API returns it, always with its items. */
export const orderSchema = z
  .object({
    id: idOutputSchema,
    userId: idOutputSchema,
    status: z.enum(ORDER_STATUSES),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    items: z.array(orderItemSchema),
  })
  .meta({ id: 'Order' });

export type OrderResponse = z.output<typeof orderSchema>;

export const orderPageSchema = pageSchema(orderSchema).meta({ id: 'OrderPage' });

const newOrderItemSchema = z.strictObject({
  productId: idSchema,
  qty: z.int('must be a whole number').min(1, 'must be at least 1').max(10_000, 'must be at most 10000'),
});

export const createOrderBodySchema = z
  .strictObject({
    userId: idSchema,
    items: z
      .array(newOrderItemSchema)
      .min(1, 'an order needs at least one item')
      .max(100, 'an order has at most 100 items')
      .superRefine(rejectRepeatedProducts, { when: (payload) => Array.isArray(payload.value) }),
  })
  .meta({ id: 'NewOrder' });

// One line per product: the order_items unique constraint says so too, but a 400 that
// points at the line is more useful than a conflict from the database. `when` lets it run
// alongside other items' range and unknown-field errors, so they are reported together
// (zod still skips it while an item has a value of the wrong type).
function rejectRepeatedProducts(items: readonly unknown[], context: z.RefinementCtx): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const productId = (item as { productId?: unknown } | null)?.productId;
    if (typeof productId !== 'string') return;
    if (seen.has(productId)) {
      context.addIssue({
        code: 'custom',
        path: [index, 'productId'],
        message: 'appears in an earlier item; give each product once, with its total qty',
      });
    }
    seen.add(productId);
  });
}

/** The API's view of a stored order and its items. */
export function toOrderResponse(order: Order): OrderResponse {
  return {
    id: String(order.id),
    userId: String(order.user_id),
    status: order.status,
    createdAt: new Date(order.created_at).toISOString(),
    updatedAt: new Date(order.updated_at).toISOString(),
    items: (order.items ?? []).map((item) => ({
      id: String(item.id),
      productId: String(item.product_id),
      qty: item.qty,
    })),
  };
}
