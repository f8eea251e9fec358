-- Login: the query compares lower(email), so the index must hold lower(email); a plain
-- index on email cannot serve it. UNIQUE also stops Ada@x and ada@x from both signing up.
CREATE UNIQUE INDEX customers_lower_email_key ON customers (lower(email));

-- Equality column first, then the ORDER BY column: one customer's orders are adjacent
-- and already sorted. The same index serves the count through its leading column.
CREATE INDEX orders_customer_id_created_at_idx ON orders (customer_id, created_at);

-- Only about 2% of orders are pending: a partial index stays tiny and already sorted.
CREATE INDEX orders_pending_created_at_idx ON orders (created_at) WHERE status = 'pending';

-- Range scans over a time window.
CREATE INDEX orders_created_at_idx ON orders (created_at);
