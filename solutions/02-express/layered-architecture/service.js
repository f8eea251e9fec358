import { ConflictError, NotFoundError, ValidationError } from './errors.js';

const CANCEL_WINDOW_MS = 30 * 60 * 1000;

function checkInput(input) {
  if (typeof input !== 'object' || input === null) throw new ValidationError('the order must be an object');
  const { customerId, items } = input;
  if (typeof customerId !== 'string' || customerId.trim() === '') throw new ValidationError('customerId is required');
  if (!Array.isArray(items) || items.length === 0) throw new ValidationError('an order needs at least one item');
  const seen = new Set();
  for (const item of items) {
    if (typeof item?.sku !== 'string' || item.sku === '') throw new ValidationError('every item needs a sku');
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > 99) {
      throw new ValidationError(`quantity of ${item.sku} must be an integer from 1 to 99`);
    }
    if (seen.has(item.sku)) throw new ValidationError(`${item.sku} appears twice`);
    seen.add(item.sku);
  }
  return { customerId, items };
}

export function createOrderService({ repo, clock }) {
  async function getOrder(id) {
    const order = await repo.findOrder(id);
    if (!order) throw new NotFoundError(`order ${id} not found`);
    return order;
  }

  return {
    async placeOrder(input) {
      const { customerId, items } = checkInput(input);
      // Prices come from the catalog, never from the client.
      const priced = [];
      for (const { sku, quantity } of items) {
        const product = await repo.findProduct(sku);
        if (!product) throw new ValidationError(`unknown product ${sku}`);
        priced.push({ sku, quantity, unitPriceCents: product.priceCents });
      }
      const totalCents = priced.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
      return repo.insertOrder({
        customerId,
        items: priced,
        totalCents,
        status: 'placed',
        createdAt: clock.now().toISOString(),
        cancelledAt: null,
      });
    },

    getOrder,

    async cancelOrder(id) {
      const order = await getOrder(id);
      if (order.status !== 'placed') throw new ConflictError(`order ${id} is ${order.status}`);
      const now = clock.now();
      if (now.getTime() - Date.parse(order.createdAt) > CANCEL_WINDOW_MS) {
        throw new ConflictError(`order ${id} can only be cancelled within 30 minutes`);
      }
      // The repository returns copies: changing `order` would not persist anything.
      return repo.updateOrder(id, { status: 'cancelled', cancelledAt: now.toISOString() });
    },
  };
}
