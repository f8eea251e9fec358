// Reporting queries. Each function runs SQL through `pool` and resolves to plain objects
// whose numbers are JavaScript numbers (pg returns bigint and numeric values as strings).

/** Customers by net revenue of their paid orders created at or after `since`. */
export async function topCustomers(pool, { since, limit }) {
  // TODO: [{ customerId, name, orders, revenueCents }], highest revenue first, ties by customerId.
  throw new Error('TODO: topCustomers');
}

/** Paid orders and net revenue for each month of `year`, months taken in `timeZone`. */
export async function revenueByMonth(pool, { year, timeZone }) {
  // TODO: twelve rows [{ month: 'YYYY-MM', orders, revenueCents }], January first.
  throw new Error('TODO: revenueByMonth');
}

/** Products that appear on no order line. */
export async function productsNeverOrdered(pool) {
  // TODO: [{ id, name }] by id.
  throw new Error('TODO: productsNeverOrdered');
}

/** Every order of one customer with its number of lines and their total. */
export async function ordersWithItemsCount(pool, { customerId }) {
  // TODO: [{ orderId, status, itemCount, totalCents }], oldest first.
  throw new Error('TODO: ordersWithItemsCount');
}

/** Each category's share of the sales of paid orders. */
export async function categoryShare(pool) {
  // TODO: [{ category, salesCents, sharePercent }], largest first.
  throw new Error('TODO: categoryShare');
}
