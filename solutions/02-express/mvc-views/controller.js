import { notFoundPage, postListPage, postPage } from './views.js';

const MAX_COMMENT = 500;

// res.send() of a string would default to text/html too, but say it: the charset matters.
const sendPage = (res, status, page) => res.status(status).type('text/html; charset=utf-8').send(String(page));

export function createPostController(model) {
  return {
    async index(req, res) {
      sendPage(res, 200, postListPage(await model.listPosts()));
    },

    async show(req, res) {
      const post = await model.getPost(req.params.id);
      if (!post) return sendPage(res, 404, notFoundPage(req.params.id));
      sendPage(res, 200, postPage(post));
    },

    async addComment(req, res) {
      const { id } = req.params;
      const form = { author: String(req.body?.author ?? ''), text: String(req.body?.text ?? '') };
      const text = form.text.trim();
      if (text.length < 1 || text.length > MAX_COMMENT) {
        const post = await model.getPost(id);
        if (!post) return sendPage(res, 404, notFoundPage(id));
        const error = `A comment needs 1 to ${MAX_COMMENT} characters.`;
        return sendPage(res, 400, postPage(post, { error, form }));
      }
      const comment = await model.addComment(id, { author: form.author.trim() || 'Anonymous', text });
      if (!comment) return sendPage(res, 404, notFoundPage(id));
      // 303: the browser follows with a GET, so reloading the page does not post twice.
      res.redirect(303, `/posts/${encodeURIComponent(id)}`);
    },
  };
}
