// An order is one document: its line items are embedded, with the product's name and
// price copied in as they were when ordered. The customer is referenced by id, because
// a customer outlives orders and changes (email, name) must show on every order.
export async function createSchema(pool) {
  await pool.query(`
    CREATE TABLE IF NOT EXISTS customers (
      id    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email text NOT NULL UNIQUE,
      name  text NOT NULL
    );
    CREATE TABLE IF NOT EXISTS orders (
      id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      customer_id integer NOT NULL REFERENCES customers (id),
      doc         jsonb NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now(),
      -- A CHECK passes when its expression is NULL (a missing key), hence IS TRUE.
      CONSTRAINT doc_is_object CHECK (jsonb_typeof(doc) = 'object'),
      CONSTRAINT doc_items_is_array CHECK ((jsonb_typeof(doc -> 'items') = 'array') IS TRUE),
      CONSTRAINT doc_status_is_known CHECK ((doc ->> 'status' IN ('pending', 'paid', 'shipped', 'cancelled')) IS TRUE)
    );
    CREATE INDEX IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);
    -- jsonb_path_ops: smaller and faster than the default opclass, and serves @>.
    CREATE INDEX IF NOT EXISTS orders_doc_gin_idx ON orders USING gin (doc jsonb_path_ops);
  `);
}

const ORDER_COLUMNS = 'o.id, o.customer_id, o.doc';
const toOrder = ({ id, customer_id, doc }) => ({ id, customerId: customer_id, status: doc.status, items: doc.items });

export async function saveOrder(pool, { customer, items } = {}) {
  const { email, name } = customer ?? {};
  if (typeof email !== 'string' || !email.includes('@') || typeof name !== 'string' || name.trim() === '') {
    throw orderError('INVALID_INPUT', 'customer needs an email and a name');
  }
  if (!Array.isArray(items) || items.length === 0) throw orderError('INVALID_INPUT', 'an order needs at least one item');
  const lines = await snapshot(pool, items);

  // One statement, so the customer upsert and the order insert succeed or fail together.
  // DO UPDATE (not DO NOTHING) so RETURNING also yields the id of an existing customer.
  const { rows } = await pool.query(
    `WITH c AS (
       INSERT INTO customers (email, name) VALUES ($1, $2)
       ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name
       RETURNING id
     )
     INSERT INTO orders AS o (customer_id, doc)
     SELECT c.id, $3::jsonb FROM c
     RETURNING ${ORDER_COLUMNS}`,
    [email, name, JSON.stringify({ status: 'pending', items: lines })],
  );
  return toOrder(rows[0]);
}

export async function findOrdersByCustomerEmail(pool, email) {
  const { rows } = await pool.query(
    `SELECT ${ORDER_COLUMNS} FROM orders o JOIN customers c ON c.id = o.customer_id
     WHERE c.email = $1 ORDER BY o.id`,
    [email],
  );
  return rows.map(toOrder);
}

export async function findOrdersBySku(pool, sku) {
  if (typeof sku !== 'string') throw orderError('INVALID_INPUT', 'sku must be a string');
  const { rows } = await pool.query(`SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.doc @> $1::jsonb ORDER BY o.id`, [
    JSON.stringify({ items: [{ sku }] }),
  ]);
  return rows.map(toOrder);
}

export async function addItem(pool, orderId, item) {
  const [line] = await snapshot(pool, [item]);
  // The new array is computed from the row as it is when the UPDATE runs, so
  // concurrent appends queue on the row lock instead of overwriting each other.
  const { rows } = await pool.query(
    `UPDATE orders o SET doc = jsonb_set(o.doc, '{items}', o.doc -> 'items' || $2::jsonb)
     WHERE o.id = $1 RETURNING ${ORDER_COLUMNS}`,
    [orderId, JSON.stringify([line])],
  );
  if (rows.length === 0) throw orderError('ORDER_NOT_FOUND', `no order ${orderId}`);
  return toOrder(rows[0]);
}

/** Validates items and copies each product's current name and price into the line. */
async function snapshot(pool, items) {
  for (const item of items) {
    if (typeof item?.sku !== 'string' || item.sku === '' || !Number.isSafeInteger(item.qty) || item.qty < 1) {
      throw orderError('INVALID_INPUT', 'each item needs a sku and a positive integer qty');
    }
  }
  const { rows } = await pool.query('SELECT sku, name, price_cents FROM products WHERE sku = ANY($1::text[])', [
    items.map((item) => item.sku),
  ]);
  const products = new Map(rows.map((row) => [row.sku, row]));
  return items.map(({ sku, qty }) => {
    const product = products.get(sku);
    if (!product) throw orderError('UNKNOWN_SKU', `no product ${sku}`);
    return { sku, name: product.name, priceCents: product.price_cents, qty };
  });
}

/** An Error with a machine-readable `code`, e.g. orderError('UNKNOWN_SKU', '...'). */
export function orderError(code, message) {
  return Object.assign(new Error(message), { code });
}
