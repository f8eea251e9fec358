-- 004: posts get a URL slug. Expand, backfill, then constrain: adding a NOT NULL
-- column in one step fails on a table that already has rows.
ALTER TABLE posts ADD COLUMN slug text;
UPDATE posts SET slug = 'post-' || id;
ALTER TABLE posts ALTER COLUMN slug SET NOT NULL;
ALTER TABLE posts ADD CONSTRAINT posts_author_id_slug_key UNIQUE (author_id, slug);
