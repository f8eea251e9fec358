// An in-memory order repository, already written: a stand-in for a database table.
// Every repository the service is given has exactly these four async methods.
// Records go in and come out as copies, like rows from a database: changing an object
// you got back changes nothing until you call updateOrder.
export function createMemoryOrderRepository({ products = [] } = {}) {
  const catalog = new Map(products.map((p) => [p.sku, structuredClone(p)]));
  const orders = new Map();
  let lastId = 0;

  return {
    /** The product `{ sku, name, priceCents }`, or null. */
    async findProduct(sku) {
      return catalog.has(sku) ? structuredClone(catalog.get(sku)) : null;
    },

    /** Stores a new order (without an id) and returns it with the `id` (a string) it was given. */
    async insertOrder(order) {
      lastId += 1;
      const stored = { ...structuredClone(order), id: `ord_${lastId}` };
      orders.set(stored.id, stored);
      return structuredClone(stored);
    },

    /** The order with that id, or null. */
    async findOrder(id) {
      return orders.has(id) ? structuredClone(orders.get(id)) : null;
    },

    /** Merges `changes` into the stored order and returns the result, or null for an unknown id. */
    async updateOrder(id, changes) {
      if (!orders.has(id)) return null;
      const updated = { ...orders.get(id), ...structuredClone(changes), id };
      orders.set(id, updated);
      return structuredClone(updated);
    },
  };
}
