/**
 * The schema for users, their profiles and their posts. The suite runs it with
 * knex.migrate.latest({ directory: 'migrations' }) and undoes it with knex.migrate.rollback().
 * See the README for every column.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  // TODO: knex.schema.createTable('users', (table) => { … }), then profiles, then posts.
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  // TODO: drop what up() created, in the order the foreign keys allow.
}
