// The model, already written: an in-memory blog to try the app by hand
// (createApp({ model: createMemoryModel() })). The tests pass their own model with the
// same three async methods, so the controller must use only these.
const SAMPLE = [
  {
    id: 'hello-express',
    title: 'Hello, Express',
    author: 'Ada',
    body: 'Views turn data into HTML. Escape everything that came from a user.',
    comments: [{ author: 'Linus', text: 'Try a title like <script>alert(1)</script>' }],
  },
];

export function createMemoryModel(posts = SAMPLE) {
  const data = structuredClone(posts);
  const copy = (value) => structuredClone(value);

  return {
    /** [{ id, title, author }] in display order. */
    async listPosts() {
      return data.map(({ id, title, author }) => ({ id, title, author }));
    },

    /** { id, title, author, body, comments: [{ author, text }] }, or null. */
    async getPost(id) {
      const post = data.find((p) => p.id === id);
      return post ? copy(post) : null;
    },

    /** Appends { author, text } to the post's comments; returns the comment, or null for an unknown post. */
    async addComment(postId, { author, text }) {
      const post = data.find((p) => p.id === postId);
      if (!post) return null;
      const comment = { author, text };
      post.comments.push(comment);
      return copy(comment);
    },
  };
}
