// Identifiers cannot be parameters, so the only ones that reach the SQL text come from
// these maps. A Map (unlike a plain object) has no inherited keys such as `constructor`.
const SORT_COLUMNS = new Map([
  ['name', 'name'],
  ['price', 'price_cents'],
  ['createdAt', 'created_at'],
]);
const DIRECTIONS = new Map([
  ['asc', 'ASC'],
  ['desc', 'DESC'],
]);

/**
 * Searches the products table with optional filters and returns
 * [{ id, name, priceCents, tags }].
 */
export async function searchProducts(pool, { name, minPrice, maxPrice, tags, sort = 'name', order = 'asc', limit = 20 } = {}) {
  const column = SORT_COLUMNS.get(sort);
  const direction = DIRECTIONS.get(order);
  if (!column || !direction) throw searchError('INVALID_SORT', `cannot sort by ${String(sort)} ${String(order)}`);

  const values = [];
  const param = (value) => `$${values.push(value)}`;
  const where = [];

  if (name !== undefined) {
    if (typeof name !== 'string') throw searchError('INVALID_FILTER', 'name must be a string');
    // LIKE treats % and _ as wildcards and \ as its escape character.
    where.push(`name ILIKE ${param(`%${name.replace(/[\\%_]/g, '\\$&')}%`)}`);
  }
  if (minPrice !== undefined) where.push(`price_cents >= ${param(cents(minPrice, 'minPrice'))}`);
  if (maxPrice !== undefined) where.push(`price_cents <= ${param(cents(maxPrice, 'maxPrice'))}`);
  if (tags !== undefined) {
    if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string')) {
      throw searchError('INVALID_FILTER', 'tags must be an array of strings');
    }
    // The whole array is one parameter; && means "shares at least one element".
    if (tags.length > 0) where.push(`tags && ${param(tags)}::text[]`);
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw searchError('INVALID_FILTER', 'limit must be an integer from 1 to 100');
  }

  const sql = `SELECT id, name, price_cents AS "priceCents", tags
    FROM products
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ${column} ${direction}, id ASC
    LIMIT ${param(limit)}`;
  const { rows } = await pool.query(sql, values);
  return rows;
}

function cents(value, field) {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw searchError('INVALID_FILTER', `${field} must be a non-negative integer (cents)`);
  }
  return value;
}

/** An Error with a machine-readable `code`, e.g. searchError('INVALID_SORT', '...'). */
export function searchError(code, message) {
  return Object.assign(new Error(message), { code });
}
