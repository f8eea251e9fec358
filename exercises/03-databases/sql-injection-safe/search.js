/**
 * Searches the products table with optional filters and returns
 * [{ id, name, priceCents, tags }].
 *
 * This version returns the right rows for friendly input, and runs whatever SQL an
 * attacker types into any field: every value is pasted into the query text.
 */
export async function searchProducts(pool, { name, minPrice, maxPrice, tags, sort = 'name', order = 'asc', limit = 20 } = {}) {
  // TODO: validate every field first (INVALID_SORT, INVALID_FILTER); no query on bad input.
  // TODO: send every value as a $n parameter; map sort/order through an allow-list.
  // TODO: escape %, _ and \ in `name` so they match literally.
  const where = [];
  if (name !== undefined) where.push(`name ILIKE '%${name}%'`);
  if (minPrice !== undefined) where.push(`price_cents >= ${minPrice}`);
  if (maxPrice !== undefined) where.push(`price_cents <= ${maxPrice}`);
  if (tags !== undefined && tags.length > 0) where.push(`tags && ARRAY['${tags.join("','")}']`);
  const column = sort === 'price' ? 'price_cents' : sort === 'createdAt' ? 'created_at' : sort;

  const sql = `SELECT id, name, price_cents AS "priceCents", tags FROM products
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ${column} ${order}, id
    LIMIT ${limit}`;
  const { rows } = await pool.query(sql);
  return rows;
}

/** An Error with a machine-readable `code`, e.g. searchError('INVALID_SORT', '...'). */
export function searchError(code, message) {
  return Object.assign(new Error(message), { code });
}
