import { notFoundPage, postListPage, postPage } from './views.js';

/** The controller: reads the request, asks the model, picks a view. No HTML in here. */
export function createPostController(model) {
  return {
    // TODO: GET / → the list page
    async index(req, res) {
      throw new Error('TODO: index');
    },
    // TODO: GET /posts/:id → the post page, or the 404 page
    async show(req, res) {
      throw new Error('TODO: show');
    },
    // TODO: POST /posts/:id/comments → 303 to the post, or 400 with the form again, or 404
    async addComment(req, res) {
      throw new Error('TODO: addComment');
    },
  };
}
