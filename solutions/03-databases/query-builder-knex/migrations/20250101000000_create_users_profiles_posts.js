export async function up(knex) {
  await knex.schema.createTable('users', (table) => {
    table.increments('id');
    table.string('email', 255).notNullable().unique();
    table.string('name', 255).notNullable();
    table.enu('role', ['admin', 'member', 'guest']).notNullable().defaultTo('member');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // One profile per user: the user id is the primary key.
  await knex.schema.createTable('profiles', (table) => {
    table.integer('user_id').primary().references('id').inTable('users').onDelete('CASCADE');
    table.string('bio', 280);
    table.string('website', 255);
  });

  await knex.schema.createTable('posts', (table) => {
    table.increments('id');
    // PostgreSQL does not index foreign keys by itself; every "posts of user X" needs this.
    table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE').index();
    table.string('title', 255).notNullable();
    table.boolean('published').notNullable().defaultTo(false);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex) {
  // Children first: users cannot go while rows still reference it.
  await knex.schema.dropTable('posts');
  await knex.schema.dropTable('profiles');
  await knex.schema.dropTable('users');
}
