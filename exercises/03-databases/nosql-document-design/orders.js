/**
 * Creates the `customers` and `orders` tables, their CHECK constraints and the GIN
 * index. Safe to run more than once. (`products` already exists.)
 */
export async function createSchema(pool) {
  // TODO: customers (id, email UNIQUE, name) and orders (id, customer_id → customers, doc jsonb,
  //       created_at), CHECKs on the shape of doc, a GIN index for `doc @> …`.
  throw new Error('TODO: implement createSchema()');
}

/**
 * Saves a new order for `customer` ({ email, name }) with `items` ([{ sku, qty }]).
 * Resolves to { id, customerId, status, items }.
 */
export async function saveOrder(pool, { customer, items } = {}) {
  // TODO: validate, snapshot name and price from products, upsert the customer, insert the document.
  throw new Error('TODO: implement saveOrder()');
}

/** Every order of the customer with this email, oldest first. */
export async function findOrdersByCustomerEmail(pool, email) {
  // TODO: follow the reference from orders to customers.
  throw new Error('TODO: implement findOrdersByCustomerEmail()');
}

/** Every order with a line item for `sku`, oldest first. */
export async function findOrdersBySku(pool, sku) {
  // TODO: a containment query (@>) the GIN index can answer.
  throw new Error('TODO: implement findOrdersBySku()');
}

/** Appends one line item ({ sku, qty }) to an order and resolves to the updated order. */
export async function addItem(pool, orderId, item) {
  // TODO: one UPDATE with jsonb_set, no read-modify-write in JavaScript.
  throw new Error('TODO: implement addItem()');
}

/** An Error with a machine-readable `code`, e.g. orderError('UNKNOWN_SKU', '...'). */
export function orderError(code, message) {
  return Object.assign(new Error(message), { code });
}
