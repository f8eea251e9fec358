// Each order's amounts, aggregated per table before any join: joining order_items and
// refunds to the same order at once pairs every line with every refund and multiplies both.
const ORDER_TOTALS = `
  order_totals AS (
    SELECT o.id, o.customer_id, o.created_at,
           COALESCE(i.gross, 0) AS gross,
           COALESCE(i.gross, 0) - COALESCE(r.refunded, 0) AS net
      FROM orders o
      LEFT JOIN (SELECT order_id, sum(quantity * unit_price_cents) AS gross
                   FROM order_items GROUP BY order_id) i ON i.order_id = o.id
      LEFT JOIN (SELECT order_id, sum(amount_cents) AS refunded
                   FROM refunds GROUP BY order_id) r ON r.order_id = o.id
     WHERE o.status = 'paid'
  )`;

export async function topCustomers(pool, { since, limit }) {
  const { rows } = await pool.query(
    `WITH ${ORDER_TOTALS}
     SELECT c.id, c.name, count(*) AS orders, sum(t.net) AS revenue
       FROM order_totals t JOIN customers c ON c.id = t.customer_id
      WHERE t.created_at >= $1
      GROUP BY c.id
      ORDER BY revenue DESC, c.id
      LIMIT $2`,
    [since, limit],
  );
  // count() and sum() come back as bigint/numeric, which pg hands over as strings.
  return rows.map((row) => ({ customerId: row.id, name: row.name, orders: Number(row.orders), revenueCents: Number(row.revenue) }));
}

export async function revenueByMonth(pool, { year, timeZone }) {
  const { rows } = await pool.query(
    `WITH ${ORDER_TOTALS},
     months AS (
       SELECT generate_series(make_date($1, 1, 1), make_date($1, 12, 1), interval '1 month')::date AS month
     ),
     bucketed AS (
       -- AT TIME ZONE turns the instant into the wall-clock time of that zone.
       SELECT date_trunc('month', t.created_at AT TIME ZONE $2)::date AS month, t.net
         FROM order_totals t
        WHERE t.created_at >= make_timestamptz($1, 1, 1, 0, 0, 0, $2)
          AND t.created_at < make_timestamptz($1 + 1, 1, 1, 0, 0, 0, $2)
     )
     SELECT to_char(m.month, 'YYYY-MM') AS month, count(b.month) AS orders, COALESCE(sum(b.net), 0) AS revenue
       FROM months m LEFT JOIN bucketed b ON b.month = m.month
      GROUP BY m.month
      ORDER BY m.month`,
    [year, timeZone],
  );
  return rows.map((row) => ({ month: row.month, orders: Number(row.orders), revenueCents: Number(row.revenue) }));
}

export async function productsNeverOrdered(pool) {
  // NOT EXISTS, not NOT IN: one NULL product_id makes `id NOT IN (…)` unknown for every row.
  const { rows } = await pool.query(
    `SELECT p.id, p.name FROM products p
      WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.product_id = p.id)
      ORDER BY p.id`,
  );
  return rows;
}

export async function ordersWithItemsCount(pool, { customerId }) {
  const { rows } = await pool.query(
    `SELECT o.id, o.status, count(i.id) AS items, COALESCE(sum(i.quantity * i.unit_price_cents), 0) AS total
       FROM orders o LEFT JOIN order_items i ON i.order_id = o.id
      WHERE o.customer_id = $1
      GROUP BY o.id
      ORDER BY o.created_at, o.id`,
    [customerId],
  );
  return rows.map((row) => ({ orderId: row.id, status: row.status, itemCount: Number(row.items), totalCents: Number(row.total) }));
}

export async function categoryShare(pool) {
  const { rows } = await pool.query(
    `WITH sales AS (
       SELECT COALESCE(p.category, '(deleted)') AS category, sum(i.quantity * i.unit_price_cents) AS cents
         FROM order_items i
         JOIN orders o ON o.id = i.order_id AND o.status = 'paid'
         LEFT JOIN products p ON p.id = i.product_id
        GROUP BY 1
     )
     SELECT category, cents, round(100.0 * cents / sum(cents) OVER (), 1) AS share
       FROM sales
      ORDER BY cents DESC, category`,
  );
  return rows.map((row) => ({ category: row.category, salesCents: Number(row.cents), sharePercent: Number(row.share) }));
}
