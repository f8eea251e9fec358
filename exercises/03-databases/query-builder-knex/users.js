/**
 * Queries on users, built with knex. Every function receives the knex instance to use.
 */

/**
 * A page of users with the bio from their profile (null without one), ordered by id.
 * `search` matches name or email (case-insensitive, substring); `role` must match exactly.
 */
export async function findUsers(knex, { search, role, limit = 20, offset = 0 } = {}) {
  // TODO: knex('users') … leftJoin profiles, filters, orderBy, limit, offset.
  throw new Error('TODO: findUsers');
}

/** Inserts a user and its profile together: both rows, or neither. */
export async function createUserWithProfile(knex, { email, name, role = 'member', bio = null, website = null }) {
  // TODO: knex.transaction(async (trx) => { … }).
  throw new Error('TODO: createUserWithProfile');
}

/** Every user with the number of posts they have published. */
export async function countPublishedPosts(knex) {
  // TODO: a left join, groupBy and count.
  throw new Error('TODO: countPublishedPosts');
}
