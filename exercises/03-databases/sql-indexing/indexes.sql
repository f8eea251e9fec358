-- Indexes for the five queries of the README, at most four of them.
-- Plain CREATE INDEX statements: the suite runs this whole file as one query.
-- Check each query's plan yourself with EXPLAIN.

-- TODO: the login lookup by email, in any letter case (and no two customers may share
-- an email, ignoring case).

-- TODO: a customer's recent orders, and how many orders they have.

-- TODO: the queue of pending orders (keep this index small).

-- TODO: one day's revenue.
