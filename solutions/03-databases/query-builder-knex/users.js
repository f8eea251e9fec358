const USER_COLUMNS = ['users.id', 'users.email', 'users.name', 'users.role', 'profiles.bio'];

/** `%` and `_` are wildcards in LIKE; a search for "50%" means those three characters. */
const likePattern = (text) => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

export async function findUsers(knex, { search, role, limit = 20, offset = 0 } = {}) {
  const query = knex('users')
    .leftJoin('profiles', 'profiles.user_id', 'users.id')
    .select(USER_COLUMNS)
    .orderBy('users.id')
    .limit(limit)
    .offset(offset);

  if (search) {
    const pattern = likePattern(search);
    // Grouped, so the OR cannot escape the role filter: role = ? AND (name ILIKE ? OR email ILIKE ?).
    query.where((q) => q.whereILike('users.name', pattern).orWhereILike('users.email', pattern));
  }
  if (role) query.where('users.role', role);

  return query;
}

export async function createUserWithProfile(knex, { email, name, role = 'member', bio = null, website = null }) {
  return knex.transaction(async (trx) => {
    const [user] = await trx('users').insert({ email, name, role }).returning(['id', 'email', 'name', 'role']);
    await trx('profiles').insert({ user_id: user.id, bio, website });
    return { ...user, bio, website };
  });
}

export async function countPublishedPosts(knex) {
  const rows = await knex('users')
    // The published filter belongs to the join: in WHERE it would drop users with no published post.
    .leftJoin('posts', (join) => join.on('posts.user_id', 'users.id').andOnVal('posts.published', true))
    .select('users.id', 'users.name')
    .count({ published: 'posts.id' })
    .groupBy('users.id')
    .orderBy([{ column: 'published', order: 'desc' }, { column: 'users.id' }]);
  // COUNT is a bigint, which pg hands back as a string.
  return rows.map((row) => ({ ...row, published: Number(row.published) }));
}
