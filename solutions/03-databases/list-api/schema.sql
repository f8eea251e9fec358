-- Applied once, as one script, to an empty database before the suite runs.

CREATE TABLE articles (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title        text NOT NULL,
  body         text NOT NULL,
  author       text NOT NULL,
  category     text NOT NULL,
  views        integer NOT NULL DEFAULT 0,
  published_at timestamptz NOT NULL,
  -- Kept up to date by PostgreSQL itself; queries must use this exact column for the
  -- GIN index to apply.
  search       tsvector GENERATED ALWAYS AS (
                 setweight(to_tsvector('english', title), 'A') ||
                 setweight(to_tsvector('english', body), 'B')
               ) STORED
);

CREATE INDEX articles_search_idx ON articles USING gin (search);

-- One index per keyset order: (sort key, id) serves both directions.
CREATE INDEX articles_published_at_id_idx ON articles (published_at, id);
CREATE INDEX articles_views_id_idx ON articles (views, id);
CREATE INDEX articles_title_id_idx ON articles (title, id);
