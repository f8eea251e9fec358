import { asc, eq, gt } from 'drizzle-orm';
import { users } from './schema.js';

const USER_COLUMNS = { id: true, email: true, name: true, bio: true, createdAt: true };
// Posts as callers see them: the foreign key is how they are stored, not part of a post.
const WITH_POSTS = {
  posts: {
    columns: { id: true, title: true, published: true, createdAt: true },
    orderBy: (post, { asc }) => [asc(post.id)],
  },
};
const WRITABLE = ['email', 'name', 'bio'];

/** The unique violation surfaces as a domain error; callers never see SQLSTATE codes. */
function translate(error) {
  const cause = error?.cause ?? error;
  if (cause?.code === '23505' && cause.constraint?.includes('email')) {
    return Object.assign(new Error('email is already taken'), { code: 'EMAIL_TAKEN', cause: error });
  }
  return error;
}

const encodeCursor = (id) => Buffer.from(String(id)).toString('base64url');
const decodeCursor = (cursor) => {
  const id = Number(Buffer.from(cursor, 'base64url').toString());
  if (!Number.isInteger(id)) throw new Error('invalid cursor');
  return id;
};

export function createUserRepository(db) {
  const userColumns = { id: users.id, email: users.email, name: users.name, bio: users.bio, createdAt: users.createdAt };

  return {
    async create({ email, name, bio = null }) {
      try {
        const [user] = await db.insert(users).values({ email, name, bio }).returning(userColumns);
        return user;
      } catch (error) {
        throw translate(error);
      }
    },

    async findById(id) {
      // One SQL statement: drizzle aggregates the posts into the user row.
      const user = await db.query.users.findFirst({ columns: USER_COLUMNS, where: eq(users.id, id), with: WITH_POSTS });
      return user ?? null;
    },

    async update(id, patch) {
      // Only known fields, and only those present: undefined means "leave it", null means "clear it".
      const changes = Object.fromEntries(WRITABLE.filter((key) => patch[key] !== undefined).map((key) => [key, patch[key]]));
      if (Object.keys(changes).length === 0) {
        const [user] = await db.select(userColumns).from(users).where(eq(users.id, id));
        return user ?? null;
      }
      try {
        const [user] = await db.update(users).set(changes).where(eq(users.id, id)).returning(userColumns);
        return user ?? null;
      } catch (error) {
        throw translate(error);
      }
    },

    async delete(id) {
      const deleted = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
      return deleted.length > 0;
    },

    async list({ cursor, limit = 10 } = {}) {
      // Keyset: "after this id" stays correct when earlier rows are inserted or deleted,
      // and the index on id finds the start without reading the skipped rows.
      const rows = await db.query.users.findMany({
        columns: USER_COLUMNS,
        where: cursor ? gt(users.id, decodeCursor(cursor)) : undefined,
        orderBy: [asc(users.id)],
        limit: limit + 1, // one extra row says whether another page exists
        with: WITH_POSTS,
      });
      const items = rows.slice(0, limit);
      const nextCursor = rows.length > limit ? encodeCursor(items.at(-1).id) : null;
      return { items, nextCursor };
    },
  };
}
