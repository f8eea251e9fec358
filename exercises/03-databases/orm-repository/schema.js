import { relations } from 'drizzle-orm';
import { boolean, index, integer, pgTable, serial, text, timestamp, varchar } from 'drizzle-orm/pg-core';

// The tables exist already (see the SQL in the README); declare them here so drizzle can
// map rows to objects: property names on the left, column names in the strings.

export const users = pgTable('users', {
  id: serial('id').primaryKey(),
  // TODO: email, name, bio, createdAt (column created_at, timestamptz).
});

export const posts = pgTable('posts', {
  id: serial('id').primaryKey(),
  // TODO: authorId (column author_id, references users.id), title, published, createdAt.
});

// TODO: export usersRelations (a user has many posts) and postsRelations (a post has one author).
