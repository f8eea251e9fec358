-- Applied once, as one script, to an empty database before the suite runs. The suite
-- inserts into these columns; you may add columns (a generated one, say) and indexes.

CREATE TABLE articles (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title        text NOT NULL,
  body         text NOT NULL,
  author       text NOT NULL,
  category     text NOT NULL,
  views        integer NOT NULL DEFAULT 0,
  published_at timestamptz NOT NULL
);

-- TODO: full-text search over title and body with the 'english' configuration, served
-- by a GIN index: a stored generated tsvector column with a GIN index on it is the
-- usual way. Then the btree indexes your sorts (sort key, id) deserve.
