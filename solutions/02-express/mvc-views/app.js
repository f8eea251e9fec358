import express from 'express';
import { createPostController } from './controller.js';

export function createApp({ model }) {
  const app = express();
  const posts = createPostController(model);
  app.use(express.urlencoded());
  app.get('/', posts.index);
  app.get('/posts/:id', posts.show);
  app.post('/posts/:id/comments', posts.addComment);
  return app;
}
