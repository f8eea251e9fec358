import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import { posts, users } from './schema.js';

/**
 * A repository over users and their posts. Callers get plain objects, never rows,
 * SQL or driver errors. `db` is drizzle({ client: pool, schema }) built from schema.js.
 */
export function createUserRepository(db) {
  return {
    /** Inserts a user; resolves to { id, email, name, bio, createdAt }. */
    async create({ email, name, bio = null }) {
      // TODO: db.insert(users).values(…).returning(…); a taken email rejects with code 'EMAIL_TAKEN'.
      throw new Error('TODO: create');
    },

    /** The user with their posts, or null. */
    async findById(id) {
      // TODO: load the user and their posts in one query (or two), never one per post.
      throw new Error('TODO: findById');
    },

    /** Changes only email, name and bio, and only those present in the patch. */
    async update(id, patch) {
      // TODO
      throw new Error('TODO: update');
    },

    /** Resolves to true when a user was deleted. */
    async delete(id) {
      // TODO
      throw new Error('TODO: delete');
    },

    /** One page of users (with posts) by id: { items, nextCursor }. */
    async list({ cursor, limit = 10 } = {}) {
      // TODO: keyset pagination: the cursor stands for "after this id".
      throw new Error('TODO: list');
    },
  };
}
